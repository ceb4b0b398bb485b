import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import type { OrganizationExport, OrganizationLogo, WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeS3, type FakeS3 } from '../../../test/fake-s3.js';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { loadConfig } from '../../config.js';
import { platformRows } from '../../platform/db.js';

// The app with OBJECT_STORAGE=s3 against a local fake S3 (test/fake-s3.ts: path-style, every
// request's SigV4 signature checked): the organization logo and the GDPR export keep their bytes
// in the bucket, nothing on the API's disk. Then a failure in the middle of the export's `zip`
// step: the step is retried, the archive is written once and the requester is told once.

const run = promisify(execFile);
let s3: FakeS3;
let t: TestContext;
let dataDir: string;

beforeAll(async () => {
  s3 = await startFakeS3({ bucket: 'cbp-exports', region: 'eu-central-1' });
  dataDir = await mkdtemp(path.join(tmpdir(), 'cbp-export-s3-'));
  t = await createTestContext({
    CBP_DATA_DIR: dataDir,
    WORKFLOW_POLL_INTERVAL_MS: '25',
    OBJECT_STORAGE: 's3',
    S3_BUCKET: s3.bucket,
    S3_REGION: s3.region,
    S3_ENDPOINT: s3.url,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  });
});
afterAll(async () => {
  await t.close();
  await s3.close();
  await rm(dataDir, { recursive: true, force: true });
});

