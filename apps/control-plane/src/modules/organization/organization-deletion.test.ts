import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import type { OrganizationProfile } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { createObjectStorage } from '../../adapters/storage/index.js';
import { platformRows } from '../../platform/db.js';

// Organization deletion (issue 15, acceptance 5): the exact name schedules it after the grace
// period, members keep working meanwhile, the owner can cancel; with a tiny grace the
// `organization.deletion` workflow removes Acme's data and leaves Globex's untouched.

type Method = 'GET' | 'POST' | 'DELETE';
function caller(t: () => TestContext) {
  return async (method: Method, url: string, { email = 'owner@acme.test', tenantId = acme.id, payload }: { email?: string; tenantId?: string; payload?: object } = {}) =>
    t().app.inject({ method, url, headers: { authorization: `Bearer ${await t().tokenFor(email)}`, 'x-tenant-id': tenantId }, ...(payload ? { payload } : {}) });
}

const actions = (t: TestContext, action: string) =>
  platformRows<{ actor_email: string; before: unknown; after: unknown }>(t.database.db, sql`SELECT actor_email, before, after FROM audit_logs WHERE action = ${action} AND tenant_id = ${acme.id}`);

describe('scheduling and cancelling (30-day grace)', () => {
  let t: TestContext;
  const call = caller(() => t);
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it('refuses a name that is not exactly the organization’s (400 with the field), and admin (403)', async () => {
    const wrong = await call('DELETE', '/organization', { payload: { confirmName: acme.name.toLowerCase() } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ code: 'CONFIRMATION_MISMATCH', errors: [{ path: 'body.confirmName' }] });
    expect((await call('DELETE', '/organization', { payload: {} })).statusCode).toBe(400);
    const admin = await call('DELETE', '/organization', { email: 'admin@acme.test', payload: { confirmName: acme.name } });
    expect(admin.statusCode).toBe(403);
    expect(((await call('GET', '/organization')).json() as OrganizationProfile).deletion).toBeNull();
  });

  it('the exact name schedules it 30 days out; audited; members still work and see the date; cancel restores it', async () => {
    const before = Date.now();
    const res = await call('DELETE', '/organization', { payload: { confirmName: acme.name } });
    expect(res.statusCode).toBe(202);
    const scheduled = res.json() as { status: string; scheduledFor: string };
    expect(scheduled.status).toBe('pending_deletion');
    const days = (new Date(scheduled.scheduledFor).getTime() - before) / 86_400_000;
    expect(days).toBeGreaterThan(29.99);
    expect(days).toBeLessThan(30.01);
    const [tenant] = await platformRows<{ status: string }>(t.database.db, sql`SELECT status FROM tenants WHERE id = ${acme.id}`);
    expect(tenant?.status).toBe('pending_deletion');
    expect(await actions(t, 'organization.deletion_scheduled')).toEqual([
      { actor_email: 'owner@acme.test', before: { status: 'active' }, after: { status: 'pending_deletion', scheduledFor: scheduled.scheduledFor } },
    ]);
    // A second request while pending is a conflict.
    expect((await call('DELETE', '/organization', { payload: { confirmName: acme.name } })).statusCode).toBe(409);

    // Members keep working during the grace period and see the scheduled date (the banner's data).
    for (const email of ['analyst@acme.test', 'admin@acme.test']) {
      const profile = await call('GET', '/organization', { email });
      expect(profile.statusCode).toBe(200);
      expect((profile.json() as OrganizationProfile).deletion).toEqual({ scheduledFor: scheduled.scheduledFor });
    }
    expect((await call('GET', '/invoices', { email: 'analyst@acme.test' })).statusCode).toBe(200);
    // The workflow is there, sleeping through the grace period.
    const [run] = await platformRows<{ status: string; type: string }>(
      t.database.db,
      sql`SELECT status, type FROM workflow_runs WHERE tenant_id = ${acme.id} AND type = 'organization.deletion'`,
    );
    expect(run).toEqual({ status: 'running', type: 'organization.deletion' });

    expect((await call('POST', '/organization/deletion/cancel', { email: 'admin@acme.test' })).statusCode).toBe(403);
    const cancelled = await call('POST', '/organization/deletion/cancel');
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'active', scheduledFor: null });
    expect(((await call('GET', '/organization')).json() as OrganizationProfile).deletion).toBeNull();
    expect(await actions(t, 'organization.deletion_cancelled')).toHaveLength(1);
    const [after] = await platformRows<{ cancel_requested: boolean }>(
      t.database.db,
      sql`SELECT cancel_requested FROM workflow_runs WHERE tenant_id = ${acme.id} AND type = 'organization.deletion'`,
    );
    expect(after?.cancel_requested).toBe(true);
    expect((await call('POST', '/organization/deletion/cancel')).statusCode).toBe(409);
  });
});

