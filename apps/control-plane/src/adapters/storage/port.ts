/**
 * The object-storage port (issue 15: organization logos): opaque bytes under a key. Keys are
 * relative paths of `[A-Za-z0-9._-]` segments joined by `/` (no `..`), chosen by the caller;
 * content-addressed keys make a `put` of the same bytes idempotent.
 *
 * Adapters: `disk.ts` (under CBP_DATA_DIR, the default; one API copy, or copies sharing the
 * directory). An S3-compatible adapter is the next one for several copies (docs/ARCHITECTURE.md,
 * Object storage): it needs `@aws-sdk/client-s3`, not installed yet.
 */
export interface ObjectStorage {
  readonly kind: 'disk';
  /** Writes the object whole or not at all (a reader never sees half of it). */
  put(key: string, data: Buffer, contentType: string): Promise<void>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
}

const keyPattern = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Refuses keys that could leave the storage root (`..`, absolute paths, odd characters). */
export function assertObjectKey(key: string): void {
  if (!keyPattern.test(key) || key.split('/').some((s) => s === '.' || s === '..') || key.length > 512) {
    throw new Error(`invalid object key: ${JSON.stringify(key)}`);
  }
}
