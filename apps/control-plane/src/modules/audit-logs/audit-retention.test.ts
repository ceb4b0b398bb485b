import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';
import { applyAuditRetention } from './audit-retention.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

const ownerOfAcme = '00000000-0000-4000-8000-000000000a04';
const globexOwner = '00000000-0000-4000-8000-000000000b01';

async function verify(tenantId: string) {
  const email = tenantId === acme.id ? 'admin@acme.test' : 'owner@globex.test';
  const res = await t.app.inject({
    url: '/audit-logs/verify',
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { valid: boolean; checked: number; firstBroken: { id: string; reason: string } | null; head: { hash: string } | null; retention: { days: number; purgedTotal: number } };
}

const countOf = async (tenantId: string, extra = sql``) =>
  Number((await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = ${tenantId} ${extra}`))[0]?.n);

/** A tenant on a plan, with its own audit trail written in time order (oldest first). */
async function tenantWithHistory(planKey: string, ages: number[]) {
  const id = randomUUID();
  await t.database.execScript(`
    INSERT INTO tenants (id, name, slug, plan_id) SELECT '${id}', 'Retention ${planKey}', 'ret-${id.slice(0, 8)}', id FROM plans WHERE key = '${planKey}';
    ${ages
      .map(
        (days, i) => `INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_id, created_at)
          VALUES ('${id}', 'system', 'probe.recorded', 'tenant', '${i}', now() - interval '${days} days');`,
      )
      .join('\n')}`);
  return id;
}

describe('append-only audit trail', () => {
  it("refuses UPDATE, DELETE and TRUNCATE from the API's database role", async () => {
    const before = await countOf(acme.id);
    await expect(t.database.execScript(`UPDATE audit_logs SET action = 'x' WHERE tenant_id = '${acme.id}'`)).rejects.toThrow();
    await expect(t.database.execScript(`DELETE FROM audit_logs WHERE tenant_id = '${acme.id}'`)).rejects.toThrow();
    await expect(t.database.execScript('TRUNCATE audit_logs')).rejects.toThrow();
    expect(await countOf(acme.id)).toBe(before);
    expect((await verify(acme.id)).valid).toBe(true);
  });

  it('outlives its tenant: deleting a tenant that has a trail is refused, nothing cascades (migration 0019)', async () => {
    const id = await tenantWithHistory('pro', [3, 2, 1]);
    expect(await countOf(id)).toBe(3);
    await expect(t.database.execScript(`DELETE FROM tenants WHERE id = '${id}'`)).rejects.toThrow();
    await expect(t.ownerScript(`DELETE FROM tenants WHERE id = '${id}'`)).rejects.toThrow();
    expect(await countOf(id)).toBe(3);
  });

  it('cannot be rewritten through the retention function: the cutoff comes from the plan', async () => {
    const before = await countOf(acme.id);
    const [row] = await platformRows<{ removed: number }>(t.database.db, sql`SELECT purge_expired_audit_logs(${acme.id}::uuid, 1000)::int AS removed`);
    expect(row?.removed).toBe(0);
    expect(await countOf(acme.id)).toBe(before);
  });
});

describe('retention job', () => {
  it("removes entries older than the plan keeps, keeps the rest, and the chain still verifies", async () => {
    // Starter keeps 30 days: 3 entries are older, 2 are inside.
    const starter = await tenantWithHistory('starter', [90, 60, 31, 29, 1]);
    // Pro keeps a year: nothing of this goes.
    const pro = await tenantWithHistory('pro', [200, 100, 31]);

    const run = await applyAuditRetention(t.database.db);
    expect(run.removed).toBe(3);
    expect(await countOf(starter, sql`AND action = 'probe.recorded'`)).toBe(2);
    expect(await countOf(starter, sql`AND created_at < now() - interval '30 days'`)).toBe(0);
    expect(await countOf(pro)).toBe(3);

    // The purge is itself on the record, and the remaining chain links to the anchor.
    const [purge] = await platformRows<{ actor_type: string; metadata: { removed: number; retentionDays: number } }>(
      t.database.db,
      sql`SELECT actor_type, metadata FROM audit_logs WHERE tenant_id = ${starter} AND action = 'audit_log.purged'`,
    );
    expect(purge).toMatchObject({ actor_type: 'system', metadata: { removed: 3, retentionDays: 30 } });

    // Running again finds nothing more to remove.
    expect((await applyAuditRetention(t.database.db)).removed).toBe(0);
  });

  it('reports the retention on /verify and keeps the demo tenants whole', async () => {
    const result = await verify(globex.id);
    expect(result).toMatchObject({ valid: true, retention: { days: 30, purgedTotal: 0 } });
    expect(result.head?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await verify(acme.id)).retention.days).toBe(365);
  });

  it('after a purge, a forged anchor is reported at the first remaining entry', async () => {
    const id = await tenantWithHistory('starter', [45, 40, 2]);
    await applyAuditRetention(t.database.db);
    const [first] = await platformRows<{ id: string }>(t.database.db, sql`SELECT id FROM audit_logs WHERE tenant_id = ${id} ORDER BY seq LIMIT 1`);
    const chain = await withTenantVerify(id);
    expect(chain).toMatchObject({ valid: true, firstBroken: null, retention: { purgedTotal: 2 } });
    await t.ownerScript(`UPDATE audit_log_anchors SET hash = repeat('0', 64) WHERE tenant_id = '${id}'`);
    expect(await withTenantVerify(id)).toMatchObject({ valid: false, firstBroken: { id: first?.id, reason: 'chain_broken' } });
  });
});

/** GET as an admin of a tenant created by the test (the owner of Acme is made its admin). */
async function getAsAdmin(tenantId: string, url: string) {
  await t.database.execScript(
    `INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES ('${tenantId}', '${ownerOfAcme}', 'admin') ON CONFLICT DO NOTHING`,
  );
  const res = await t.app.inject({ url, headers: { authorization: `Bearer ${await t.tokenFor('owner@acme.test')}`, 'x-tenant-id': tenantId } });
  expect(res.statusCode).toBe(200);
  return res.json() as unknown;
}

const withTenantVerify = (tenantId: string) => getAsAdmin(tenantId, '/audit-logs/verify');

describe('counts', () => {
  it('equal an entry-by-entry count for any date range and action, before and after a purge', async () => {
    // Entries every 5 hours over 40 days, two actions alternating.
    const id = randomUUID();
    await t.database.execScript(`
      INSERT INTO tenants (id, name, slug, plan_id) SELECT '${id}', 'Counting', 'count-${id.slice(0, 8)}', id FROM plans WHERE key = 'starter';
      INSERT INTO audit_logs (tenant_id, actor_type, actor_id, action, target_type, created_at)
        SELECT '${id}', 'user', CASE WHEN g % 3 = 0 THEN '${ownerOfAcme}'::uuid ELSE '${globexOwner}'::uuid END,
               CASE WHEN g % 2 = 0 THEN 'a.even' ELSE 'a.odd' END, 'tenant', now() - (192 - g) * interval '5 hours'
        FROM generate_series(0, 191) AS g;`);
    const hours = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    const midnight = (daysAgo: number) => {
      const d = new Date();
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - daysAgo)).toISOString();
    };
    const ranges: { from?: string; to?: string; action?: string; actorId?: string }[] = [
      {},
      { action: 'a.odd' },
      { actorId: ownerOfAcme },
      { actorId: globexOwner, from: midnight(25), to: hours(40) },
      { actorId: globexOwner, action: 'a.even', from: hours(700) },
      { from: hours(500) },
      { to: hours(300) },
      { from: hours(900), to: hours(100), action: 'a.even' },
      { from: midnight(20), to: midnight(5) },
      { from: midnight(20), to: hours(2) },
      { from: hours(30), to: hours(10) },
      { from: midnight(3), to: midnight(3) },
    ];
    const check = async () => {
      for (const r of ranges) {
        const query = new URLSearchParams(r as Record<string, string>).toString();
        const [direct] = await platformRows<{ n: number }>(
          t.database.db,
          sql`SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = ${id}
              ${r.action ? sql`AND action = ${r.action}` : sql``}
              ${r.actorId ? sql`AND actor_id = ${r.actorId}` : sql``}
              ${r.from ? sql`AND created_at >= ${r.from}::timestamptz` : sql``}
              ${r.to ? sql`AND created_at <= ${r.to}::timestamptz` : sql``}`,
        );
        expect({ query, count: ((await getAsAdmin(id, `/audit-logs/count?${query}`)) as { count: number }).count }).toEqual({ query, count: direct?.n });
        expect(((await getAsAdmin(id, `/audit-logs?limit=5&${query}`)) as { total: number }).total).toBe(direct?.n);
      }
    };
    await check();
    expect((await applyAuditRetention(t.database.db)).removed).toBeGreaterThan(0);
    await check();
  });
});
