import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../test/harness.js';
import { platformRows, withPlatformScope } from './db.js';
import { createStaffAccessRecorder } from './staff-access.js';
import type { TenantContext } from './context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

const staffId = '00000000-0000-4000-8000-000000000c01';

async function call(method: 'GET' | 'PATCH', url: string, { email = 'owner@acme.test', tenantId = acme.id }: { email?: string; tenantId?: string } = {}) {
  return t.app.inject({ method, url, headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId } });
}

interface Entry {
  action: string;
  actorEmail: string | null;
  actorType: string;
  targetType: string;
  targetId: string | null;
  metadata: Record<string, unknown>;
  ipAddress: string | null;
}

/** The tenant's trail of staff access, as its owner sees it in GET /audit-logs. */
async function staffEntries(tenantId: string, owner: string): Promise<Entry[]> {
  const res = await call('GET', '/audit-logs?action=staff.accessed&limit=100', { email: owner, tenantId });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { data: Entry[] }).data;
}

const countAll = async (tenantId: string) =>
  (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = ${tenantId} AND action = 'staff.accessed'`))[0]?.n ?? 0;

describe('staff access is audited in the tenant trail (issue 16)', () => {
  it("records staff reading Acme's members once in Acme's trail, visible to Acme's owner", async () => {
    const res = await call('GET', '/users?search=ann', { email: 'staff@cbp.test' });
    expect(res.statusCode, res.body).toBe(200);
    const entries = await staffEntries(acme.id, 'owner@acme.test');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'staff.accessed',
      actorEmail: 'staff@cbp.test',
      actorType: 'user',
      targetType: 'tenant',
      targetId: acme.id,
      ipAddress: '127.0.0.1',
      metadata: { method: 'GET', path: '/users', ip: '127.0.0.1' },
    });
  });

  it('records nothing more for further requests within the window', async () => {
    expect((await call('GET', '/users', { email: 'staff@cbp.test' })).statusCode).toBe(200);
    expect((await call('GET', '/organization', { email: 'staff@cbp.test' })).statusCode).toBe(200);
    expect(await staffEntries(acme.id, 'owner@acme.test')).toHaveLength(1);
  });

  it("records nothing for members' own requests", async () => {
    for (const email of ['owner@acme.test', 'admin@acme.test', 'analyst@acme.test']) {
      expect((await call('GET', '/users', { email })).statusCode).toBe(200);
    }
    expect(await countAll(acme.id)).toBe(1);
    expect((await call('GET', '/users', { email: 'owner@globex.test', tenantId: globex.id })).statusCode).toBe(200);
    expect(await countAll(globex.id)).toBe(0);
  });

  it("leaves Globex's trail empty, and Acme's entry out of Globex's view", async () => {
    expect(await staffEntries(globex.id, 'owner@globex.test')).toEqual([]);
    expect(await countAll(globex.id)).toBe(0);
  });

  it("records staff entering Globex in Globex's trail only", async () => {
    expect((await call('GET', '/organization', { email: 'staff@cbp.test', tenantId: globex.id })).statusCode).toBe(200);
    const entries = await staffEntries(globex.id, 'owner@globex.test');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actorEmail: 'staff@cbp.test', metadata: { method: 'GET', path: '/organization' } });
    expect(await staffEntries(acme.id, 'owner@acme.test')).toHaveLength(1);
  });

  it('lets only one API copy record within the window, and records again once it has passed', async () => {
    const ctx: TenantContext = {
      actor: { type: 'user', id: staffId, email: 'staff@cbp.test' },
      tenantId: acme.id,
      role: 'super_admin',
      ipAddress: '10.0.0.9',
      userAgent: null,
    };
    // Two other copies (their own process-local memory) at once: Acme already has an entry within the window.
    const [copyA, copyB] = [createStaffAccessRecorder(t.database.db), createStaffAccessRecorder(t.database.db)];
    await Promise.all([copyA(ctx, { method: 'GET', path: '/billing' }), copyB(ctx, { method: 'GET', path: '/billing' })]);
    expect(await countAll(acme.id)).toBe(1);

    // The window has passed: of two copies racing, exactly one records.
    await withPlatformScope(t.database.db, (tx) =>
      tx.execute(sql`UPDATE staff_access_marks SET last_recorded_at = now() - interval '31 minutes' WHERE tenant_id = ${acme.id}`),
    );
    const [copyC, copyD] = [createStaffAccessRecorder(t.database.db), createStaffAccessRecorder(t.database.db)];
    await Promise.all([copyC(ctx, { method: 'GET', path: '/billing' }), copyD(ctx, { method: 'POST', path: '/billing' })]);
    expect(await countAll(acme.id)).toBe(2);
    const entries = await staffEntries(acme.id, 'owner@acme.test');
    expect(entries[0]).toMatchObject({ ipAddress: '10.0.0.9', metadata: { path: '/billing', ip: '10.0.0.9' } });
  });
});
