import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import type { OrganizationExport, WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

// GDPR export (issue 15, acceptance 4): the owner asks, the `organization.export` workflow runs
// (engine polling every 25 ms), and the zip holds every section; checked with Info-ZIP's unzip.
// Archives live in object storage: here the disk adapter (CBP_DATA_DIR/objects); the S3 adapter
// in organization-export-s3.test.ts, a kill -9 mid-export in organization-export-crash.pglite.test.ts.

const run = promisify(execFile);
let t: TestContext;
let dataDir: string;
let workDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'cbp-export-'));
  workDir = await mkdtemp(path.join(tmpdir(), 'cbp-export-check-'));
  t = await createTestContext({ CBP_DATA_DIR: dataDir, WORKFLOW_POLL_INTERVAL_MS: '25' });
});
afterAll(async () => {
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST', url: string, { email = 'owner@acme.test', tenantId = acme.id, payload }: { email?: string; tenantId?: string; payload?: object } = {}) {
  return t.app.inject({ method, url, headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId }, ...(payload ? { payload } : {}) });
}

async function exportsOf(email = 'owner@acme.test', tenantId: string = acme.id): Promise<OrganizationExport[]> {
  const res = await call('GET', '/organization/exports', { email, tenantId });
  expect(res.statusCode).toBe(200);
  return (res.json() as { data: OrganizationExport[] }).data;
}

