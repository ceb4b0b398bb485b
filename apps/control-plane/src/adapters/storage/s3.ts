import { pipeline, Readable, Transform } from 'node:stream';
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assertObjectKey, assertObjectPrefix, type ObjectStorage } from './port.js';

export interface S3StorageOptions {
  bucket: string;
  /** AWS region (a placeholder such as `us-east-1` for most S3-compatible stores; R2: `auto`). */
  region: string;
  /** Endpoint of an S3-compatible store (MinIO, R2, Ceph, ...); unset: AWS S3. */
  endpoint?: string | undefined;
  /** `http://host:port/bucket/key` instead of `http://bucket.host:port/key` (MinIO and most local stores). */
  forcePathStyle: boolean;
  /** Static keys; unset: the SDK's default chain (AWS_* variables, shared config, web identity, container/instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Prepended to every key (one bucket shared by several deployments), e.g. `cbp/`. */
  prefix?: string | undefined;
  /** Attempts per request, the first included (the SDK retries network errors, 5xx and throttling with backoff). */
  maxAttempts?: number;
  /** Multipart part size of `putStream` (bytes, at least 5 MiB): memory per upload is about twice this. */
  partSize?: number;
}

const MiB = 1024 * 1024;

/** True for "no such object": GetObject's NoSuchKey, HeadObject's bodiless 404. */
function isMissing(err: unknown): boolean {
  return err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404);
}

/**
 * Objects in an S3-compatible bucket through the AWS SDK (`@aws-sdk/client-s3`, requests signed
 * with SigV4). Several API copies share the bucket. A put is atomic by S3's own rule (an object
 * appears whole when its PutObject or CompleteMultipartUpload succeeds); `putStream` goes through
 * `@aws-sdk/lib-storage`'s Upload: one PutObject below `partSize`, else a multipart upload with
 * two parts in flight, aborted on failure (no object, no parts left). Network errors, 5xx and
 * throttling are retried by the SDK (`maxAttempts`, exponential backoff with jitter); what still
 * fails rejects the call (never an uncaught error); a missing object is null. `deletePrefix` lists
 * the keys a page (up to 1000) at a time and removes each page with one DeleteObjects.
 *
 * Checksums are sent only when an operation requires them (`WHEN_REQUIRED`): several
 * S3-compatible stores refuse the SDK's newer default CRC headers; TLS protects the bytes in transit.
 */
export function createS3Storage(options: S3StorageOptions): ObjectStorage {
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? 4,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // No answer within these bounds is a network error (retried), not a hang.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
  const Bucket = options.bucket;
  const partSize = Math.max(5 * MiB, options.partSize ?? 8 * MiB);
  const keyOf = (key: string) => {
    assertObjectKey(key);
    return `${options.prefix ?? ''}${key}`;
  };
  const orNull = <T>(err: unknown): T | null => {
    if (isMissing(err)) return null;
    throw err;
  };

  return {
    kind: 's3',
    async put(key, data, contentType) {
      await client.send(new PutObjectCommand({ Bucket, Key: keyOf(key), Body: data, ContentType: contentType, ContentLength: data.length }));
    },
    async putStream(key, body, contentType) {
      const Key = keyOf(key);
      let size = 0;
      const count = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          done(null, chunk);
        },
      });
      // The source's failure or early close fails the upload (Upload then aborts the multipart upload).
      pipeline(body, count, (err) => {
        if (err) count.destroy(err);
      });
      const upload = new Upload({ client, params: { Bucket, Key, Body: count, ContentType: contentType }, partSize, queueSize: 2, leavePartsOnError: false });
      try {
        await upload.done();
      } catch (err) {
        body.destroy();
        count.destroy();
        throw err;
      }
      return { size };
    },
    async get(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(key) }));
        return res.Body ? Buffer.from(await res.Body.transformToByteArray()) : Buffer.alloc(0);
      } catch (err) {
        return orNull<Buffer>(err);
      }
    },
    async getStream(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(key) }));
        const body = res.Body instanceof Readable ? res.Body : Readable.from([]);
        return { body, size: res.ContentLength ?? 0 };
      } catch (err) {
        return orNull<{ body: Readable; size: number }>(err);
      }
    },
    async head(key) {
      try {
        const res = await client.send(new HeadObjectCommand({ Bucket, Key: keyOf(key) }));
        return { size: res.ContentLength ?? 0 };
      } catch (err) {
        return orNull<{ size: number }>(err);
      }
    },
    async delete(key) {
      // S3 answers 204 for a key that does not exist.
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(key) }));
    },
    async deletePrefix(prefix) {
      assertObjectPrefix(prefix);
      const Prefix = `${options.prefix ?? ''}${prefix}`;
      // Each page is deleted before the next is asked for: the listing continues past the keys removed.
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix, MaxKeys: 1000, ContinuationToken }));
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length > 0) {
          const res = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }));
          const failed = res.Errors ?? [];
          if (failed.length > 0) throw new Error(`deleting ${failed.length} objects under ${Prefix} failed: ${failed.slice(0, 3).map((e) => `${e.Key}: ${e.Code}`).join(', ')}`);
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },
    close() {
      client.destroy();
    },
  };
}
