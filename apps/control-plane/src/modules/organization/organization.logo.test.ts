import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import type { OrganizationLogo } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

// The organization logo through HTTP (issue 15, acceptance 3): multipart upload checked by
// content, re-encoded to a 256x256 PNG in object storage (disk, a temporary CBP_DATA_DIR).

let t: TestContext;
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'cbp-logo-'));
  t = await createTestContext({ CBP_DATA_DIR: dataDir });
});
afterAll(async () => {
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
});

function multipart(filename: string, contentType: string, data: Buffer): { body: Buffer; type: string } {
  const boundary = `----cbp${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`;
  return { body: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}` };
}

async function upload(filename: string, contentType: string, data: Buffer, { email = 'admin@acme.test', tenantId = acme.id } = {}) {
  const { body, type } = multipart(filename, contentType, data);
  return t.app.inject({
    method: 'PUT',
    url: '/organization/logo',
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId, 'content-type': type },
    payload: body,
  });
}
async function call(method: 'GET' | 'DELETE', { email = 'analyst@acme.test', tenantId = acme.id as string, headers = {} as Record<string, string> } = {}) {
  return t.app.inject({ method, url: '/organization/logo', headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId, ...headers } });
}

/** A real 600x300 PNG: a red rectangle. */
const redPng = () => sharp({ create: { width: 600, height: 300, channels: 4, background: { r: 220, g: 30, b: 30, alpha: 1 } } }).png().toBuffer();
const storedFiles = async () => (await readdir(path.join(dataDir, 'objects', 'tenants', acme.id, 'logo')).catch(() => [] as string[])).filter((f) => f.endsWith('.png'));
const auditCount = async (action: string) =>
  (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM audit_logs WHERE action = ${action}`))[0]?.n ?? 0;

describe('organization logo', () => {
  it('accepts a real PNG, stores a 256x256 PNG thumbnail, serves it with ETag and answers 304 to If-None-Match', async () => {
    const res = await upload('logo.png', 'image/png', await redPng());
    expect(res.statusCode, res.body).toBe(200);
    const logo = res.json() as OrganizationLogo;
    expect(logo).toMatchObject({ contentType: 'image/png', width: 256, height: 256, etag: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await auditCount('organization.logo_updated')).toBe(1);

    const got = await call('GET');
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/png');
    expect(got.headers.etag).toBe(`"${logo.etag}"`);
    expect(got.headers['cache-control']).toContain('private');
    const meta = await sharp(got.rawPayload).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha }).toEqual({ format: 'png', width: 256, height: 256, hasAlpha: true });
    // Contained, not stretched: the 2:1 image leaves transparent bands above and below.
    const { data } = await sharp(got.rawPayload).raw().toBuffer({ resolveWithObject: true });
    expect(data[3]).toBe(0); // top-left pixel transparent
    const centre = (128 * 256 + 128) * 4;
    expect([data[centre], data[centre + 3]]).toEqual([220, 255]);

    const again = await call('GET', { headers: { 'if-none-match': `"${logo.etag}"` } });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
  });

  it('accepts JPEG and WebP, keeps only the current file, and DELETE removes it (audited)', async () => {
    const jpeg = await sharp({ create: { width: 100, height: 400, channels: 3, background: '#0055aa' } }).jpeg().toBuffer();
    expect((await upload('logo.jpg', 'image/jpeg', jpeg)).statusCode).toBe(200);
    const webp = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#00aa55' } }).webp().toBuffer();
    const res = await upload('logo.webp', 'image/webp', webp);
    expect(res.statusCode).toBe(200);
    expect(await storedFiles()).toEqual([`${(res.json() as OrganizationLogo).etag}.png`]);

    expect((await call('DELETE', { email: 'analyst@acme.test' })).statusCode).toBe(403);
    expect((await call('DELETE', { email: 'admin@acme.test' })).statusCode).toBe(204);
    expect(await auditCount('organization.logo_removed')).toBe(1);
    expect((await call('GET')).statusCode).toBe(404);
    expect(await storedFiles()).toEqual([]);
    expect((await call('DELETE', { email: 'admin@acme.test' })).statusCode).toBe(404);
  });

  it('refuses a 2 MB file with 413 problem+json and a clear message', async () => {
    const big = Buffer.concat([await redPng(), Buffer.alloc(2 * 1024 * 1024, 1)]);
    const res = await upload('big.png', 'image/png', big);
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'BAD_REQUEST', detail: expect.stringContaining('the maximum is 1 MB') });
  });

  it('refuses a text file named .png, and a damaged PNG, by content', async () => {
    const text = await upload('logo.png', 'image/png', Buffer.from('this is not an image, only text\n'.repeat(10)));
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ code: 'BAD_REQUEST', detail: expect.stringContaining('not a PNG, JPEG or WebP image') });
    const png = await redPng();
    const damaged = await upload('logo.png', 'image/png', png.subarray(0, 60));
    expect(damaged.statusCode).toBe(415);
    expect(damaged.json()).toMatchObject({ detail: expect.stringContaining('could not be read') });
  });

  it('refuses an SVG with a script, whatever it is called', async () => {
    const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>');
    for (const [name, type] of [
      ['logo.svg', 'image/svg+xml'],
      ['logo.png', 'image/png'],
    ] as const) {
      const res = await upload(name, type, svg);
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ detail: 'SVG logos are not accepted; upload PNG, JPEG or WebP.' });
    }
  });

  it('a form without a file is 400 with the field named', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/organization/logo',
      headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id, 'content-type': 'multipart/form-data; boundary=x' },
      payload: '--x\r\nContent-Disposition: form-data; name="other"\r\n\r\nhello\r\n--x--\r\n',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'body.file' }] });
  });

  it('an analyst gets 403 on PUT; Globex never sees Acme’s logo (404)', async () => {
    const png = await redPng();
    expect((await upload('logo.png', 'image/png', png, { email: 'analyst@acme.test' })).statusCode).toBe(403);
    expect((await upload('logo.png', 'image/png', png)).statusCode).toBe(200);
    expect((await call('GET')).statusCode).toBe(200);
    const globexGet = await call('GET', { email: 'owner@globex.test', tenantId: globex.id });
    expect(globexGet.statusCode).toBe(404);
    expect(globexGet.headers.etag).toBeUndefined();
  });
});