const headers = async (email: string) => ({ authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': acme.id });

async function requestExport(): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/organization/export', headers: await headers('owner@acme.test') });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json() as { id: string }).id;
}

async function finished(id: string, timeoutMs = 45_000): Promise<OrganizationExport> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.app.inject({ method: 'GET', url: '/organization/exports', headers: await headers('owner@acme.test') });
    const found = (res.json() as { data: OrganizationExport[] }).data.find((e) => e.id === id);
    if (found && found.status !== 'running') return found;
    if (Date.now() > until) throw new Error(`export still running: ${JSON.stringify(found)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The archive downloaded through the API, with its file listing (Info-ZIP). */
async function download(id: string): Promise<{ bytes: Buffer; listing: string[] }> {
  const res = await t.app.inject({ method: 'GET', url: `/organization/exports/${id}/download`, headers: await headers('owner@acme.test') });
  expect(res.statusCode).toBe(200);
  const file = path.join(dataDir, `${id}.zip`);
  await writeFile(file, res.rawPayload);
  const listing = (await run('unzip', ['-Z1', file])).stdout.split('\n').filter(Boolean);
  await rm(file);
  return { bytes: res.rawPayload, listing };
}

const sections = ['manifest.json', 'members.json', 'organization.json', 'domains.json', 'subscriptions.json', 'invoices.json', 'payment-methods.json', 'usage.json', 'audit-trail.csv', 'notifications.json'];
const archiveKey = (id: string) => `exports/${acme.id}/${id}.zip`;
const partKeys = () => [...s3.objects.keys()].filter((k) => k.includes('.parts/'));

describe('object storage on S3 (fake), through the app', () => {
  it('configuration: OBJECT_STORAGE=s3 needs S3_BUCKET; static keys go in pairs; a bad bucket name is refused', () => {
    expect(() => loadConfig({ OBJECT_STORAGE: 's3' })).toThrow(/S3_BUCKET: required with OBJECT_STORAGE=s3/);
    expect(() => loadConfig({ OBJECT_STORAGE: 's3', S3_BUCKET: 'b-1', S3_ACCESS_KEY_ID: 'AKIA' })).toThrow(/S3_SECRET_ACCESS_KEY/);
    expect(() => loadConfig({ OBJECT_STORAGE: 's3', S3_BUCKET: 'Not_A_Bucket' })).toThrow(/S3_BUCKET/);
    expect(() => loadConfig({ OBJECT_STORAGE: 's3', S3_BUCKET: 'b-1', S3_PREFIX: '/abs' })).toThrow(/S3_PREFIX/);
    expect(loadConfig({ OBJECT_STORAGE: 's3', S3_BUCKET: 'b-1' })).toMatchObject({ OBJECT_STORAGE: 's3', S3_REGION: 'us-east-1' });
  });

  it('the logo is stored in the bucket, served from it and deleted from it', async () => {
    const png = await sharp({ create: { width: 300, height: 120, channels: 4, background: { r: 20, g: 90, b: 200, alpha: 1 } } }).png().toBuffer();
    const boundary = 'cbp-s3-logo';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="logo.png"\r\nContent-Type: image/png\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const put = await t.app.inject({
      method: 'PUT',
      url: '/organization/logo',
      headers: { ...(await headers('admin@acme.test')), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body,
    });
    expect(put.statusCode, put.body).toBe(200);
    const logo = put.json() as OrganizationLogo;
    const stored = s3.objects.get(`tenants/${acme.id}/logo/${logo.etag}.png`);
    expect(stored?.contentType).toBe('image/png');

    const got = await t.app.inject({ method: 'GET', url: '/organization/logo', headers: await headers('analyst@acme.test') });
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(stored?.data ?? Buffer.alloc(0))).toBe(true);

    expect((await t.app.inject({ method: 'DELETE', url: '/organization/logo', headers: await headers('admin@acme.test') })).statusCode).toBe(204);
    expect(s3.objects.has(`tenants/${acme.id}/logo/${logo.etag}.png`)).toBe(false);
  });

  it('an export is built in the bucket (parts, then the zip), downloaded from it, and leaves no parts and nothing on disk', async () => {
    const id = await requestExport();
    const done = await finished(id);
    expect(done.status).toBe('ready');
    const stored = s3.objects.get(archiveKey(id));
    expect(stored?.contentType).toBe('application/zip');
    expect(done.size).toBe(stored?.data.length);
    expect(partKeys()).toEqual([]);
    // Each section's part went through the bucket before the zip step read it back.
    expect(s3.requests.filter((r) => r.operation === 'PutObject' && r.key.startsWith(`exports/${acme.id}/${id}.parts/`)).length).toBeGreaterThanOrEqual(9);

    const { bytes, listing } = await download(id);
    expect(bytes.equals(stored?.data ?? Buffer.alloc(0))).toBe(true);
    expect(listing).toEqual(expect.arrayContaining(sections));
    expect(listing.some((f) => f.startsWith('invoices/') && f.endsWith('.pdf'))).toBe(true);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('a part that cannot be read mid-zip fails the zip attempt; the retry writes the archive once and the requester is told once', async () => {
    // The audit trail's part is refused once while the archive is being streamed: that attempt stores nothing.
    s3.failNext('GetObject', 403, 1, /\.parts\/audit-trail\.csv$/);
    const id = await requestExport();
    const done = await finished(id);
    expect(done.status).toBe('ready');

    const status = (await t.app.inject({ method: 'GET', url: `/workflows/${done.runId ?? ''}/status`, headers: await headers('owner@acme.test') })).json() as WorkflowStatusDetail;
    const zip = status.steps.find((s) => s.name === 'zip');
    expect(zip).toMatchObject({ status: 'completed', attempts: 2 });
    expect(status.steps.filter((s) => s.name === 'complete')).toHaveLength(1);

    // Written once: one upload of the archive, which holds every section; the parts are gone.
    expect(s3.count('PutObject', archiveKey(id)) + s3.count('CreateMultipartUpload', archiveKey(id))).toBe(1);
    expect((await download(id)).listing).toEqual(expect.arrayContaining(sections));
    expect(partKeys()).toEqual([]);

    const events = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM domain_events WHERE type = 'export.ready' AND payload->>'exportId' = ${id}`);
    expect(events[0]?.n).toBe(1);
    const notified = async () =>
      (
        await platformRows<{ n: number }>(
          t.database.db,
          sql`SELECT count(*)::int AS n FROM notifications n JOIN domain_events e ON e.id = n.event_id WHERE n.type = 'export.ready' AND e.payload->>'exportId' = ${id}`,
        )
      )[0]?.n ?? 0;
    const until = Date.now() + 15_000;
    while ((await notified()) === 0) {
      if (Date.now() > until) throw new Error('no export.ready notification');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await notified()).toBe(1);
    const rows = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM organization_exports WHERE id = ${id}`);
    expect(rows[0]?.n).toBe(1);
  });

  it('every request the app sent was a signed, path-style request on the bucket', () => {
    expect(s3.unexpected).toEqual([]);
    expect(s3.requests.length).toBeGreaterThan(20);
  });
});
