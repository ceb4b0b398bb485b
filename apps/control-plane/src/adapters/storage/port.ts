import type { Readable } from 'node:stream';

/**
 * The object-storage port (issue 15: organization logos, GDPR export archives): opaque bytes
 * under a key. Keys are relative paths of `[A-Za-z0-9._-]` segments joined by `/` (no `..`),
 * chosen by the caller; content-addressed keys make a `put` of the same bytes idempotent.
 *
 * Adapters (OBJECT_STORAGE): `disk.ts` (files under OBJECT_STORAGE_DIR, default
 * CBP_DATA_DIR/objects; one API copy, or copies sharing the directory) and `s3.ts` (an
 * S3-compatible bucket: AWS S3, MinIO, Cloudflare R2, ...; several API copies). Both pass the same
 * conformance suite (storage.conformance.test.ts). A large object is never held in memory:
 * `putStream` / `getStream` move it in chunks.
 */
export interface ObjectStorage {
  readonly kind: 'disk' | 's3';
  /** Writes the object whole or not at all (a reader never sees half of it). */
  put(key: string, data: Buffer, contentType: string): Promise<void>;
  /**
   * Writes the object from a stream of unknown length, whole or not at all: disk writes a
   * temporary file and renames it, S3 completes a multipart upload (or one PutObject when it is
   * small). A failing `body` (or storage) rejects, leaves no object (an existing one stays) and
   * destroys `body`. Resolves with the number of bytes stored.
   */
  putStream(key: string, body: Readable, contentType: string): Promise<{ size: number }>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  /** The object as a stream with its size, or null when there is none; the caller consumes or destroys `body`. */
  getStream(key: string): Promise<{ body: Readable; size: number } | null>;
  /** The object's size, or null when there is none. */
  head(key: string): Promise<{ size: number } | null>;
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
  /**
   * Removes every object whose key starts with `prefix` (a key followed by `/`, e.g.
   * `exports/<tenant>/`): disk removes the directory tree, S3 lists the keys (ListObjectsV2) and
   * deletes them in batches of 1000 (DeleteObjects). Nothing happens when there is none, so a
   * repeat is harmless; an object put under the prefix meanwhile may stay.
   */
  deletePrefix(prefix: string): Promise<void>;
  /** Releases connections (S3's keep-alive sockets); the storage is not used afterwards. */
  close(): void;
}

const keyPattern = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Refuses keys that could leave the storage root (`..`, absolute paths, odd characters). */
export function assertObjectKey(key: string): void {
  if (!keyPattern.test(key) || key.split('/').some((s) => s === '.' || s === '..') || key.length > 512) {
    throw new Error(`invalid object key: ${JSON.stringify(key)}`);
  }
}

/** Refuses a prefix that is not a valid key followed by `/` (never the empty prefix: the whole storage). */
export function assertObjectPrefix(prefix: string): void {
  if (!prefix.endsWith('/')) throw new Error(`invalid object prefix: ${JSON.stringify(prefix)}`);
  try {
    assertObjectKey(prefix.slice(0, -1));
  } catch {
    throw new Error(`invalid object prefix: ${JSON.stringify(prefix)}`);
  }
}