/** Rows per table that has a tenant_id, for one tenant (the engine's own bookkeeping aside). */
async function rowCounts(t: TestContext, tenantId: string): Promise<Record<string, number>> {
  const tables = await platformRows<{ schema: string; name: string }>(
    t.database.db,
    sql`SELECT c.table_schema AS schema, c.table_name AS name FROM information_schema.columns c
        JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
        WHERE c.column_name = 'tenant_id' AND c.table_schema IN ('public', 'audit_search')
          AND c.table_name NOT IN ('workflow_runs', 'workflow_steps') AND c.table_name NOT LIKE 'usage_events_%'
        ORDER BY 1, 2`,
  );
  const counts: Record<string, number> = {};
  for (const { schema, name } of tables) {
    const [row] = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM ${sql.identifier(schema)}.${sql.identifier(name)} WHERE tenant_id = ${tenantId}`);
    counts[`${schema}.${name}`] = row?.n ?? 0;
  }
  return counts;
}

describe('the deletion workflow (tiny grace)', () => {
  let t: TestContext;
  let dataDir: string;
  const call = caller(() => t);
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'cbp-deletion-'));
    t = await createTestContext({ CBP_DATA_DIR: dataDir, WORKFLOW_POLL_INTERVAL_MS: '25', ORGANIZATION_DELETION_GRACE_MS: '400' });
  });
  afterAll(async () => {
    await t.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('after the grace period Acme’s data is gone (audit trail archived first), Globex’s is identical', async () => {
    const globexBefore = await rowCounts(t, globex.id);
    const acmeBefore = await rowCounts(t, acme.id);
    expect(acmeBefore['public.audit_logs']).toBeGreaterThan(0);
    expect(acmeBefore['public.tenant_memberships']).toBeGreaterThan(0);
    const [customer] = await platformRows<{ customer_id: string }>(t.database.db, sql`SELECT customer_id FROM billing_customers WHERE tenant_id = ${acme.id}`);
    // A logo in object storage, which must go with the rest.
    const png = await sharp({ create: { width: 64, height: 64, channels: 4, background: '#aa2200' } }).png().toBuffer();
    const boundary = 'cbp-deletion-logo';
    const logoBody = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="logo.png"\r\nContent-Type: image/png\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const uploaded = await t.app.inject({
      method: 'PUT',
      url: '/organization/logo',
      headers: { authorization: `Bearer ${await t.tokenFor('owner@acme.test')}`, 'x-tenant-id': acme.id, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: logoBody,
    });
    expect(uploaded.statusCode).toBe(200);
    const [logo] = await platformRows<{ storage_key: string }>(t.database.db, sql`SELECT storage_key FROM organization_logos WHERE tenant_id = ${acme.id}`);
    const storage = await createObjectStorage(t.config);
    expect(await storage.get(logo?.storage_key ?? 'missing')).not.toBeNull();
    // An export still running at deletion time: its part under Acme's export prefix must not stay
    // behind. Globex's export part and logo are not Acme's to remove.
    const acmePart = `exports/${acme.id}/00000000-0000-4000-8000-000000000001.parts/members.csv`;
    const globexObjects = [`exports/${globex.id}/00000000-0000-4000-8000-000000000002.parts/members.csv`, `exports/${globex.id}/00000000-0000-4000-8000-000000000002.zip`, `tenants/${globex.id}/logo/abc.png`];
    await storage.put(acmePart, Buffer.from('email\nowner@acme.test\n'), 'text/csv');
    for (const key of globexObjects) await storage.put(key, Buffer.from(key), 'application/octet-stream');

    const res = await call('DELETE', '/organization', { payload: { confirmName: acme.name } });
    expect(res.statusCode).toBe(202);

    const until = Date.now() + 30_000;
    let run: { id: string; status: string; result: { outcome: string; archive: { key: string; bytes: number } } | null } | undefined;
    for (;;) {
      [run] = await platformRows<NonNullable<typeof run>>(t.database.db, sql`SELECT id, status, result FROM workflow_runs WHERE tenant_id = ${acme.id} AND type = 'organization.deletion'`);
      if (run && run.status !== 'running') break;
      if (Date.now() > until) throw new Error(`deletion still running: ${JSON.stringify(run)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(run?.status).toBe('completed');
    expect(run?.result?.outcome).toBe('deleted');

    expect(await platformRows(t.database.db, sql`SELECT id FROM tenants WHERE id = ${acme.id}`)).toEqual([]);
    const acmeAfter = await rowCounts(t, acme.id);
    expect(Object.entries(acmeAfter).filter(([, n]) => n > 0)).toEqual([]);
    expect(await rowCounts(t, globex.id)).toEqual(globexBefore);
    // Only the deletion run itself stays, as the record of what happened.
    expect(await platformRows(t.database.db, sql`SELECT type FROM workflow_runs WHERE tenant_id = ${acme.id}`)).toEqual([{ type: 'organization.deletion' }]);

    // The trail was archived (in object storage) before it was removed; the logo is gone.
    const archive = (await storage.get(run?.result?.archive.key ?? 'missing'))?.toString('utf8') ?? '';
    expect(run?.result?.archive.bytes).toBe(Buffer.byteLength(archive));
    expect(await storage.get(logo?.storage_key ?? 'missing')).toBeNull();
    expect(await storage.head(acmePart)).toBeNull();
    for (const key of globexObjects) expect((await storage.get(key))?.toString(), key).toBe(key);
    expect(archive.split('\n')[0]).toMatch(/^id,createdAt,action/);
    expect(archive).toContain('organization.deletion_scheduled');
    // The gateway customer is closed and its subscription ended.
    const gateway = await platformRows<{ object: string; data: { deleted?: boolean; status?: string } }>(
      t.database.db,
      sql`SELECT object, data FROM local_gateway_objects WHERE customer_id = ${customer?.customer_id ?? ''} AND object IN ('customer', 'subscription')`,
    );
    expect(gateway.find((o) => o.object === 'customer')?.data.deleted).toBe(true);
    expect(gateway.filter((o) => o.object === 'subscription').every((o) => o.data.status === 'canceled')).toBe(true);

    // The API's role still cannot remove another tenant's data: the function refuses a tenant
    // whose deletion is not due, and the trail stays append-only.
    await expect(platformRows(t.database.db, sql`SELECT delete_tenant_data(${globex.id}::uuid, NULL)`)).rejects.toMatchObject({ cause: { message: expect.stringMatching(/not due for deletion/) } });
    await expect(platformRows(t.database.db, sql`DELETE FROM audit_logs WHERE tenant_id = ${globex.id}`)).rejects.toMatchObject({ cause: { message: expect.stringMatching(/append-only|permission denied/) } });
    expect(await rowCounts(t, globex.id)).toEqual(globexBefore);
    // Idempotent: a tenant already gone answers 0.
    expect(await platformRows(t.database.db, sql`SELECT delete_tenant_data(${acme.id}::uuid, NULL)::int AS n`)).toEqual([{ n: 0 }]);

    // Former members no longer reach it; Globex works as before.
    expect((await call('GET', '/organization')).statusCode).toBeGreaterThanOrEqual(401);
    expect((await call('GET', '/organization', { email: 'owner@globex.test', tenantId: globex.id })).statusCode).toBe(200);
  });
});