/** Polls the list until the export leaves `running` (generous bound for a loaded machine). */
async function finished(id: string, timeoutMs = 30_000): Promise<OrganizationExport> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = (await exportsOf()).find((e) => e.id === id);
    if (found && found.status !== 'running') return found;
    if (Date.now() > until) throw new Error(`export still running: ${JSON.stringify(found)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('GDPR export', () => {
  let exportId = '';
  let zipFile = '';

  it('admin cannot ask for an export (403); nothing is started', async () => {
    const res = await call('POST', '/organization/export', { email: 'admin@acme.test' });
    expect(res.statusCode).toBe(403);
    expect(await exportsOf('admin@acme.test')).toEqual([]);
  });

  it('the owner asks for one: 202 with the workflow id, and it completes as a workflow with one step per section', async () => {
    // A card on file, so the payment-method section has something (and a number that must not leak).
    const card = await call('POST', '/payment-methods', { payload: { stripePaymentMethodId: 'pm_card_visa' } });
    expect(card.statusCode).toBe(201);
    const res = await call('POST', '/organization/export');
    expect(res.statusCode).toBe(202);
    const started = res.json() as { id: string; workflowId: string };
    expect(started.workflowId).toBe(`organization-export:${started.id}`);
    exportId = started.id;
    const [requested] = await platformRows<{ actor_email: string }>(
      t.database.db,
      sql`SELECT actor_email FROM audit_logs WHERE action = 'organization.export_requested' AND target_id = ${exportId}`,
    );
    expect(requested).toEqual({ actor_email: 'owner@acme.test' });

    const done = await finished(exportId);
    expect(done).toMatchObject({ status: 'ready', workflowId: started.workflowId });
    expect(done.size).toBeGreaterThan(0);
    expect(new Date(done.expiresAt).getTime() - new Date(done.createdAt).getTime()).toBeGreaterThan(6.9 * 86_400_000);

    const status = (await call('GET', `/workflows/${done.runId ?? ''}/status`)).json() as WorkflowStatusDetail;
    const steps = status.steps.map((s) => s.name);
    for (const section of ['members', 'organization', 'domains', 'subscriptions', 'invoices', 'payment-methods', 'usage', 'audit-trail', 'notifications']) {
      expect(steps).toContain(`section-${section}`);
    }
    expect(steps).toEqual(expect.arrayContaining(['zip', 'complete']));
    expect(status.steps.filter((s) => s.name.startsWith('section-') || s.name === 'zip' || s.name === 'complete').every((s) => s.status === 'completed')).toBe(true);

    // Through the object-storage port: the archive is an object, its parts are gone.
    expect(await readdir(path.join(dataDir, 'objects', 'exports', acme.id))).toEqual([`${exportId}.zip`]);
    expect((await stat(path.join(dataDir, 'objects', 'exports', acme.id, `${exportId}.zip`))).size).toBe(done.size);
  });

  it('the download is the zip with every section, the invoices as PDFs, no card number; it is audited', async () => {
    const res = await call('GET', `/organization/exports/${exportId}/download`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    zipFile = path.join(workDir, 'export.zip');
    await writeFile(zipFile, res.rawPayload);
    const listing = (await run('unzip', ['-Z1', zipFile])).stdout.split('\n').filter(Boolean);
    for (const file of ['manifest.json', 'members.json', 'organization.json', 'domains.json', 'subscriptions.json', 'invoices.json', 'payment-methods.json', 'usage.json', 'audit-trail.csv', 'notifications.json']) {
      expect(listing).toContain(file);
    }
    const read = async (file: string) => (await run('unzip', ['-p', zipFile, file], { maxBuffer: 64 * 1024 * 1024 })).stdout;

    const members = JSON.parse(await read('members.json')) as { email: string }[];
    expect(members.map((m) => m.email)).toEqual(expect.arrayContaining(['owner@acme.test', 'admin@acme.test', 'analyst@acme.test']));
    expect(members.some((m) => m.email.endsWith('@globex.test'))).toBe(false);
    const organization = JSON.parse(await read('organization.json')) as { profile: { id: string; name: string }; settings: { timezone: string } };
    expect(organization.profile).toMatchObject({ id: acme.id, name: acme.name });
    expect(organization.settings.timezone).toBeTruthy();

    const invoices = JSON.parse(await read('invoices.json')) as { id: string; pdf: string }[];
    const listed = (await call('GET', '/invoices?limit=100')).json() as { total: number };
    expect(invoices).toHaveLength(listed.total);
    expect(invoices.length).toBeGreaterThan(0);
    for (const invoice of invoices) {
      expect(listing).toContain(invoice.pdf);
      expect((await read(invoice.pdf)).startsWith('%PDF-')).toBe(true);
    }

    const methods = JSON.parse(await read('payment-methods.json')) as { card: { brand: string; last4: string; expMonth: number; expYear: number } | null }[];
    expect(methods).toHaveLength(1);
    expect(methods[0]?.card).toMatchObject({ brand: 'visa', last4: '4242', expMonth: expect.any(Number), expYear: expect.any(Number) });
    const everything = (await Promise.all(listing.filter((f) => !f.endsWith('/') && !f.endsWith('.pdf')).map(read))).join('\n');
    expect(everything).not.toContain('4242424242424242');
    expect(everything).not.toMatch(/\b\d{13,19}\b(?![\d-])/);

    const audit = await read('audit-trail.csv');
    expect(audit.split('\n')[0]).toMatch(/^id,createdAt,action/);
    expect(audit).toContain('organization.export_requested');
    expect(audit).toContain('payment_method.added');
    const usage = JSON.parse(await read('usage.json')) as { summaries: unknown[]; daily: Record<string, unknown[]> };
    expect(Object.keys(usage.daily)).toEqual(expect.arrayContaining(['api_calls', 'storage_gb']));
    const manifest = JSON.parse(await read('manifest.json')) as { tenantId: string; sections: { section: string; file: string }[] };
    expect(manifest.tenantId).toBe(acme.id);
    expect(manifest.sections.map((s) => s.section)).toHaveLength(9);
    expect(Array.isArray(JSON.parse(await read('notifications.json')))).toBe(true);

    const [entry] = await platformRows<{ actor_email: string; tenant_id: string }>(
      t.database.db,
      sql`SELECT actor_email, tenant_id FROM audit_logs WHERE action = 'organization.export_downloaded' AND target_id = ${exportId}`,
    );
    expect(entry).toEqual({ actor_email: 'owner@acme.test', tenant_id: acme.id });
  });

  it('the requester is notified that the export is ready', async () => {
    const until = Date.now() + 15_000;
    for (;;) {
      const res = await call('GET', '/notifications?type=export.ready');
      const page = res.json() as { data: { type: string }[] };
      if (page.data.length > 0) break;
      if (Date.now() > until) throw new Error('no export.ready notification');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it('admin lists and downloads; analyst is refused; Globex can neither list nor download Acme’s export (404)', async () => {
    expect((await exportsOf('admin@acme.test')).map((e) => e.id)).toContain(exportId);
    expect((await call('GET', '/organization/exports', { email: 'analyst@acme.test' })).statusCode).toBe(403);
    expect((await call('GET', `/organization/exports/${exportId}/download`, { email: 'admin@acme.test' })).statusCode).toBe(200);
    expect(await exportsOf('owner@globex.test', globex.id)).toEqual([]);
    const stolen = await call('GET', `/organization/exports/${exportId}/download`, { email: 'owner@globex.test', tenantId: globex.id });
    expect(stolen.statusCode).toBe(404);
    expect(stolen.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('GDPR export expiry', () => {
  let short: TestContext;
  let shortDir: string;
  beforeAll(async () => {
    shortDir = await mkdtemp(path.join(tmpdir(), 'cbp-export-ttl-'));
    short = await createTestContext({ CBP_DATA_DIR: shortDir, WORKFLOW_POLL_INTERVAL_MS: '25', ORGANIZATION_EXPORT_TTL_MS: '1500' });
  });
  afterAll(async () => {
    await short.close();
    await rm(shortDir, { recursive: true, force: true });
  });

  it('after the keep period the archive is deleted from storage and the export is expired (download 409)', async () => {
    const headers = { authorization: `Bearer ${await short.tokenFor('owner@acme.test')}`, 'x-tenant-id': acme.id };
    const res = await short.app.inject({ method: 'POST', url: '/organization/export', headers });
    expect(res.statusCode).toBe(202);
    const { id } = res.json() as { id: string };
    const archive = path.join(shortDir, 'objects', 'exports', acme.id, `${id}.zip`);
    const until = Date.now() + 20_000;
    let seenReady = false;
    for (;;) {
      const found = ((await short.app.inject({ method: 'GET', url: '/organization/exports', headers })).json() as { data: OrganizationExport[] }).data.find((e) => e.id === id);
      if (found?.status === 'ready') seenReady ||= await stat(archive).then(() => true, () => false);
      if (found?.status === 'expired') break;
      if (Date.now() > until) {
        const run = await short.app.inject({ method: 'GET', url: `/workflows/${found?.runId ?? ''}/status`, headers });
        throw new Error(`export not expired: ${JSON.stringify(found)} ${run.body}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seenReady).toBe(true);
    // The object is gone, and the directories it leaves empty with it.
    expect(await readdir(path.join(shortDir, 'objects')).catch(() => [])).toEqual([]);
    const download = await short.app.inject({ method: 'GET', url: `/organization/exports/${id}/download`, headers });
    expect(download.statusCode).toBe(409);
    expect(download.json()).toMatchObject({ detail: expect.stringMatching(/expired/) });
  });
});
