import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeS3, type FakeS3 } from '../../../test/fake-s3.js';
import { createDiskStorage } from './disk.js';
import type { ObjectStorage } from './port.js';
import { createS3Storage } from './s3.js';

// One conformance suite for every object-storage adapter (port.ts): the disk adapter on a temp
// directory and the S3 adapter (the real AWS SDK) against a local fake S3 (test/fake-s3.ts, which
// checks each request's SigV4 signature). Then what only S3 has: the SDK's retries, failures
// that reject without harming the process, the key prefix.

let root: string;
let s3: FakeS3;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cbp-storage-'));
  s3 = await startFakeS3();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await s3.close();
});

const s3Storage = (overrides: Partial<Parameters<typeof createS3Storage>[0]> = {}) =>
  createS3Storage({
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.url,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    partSize: 5 * 1024 * 1024,
    ...overrides,
  });

const read = async (body: Readable) => Buffer.concat((await body.toArray()) as Buffer[]);

/** Files left under the disk root other than the objects themselves (temporary files). */
async function leftovers(): Promise<string[]> {
  const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  return files.map((f) => f.name).filter((n) => n.includes('.tmp-'));
}

/** `mib` MiB of random bytes in 64 KiB chunks, and their SHA-256 once the stream has ended. */
function randomStream(mib: number): { body: Readable; digest: () => string } {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let i = 0; i < mib * 16; i++) {
      const chunk = randomBytes(64 * 1024);
      hash.update(chunk);
      yield chunk;
    }
  }
  let digest = '';
  const body = Readable.from(chunks());
  body.on('end', () => (digest = hash.digest('hex')));
  return { body, digest: () => digest };
}

/** A source that sends `first`, then fails. */
function failingStream(first: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield first;
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('source failed');
    })(),
  );
}

const adapters: { name: string; make: () => ObjectStorage; noPartialState: () => Promise<void> }[] = [
  {
    name: 'disk',
    make: () => createDiskStorage(root),
    noPartialState: async () => expect(await leftovers()).toEqual([]),
  },
  {
    name: 's3',
    make: () => s3Storage(),
    noPartialState: async () => {
      expect(s3.openUploads()).toBe(0);
      expect(s3.unexpected).toEqual([]);
    },
  },
];

