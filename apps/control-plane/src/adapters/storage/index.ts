import path from 'node:path';
import type { Config } from '../../config.js';
import { createDiskStorage } from './disk.js';
import type { ObjectStorage } from './port.js';

export type { ObjectStorage } from './port.js';

/**
 * The object storage the configuration asks for (OBJECT_STORAGE): files under OBJECT_STORAGE_DIR
 * (default CBP_DATA_DIR/objects), or an S3-compatible bucket (S3_*; the AWS SDK is loaded only then).
 */
export async function createObjectStorage(config: Config): Promise<ObjectStorage> {
  if (config.OBJECT_STORAGE === 's3') {
    const { createS3Storage } = await import('./s3.js');
    if (!config.S3_BUCKET) throw new Error('OBJECT_STORAGE=s3 needs S3_BUCKET');
    return createS3Storage({
      bucket: config.S3_BUCKET,
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      forcePathStyle: config.S3_FORCE_PATH_STYLE ?? Boolean(config.S3_ENDPOINT),
      credentials:
        config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY } : undefined,
      prefix: config.S3_PREFIX,
    });
  }
  return createDiskStorage(config.OBJECT_STORAGE_DIR ?? path.join(config.CBP_DATA_DIR, 'objects'));
}
