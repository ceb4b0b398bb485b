import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../test/harness.js';
import { inPlatformScope, queryRows, scopeToTenant, withPlatformScope, withTenant, type Tx } from './db.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

/**
 * On PostgreSQL the test context's connection is the API's plain role already. PGlite connects
 * as a superuser, whom row-level security never binds: act as a plain role there, as production does.
 */
async function actAsAppRole(tx: Tx) {
  if (t.database.kind !== 'pglite') return;
  await tx.execute(sql`DO $$ BEGIN CREATE ROLE rls_app_probe; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  await tx.execute(sql`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO rls_app_probe`);
  await tx.execute(sql`SET LOCAL ROLE rls_app_probe`);
}

/** Every table with the tenant policy (monthly usage partitions included). */
const tenantTables = async () =>
  (
    await withPlatformScope(t.database.db, (tx) =>
      queryRows<{ name: string }>(tx, sql`SELECT tablename AS name FROM pg_policies WHERE policyname = 'tenant_isolation' AND schemaname = 'public' ORDER BY 1`),
    )
  ).map((r) => r.name);

async function countsIn(tx: Tx, tables: string[]) {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await queryRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)}`);
    counts[table] = row?.n ?? -1;
  }
  return counts;
}

const auditCount = async (tenantId: string) =>
  (await withTenant(t.database.db, tenantId, (tx) => queryRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = ${tenantId}`)))[0]?.n ?? 0;

const tenantRow = async (tenantId: string) => queryRows(t.database.db, sql`SELECT id FROM tenants WHERE id = ${tenantId}`);

async function verify(tenantId: string, email: string) {
  const res = await t.app.inject({
    url: '/audit-logs/verify',
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { valid: boolean; checked: number };
}

describe('the audit trail outlives what the API can do', () => {
  it("refuses the API's role to delete or truncate a tenant, and the tenant's trail stays whole", async () => {
    const entries = await auditCount(acme.id);
    expect(entries).toBeGreaterThan(0);
    await expect(t.database.execScript(`DELETE FROM tenants WHERE id = '${acme.id}'`)).rejects.toThrow();
    await expect(t.database.execScript(inPlatformScope(`DELETE FROM tenants WHERE id = '${acme.id}'`))).rejects.toThrow();
    await expect(t.database.execScript('TRUNCATE tenants CASCADE')).rejects.toThrow();
    expect(await tenantRow(acme.id)).toHaveLength(1);
    expect(await auditCount(acme.id)).toBe(entries);
    expect(await verify(acme.id, 'admin@acme.test')).toMatchObject({ valid: true, checked: entries });
  });

  it('does not cascade the trail away even for the schema owner: a tenant with a trail cannot be deleted', async () => {
    const id = randomUUID();
    await t.ownerScript(
      inPlatformScope(`INSERT INTO tenants (id, name, slug, plan_id) SELECT '${id}', 'Doomed', 'doomed-${id.slice(0, 8)}', id FROM plans WHERE key = 'pro';
       INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_id) VALUES ('${id}', 'system', 'probe.recorded', 'tenant', '${id}');`),
    );
    expect(await auditCount(id)).toBe(1);
    await expect(t.ownerScript(inPlatformScope(`DELETE FROM tenants WHERE id = '${id}'`))).rejects.toThrow(/foreign key|violates/);
    expect(await tenantRow(id)).toHaveLength(1);
    expect(await auditCount(id)).toBe(1);
  });
});

describe('row-level security fails closed', () => {
  it('shows no tenant rows at all to a transaction without a tenant scope', async () => {
    const tables = await tenantTables();
    expect(tables).toEqual(expect.arrayContaining(['tenant_memberships', 'subscriptions', 'audit_logs', 'payment_methods', 'invoices', 'usage_quotas', 'api_keys', 'mail_outbox']));
    const unscoped = await t.database.db.transaction(async (tx) => {
      await actAsAppRole(tx);
      return countsIn(tx, tables);
    });
    expect(unscoped).toEqual(Object.fromEntries(tables.map((name) => [name, 0])));
    // The same with the setting present but empty (what a pooled connection holds after a scope ended).
    const emptied = await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT set_config('app.tenant_id', '', true), set_config('app.scope', '', true)`);
      await actAsAppRole(tx);
      return countsIn(tx, ['tenant_memberships', 'audit_logs']);
    });
    expect(emptied).toEqual({ tenant_memberships: 0, audit_logs: 0 });
  });

  it('refuses to write a tenant row without a tenant scope', async () => {
    await expect(
      t.database.db.transaction(async (tx) => {
        await actAsAppRole(tx);
        await tx.execute(sql`INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES (${acme.id}, '00000000-0000-4000-8000-000000000b01', 'analyst')`);
      }),
    ).rejects.toSatisfy((e: Error) => /row-level security/.test(String((e.cause as Error | undefined)?.message ?? e.message)));
  });

  it('shows every tenant under the explicit platform scope, and one tenant once narrowed to it', async () => {
    const { all, narrowed } = await withPlatformScope(t.database.db, async (tx) => {
      await actAsAppRole(tx);
      const all = await queryRows<{ tenant_id: string }>(tx, sql`SELECT DISTINCT tenant_id FROM tenant_memberships ORDER BY 1`);
      await scopeToTenant(tx, globex.id);
      const narrowed = await queryRows<{ tenant_id: string }>(tx, sql`SELECT DISTINCT tenant_id FROM tenant_memberships`);
      return { all, narrowed };
    });
    expect(all.map((r) => r.tenant_id).sort()).toEqual([acme.id, globex.id].sort());
    expect(narrowed.map((r) => r.tenant_id)).toEqual([globex.id]);
  });
});

describe('no cross-tenant existence oracle', () => {
  async function call(method: 'GET' | 'POST', url: string, email: string, tenantId: string, payload?: object) {
    return t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
      ...(payload ? { payload } : {}),
    });
  }

  it("answers another tenant's saved payment method exactly like an unknown one", async () => {
    const saved = await call('POST', '/payment-methods', 'owner@acme.test', acme.id, { stripePaymentMethodId: 'pm_card_visa' });
    expect(saved.statusCode).toBe(201);
    const acmePm = (saved.json() as { stripePaymentMethodId: string }).stripePaymentMethodId;

    const foreign = await call('POST', '/payment-methods', 'owner@globex.test', globex.id, { stripePaymentMethodId: acmePm });
    const unknownId = `pm_${'x'.repeat(acmePm.length - 3)}`;
    const unknown = await call('POST', '/payment-methods', 'owner@globex.test', globex.id, { stripePaymentMethodId: unknownId });
    expect(foreign.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    const shape = (body: Record<string, unknown>, id: string) => ({ ...body, detail: String(body.detail).replace(id, '<id>'), requestId: null });
    expect(shape(foreign.json(), acmePm)).toEqual(shape(unknown.json(), unknownId));
    // And nothing moved: Acme still has its method, Globex has none.
    expect((await call('GET', '/payment-methods', 'owner@globex.test', globex.id)).json()).toEqual([]);
    expect(((await call('GET', '/payment-methods', 'owner@acme.test', acme.id)).json() as { stripePaymentMethodId: string }[]).map((m) => m.stripePaymentMethodId)).toContain(acmePm);
  });
});