describe.each(adapters)('object storage conformance: $name', ({ name, make, noPartialState }) => {
  let storage: ObjectStorage;
  const key = (k: string) => `conformance/${name}/${k}`;
  beforeAll(() => {
    storage = make();
  });
  afterAll(() => storage.close());

  it('put then get, getStream and head give the bytes and their size back', async () => {
    expect(storage.kind).toBe(name);
    const data = Buffer.from('hello, object storage');
    await storage.put(key('a/b.txt'), data, 'text/plain');
    expect(await storage.get(key('a/b.txt'))).toEqual(data);
    expect(await storage.head(key('a/b.txt'))).toEqual({ size: data.length });
    const stored = await storage.getStream(key('a/b.txt'));
    expect(stored?.size).toBe(data.length);
    expect(await read(stored?.body ?? Readable.from([]))).toEqual(data);
    await storage.put(key('empty'), Buffer.alloc(0), 'application/octet-stream');
    expect(await storage.get(key('empty'))).toEqual(Buffer.alloc(0));
    expect(await storage.head(key('empty'))).toEqual({ size: 0 });
  });

  it('a missing object is null for get, getStream and head; deleting it is fine', async () => {
    expect(await storage.get(key('missing'))).toBeNull();
    expect(await storage.getStream(key('missing'))).toBeNull();
    expect(await storage.head(key('missing'))).toBeNull();
    await expect(storage.delete(key('missing/deeper'))).resolves.toBeUndefined();
  });

  it('delete removes the object; a put of the same key replaces it whole', async () => {
    await storage.put(key('c'), Buffer.from('first version'), 'text/plain');
    await storage.put(key('c'), Buffer.from('second'), 'text/plain');
    expect((await storage.get(key('c')))?.toString()).toBe('second');
    await storage.delete(key('c'));
    expect(await storage.get(key('c'))).toBeNull();
    expect(await storage.head(key('c'))).toBeNull();
  });

  it('deletePrefix removes every object under the prefix and nothing else; a repeat, or a prefix with nothing under it, is fine', async () => {
    for (const k of ['gone/a', 'gone/b/c', 'gone/b/d/e.zip', 'gone-not/x', 'stays/gone/y']) await storage.put(key(k), Buffer.from(k), 'text/plain');
    await storage.deletePrefix(key('gone/'));
    for (const k of ['gone/a', 'gone/b/c', 'gone/b/d/e.zip']) expect(await storage.head(key(k)), k).toBeNull();
    for (const k of ['gone-not/x', 'stays/gone/y']) expect((await storage.get(key(k)))?.toString(), k).toBe(k);
    await expect(storage.deletePrefix(key('gone/'))).resolves.toBeUndefined();
    await expect(storage.deletePrefix(key('never/was/'))).resolves.toBeUndefined();
    await storage.put(key('gone/b/again'), Buffer.from('again'), 'text/plain');
    expect((await storage.get(key('gone/b/again')))?.toString()).toBe('again');
    await noPartialState();
  });

  it('deletePrefix refuses a prefix that is not a key followed by / (never the whole storage)', async () => {
    for (const bad of ['', '/', 'no-slash', '../', 'a//', 'a/../', '/absolute/', 'with space/']) {
      await expect(storage.deletePrefix(bad), bad).rejects.toThrow(/invalid object prefix/);
    }
  });

  it('refuses keys that could leave the storage root or hold odd characters, for every operation', async () => {
    for (const bad of ['../escape', '/absolute', 'a//b', 'a/./b', 'a/../b', 'with space', 'tab\tkey', 'ünïcode', '', 'x'.repeat(513)]) {
      await expect(storage.put(bad, Buffer.from('x'), 'text/plain'), bad).rejects.toThrow(/invalid object key/);
      await expect(storage.putStream(bad, Readable.from([Buffer.from('x')]), 'text/plain'), bad).rejects.toThrow(/invalid object key/);
      await expect(storage.get(bad), bad).rejects.toThrow(/invalid object key/);
      await expect(storage.getStream(bad), bad).rejects.toThrow(/invalid object key/);
      await expect(storage.head(bad), bad).rejects.toThrow(/invalid object key/);
      await expect(storage.delete(bad), bad).rejects.toThrow(/invalid object key/);
    }
  });

  it('a streamed put is atomic: readers see the old object until it completes', async () => {
    await storage.put(key('atomic'), Buffer.from('old'), 'text/plain');
    const source = new PassThrough();
    const writing = storage.putStream(key('atomic'), source, 'text/plain');
    source.write(Buffer.alloc(1024, 'n'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await storage.get(key('atomic')))?.toString()).toBe('old');
    source.end(Buffer.alloc(1024, 'n'));
    expect(await writing).toEqual({ size: 2048 });
    expect(await storage.get(key('atomic'))).toEqual(Buffer.alloc(2048, 'n'));
  });

  it('a streamed put whose source fails stores nothing and keeps the old object', async () => {
    await storage.put(key('kept'), Buffer.from('old'), 'text/plain');
    await expect(storage.putStream(key('kept'), failingStream(Buffer.alloc(4096, 'x')), 'text/plain')).rejects.toThrow('source failed');
    expect((await storage.get(key('kept')))?.toString()).toBe('old');
    await expect(storage.putStream(key('never'), failingStream(Buffer.alloc(6 * 1024 * 1024, 'x')), 'text/plain')).rejects.toThrow('source failed');
    expect(await storage.head(key('never'))).toBeNull();
    await noPartialState();
  });

  it('a streamed put whose source is destroyed without an error (a producer giving up) rejects and stores nothing', async () => {
    for (const size of [1024, 6 * 1024 * 1024]) {
      const source = new PassThrough();
      const writing = storage.putStream(key(`abandoned-${size}`), source, 'application/zip');
      source.write(Buffer.alloc(size, 'z'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      source.destroy();
      await expect(writing).rejects.toThrow();
      expect(await storage.head(key(`abandoned-${size}`))).toBeNull();
    }
    await noPartialState();
  });

  it('streams a multi-MB object in and out (12 MiB) with the same bytes', async () => {
    const { body, digest } = randomStream(12);
    expect(await storage.putStream(key('big.bin'), body, 'application/octet-stream')).toEqual({ size: 12 * 1024 * 1024 });
    const stored = await storage.getStream(key('big.bin'));
    expect(stored?.size).toBe(12 * 1024 * 1024);
    const hash = createHash('sha256');
    for await (const chunk of stored?.body ?? []) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(digest());
    await storage.delete(key('big.bin'));
    expect(await storage.head(key('big.bin'))).toBeNull();
    await noPartialState();
  });
});

describe('disk adapter', () => {
  it('removes directories a delete leaves empty, never the root', async () => {
    const disk = createDiskStorage(path.join(root, 'tidy'));
    await disk.put('x/y/z.txt', Buffer.from('1'), 'text/plain');
    await disk.put('x/keep.txt', Buffer.from('2'), 'text/plain');
    await disk.delete('x/y/z.txt');
    expect(await readdir(path.join(root, 'tidy', 'x'))).toEqual(['keep.txt']);
    await disk.delete('x/keep.txt');
    expect(await readdir(path.join(root, 'tidy'))).toEqual([]);
  });

  it('deletePrefix removes the directory tree and the directories it leaves empty, never the root', async () => {
    const disk = createDiskStorage(path.join(root, 'tree'));
    await disk.put('exports/t1/e.parts/a.csv', Buffer.from('1'), 'text/csv');
    await disk.put('exports/t1/e.zip', Buffer.from('2'), 'application/zip');
    await disk.put('exports/t2/f.zip', Buffer.from('3'), 'application/zip');
    await disk.deletePrefix('exports/t1/');
    expect(await readdir(path.join(root, 'tree', 'exports'))).toEqual(['t2']);
    await disk.deletePrefix('exports/t2/');
    expect(await readdir(path.join(root, 'tree'))).toEqual([]);
  });
});

describe('S3 adapter', () => {
  let storage: ObjectStorage;
  beforeAll(() => {
    storage = s3Storage();
  });
  afterAll(() => storage.close());
  afterEach(() => s3.clearFaults());

  it('uses a multipart upload for a stream over the part size, one PutObject below it', async () => {
    const before = { create: s3.count('CreateMultipartUpload'), put: s3.count('PutObject', 'multi/small') };
    await storage.putStream('multi/large', randomStream(11).body, 'application/zip');
    expect(s3.count('CreateMultipartUpload') - before.create).toBe(1);
    expect(s3.count('UploadPart', 'multi/large')).toBe(3);
    expect(s3.count('CompleteMultipartUpload', 'multi/large')).toBe(1);
    expect(s3.objects.get('multi/large')?.contentType).toBe('application/zip');
    await storage.putStream('multi/small', Readable.from([Buffer.from('small')]), 'text/plain');
    expect(s3.count('PutObject', 'multi/small') - before.put).toBe(1);
    expect(s3.count('CreateMultipartUpload') - before.create).toBe(1);
  });

  it('the SDK retries 5xx answers: a put, a get and a part upload succeed after one failure each', async () => {
    s3.failNext('PutObject', 503);
    await storage.put('retry/a', Buffer.from('a'), 'text/plain');
    expect(s3.count('PutObject', 'retry/a')).toBe(2);
    s3.failNext('GetObject', 500);
    expect((await storage.get('retry/a'))?.toString()).toBe('a');
    expect(s3.count('GetObject', 'retry/a')).toBe(2);
    s3.failNext('UploadPart', 500);
    await storage.putStream('retry/big', randomStream(6).body, 'application/octet-stream');
    expect(s3.objects.get('retry/big')?.data.length).toBe(6 * 1024 * 1024);
    expect(s3.count('UploadPart', 'retry/big')).toBe(3);
  });

  it('a failure that outlasts the retries rejects the call (no object, no multipart upload left open)', async () => {
    s3.failNext('PutObject', 500, 10);
    await expect(storage.put('down/a', Buffer.from('a'), 'text/plain')).rejects.toThrow();
    s3.failNext('UploadPart', 500, 10);
    await expect(storage.putStream('down/big', randomStream(6).body, 'application/octet-stream')).rejects.toThrow();
    expect(s3.objects.has('down/a')).toBe(false);
    expect(s3.objects.has('down/big')).toBe(false);
    expect(s3.openUploads()).toBe(0);
    s3.failNext('GetObject', 500, 10);
    await expect(storage.get('retry/a')).rejects.toThrow();
  });

  it('an unreachable endpoint rejects (network errors retried, then given up), the process carries on', async () => {
    const closed = await startFakeS3();
    const url = closed.url;
    await closed.close();
    const unreachable = s3Storage({ endpoint: url, maxAttempts: 2 });
    try {
      await expect(unreachable.put('x', Buffer.from('x'), 'text/plain')).rejects.toThrow();
      await expect(unreachable.get('x')).rejects.toThrow();
      await expect(unreachable.putStream('x', Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toThrow();
    } finally {
      unreachable.close();
    }
  });

  it('every request is signed (SigV4): wrong credentials are refused and the call rejects', async () => {
    const wrong = s3Storage({ credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    try {
      await expect(wrong.put('signed/x', Buffer.from('x'), 'text/plain')).rejects.toThrow();
      expect(s3.unexpected.at(-1)).toMatch(/SignatureDoesNotMatch/);
      expect(s3.objects.has('signed/x')).toBe(false);
    } finally {
      wrong.close();
      s3.unexpected.length = 0;
    }
  });

  it('deletePrefix lists and deletes in pages of 1000 (ListObjectsV2 + DeleteObjects), other keys untouched', async () => {
    const before = { list: s3.count('ListObjectsV2'), remove: s3.count('DeleteObjects') };
    for (let i = 0; i < 2500; i++) s3.objects.set(`many/${String(i).padStart(4, '0')}`, { data: Buffer.from('x'), contentType: 'text/plain', etag: '"x"' });
    s3.objects.set('many-other/0', { data: Buffer.from('y'), contentType: 'text/plain', etag: '"y"' });
    await storage.deletePrefix('many/');
    expect([...s3.objects.keys()].filter((k) => k.startsWith('many'))).toEqual(['many-other/0']);
    expect(s3.count('ListObjectsV2') - before.list).toBe(3);
    expect(s3.count('DeleteObjects') - before.remove).toBe(3);
    expect(s3.unexpected).toEqual([]);
  });

  it('deletePrefix rejects when S3 keeps failing, and a repeat then finishes the job', async () => {
    for (let i = 0; i < 3; i++) s3.objects.set(`flaky/${i}`, { data: Buffer.from('x'), contentType: 'text/plain', etag: '"x"' });
    s3.failNext('DeleteObjects', 500, 10);
    await expect(storage.deletePrefix('flaky/')).rejects.toThrow();
    expect([...s3.objects.keys()].filter((k) => k.startsWith('flaky/'))).toHaveLength(3);
    s3.clearFaults();
    await storage.deletePrefix('flaky/');
    expect([...s3.objects.keys()].filter((k) => k.startsWith('flaky/'))).toEqual([]);
  });

  it('S3_PREFIX: keys live under the prefix', async () => {
    const prefixed = s3Storage({ prefix: 'cbp/' });
    try {
      await prefixed.put('tenants/t/logo.png', Buffer.from('png'), 'image/png');
      expect(s3.objects.has('cbp/tenants/t/logo.png')).toBe(true);
      expect((await prefixed.get('tenants/t/logo.png'))?.toString()).toBe('png');
      expect(await storage.get('tenants/t/logo.png')).toBeNull();
      await storage.put('tenants/t/unprefixed.png', Buffer.from('png'), 'image/png');
      await prefixed.deletePrefix('tenants/t/');
      expect(s3.objects.has('cbp/tenants/t/logo.png')).toBe(false);
      expect(s3.objects.has('tenants/t/unprefixed.png')).toBe(true);
    } finally {
      prefixed.close();
    }
    expect(s3.unexpected).toEqual([]);
  });
});
