import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function call(email: string, method: 'GET' | 'POST', url: string, payload?: object, tenantId: string = acme.id) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
    ...(payload ? { payload } : {}),
  });
}

type Status = { metricType: string; currentUsage: number; softLimit: number | null; hardLimit: number | null; isOverSoftLimit: boolean; percentUsed: number; remainingAllowance: number | null };
const statusOf = async (metric: string, email = 'analyst@acme.test', tenantId: string = acme.id) =>
  ((await call(email, 'GET', '/usage/status', undefined, tenantId)).json() as Status[]).find((s) => s.metricType === metric);

const batch = (prefix: string, n: number, quantity = 10, metricType = 'api_calls') => ({
  events: Array.from({ length: n }, (_, i) => ({ metricType, quantity, idempotencyKey: `${prefix}-${i}` })),
});

describe('POST /usage/events', () => {
  it('records a batch and counts it against the quota of the current period', async () => {
    const before = (await statusOf('api_calls'))?.currentUsage ?? 0;
    const res = await call('engineer@acme.test', 'POST', '/usage/events', batch('a', 1000, 7));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ accepted: 1000, duplicates: 0 });
    expect((await statusOf('api_calls'))?.currentUsage).toBe(before + 7000);
  });

  it('counts the same batch posted twice as duplicates the second time; totals do not move', async () => {
    const first = await call('engineer@acme.test', 'POST', '/usage/events', batch('twice', 50, 3));
    expect(first.json()).toEqual({ accepted: 50, duplicates: 0 });
    const total = (await statusOf('api_calls'))?.currentUsage;
    const [rollup] = await platformRows<{ q: string }>(t.database.db, sql`SELECT sum(quantity)::text AS q FROM usage_daily WHERE tenant_id = ${acme.id} AND metric_type = 'api_calls'`);
    const second = await call('engineer@acme.test', 'POST', '/usage/events', batch('twice', 50, 3));
    expect(second.json()).toEqual({ accepted: 0, duplicates: 50 });
    expect((await statusOf('api_calls'))?.currentUsage).toBe(total);
    const [after] = await platformRows<{ q: string }>(t.database.db, sql`SELECT sum(quantity)::text AS q FROM usage_daily WHERE tenant_id = ${acme.id} AND metric_type = 'api_calls'`);
    expect(after?.q).toBe(rollup?.q);
    // A key repeated inside one batch counts once too.
    const inBatch = await call('engineer@acme.test', 'POST', '/usage/events', { events: [...batch('dup', 2).events, ...batch('dup', 2).events] });
    expect(inBatch.json()).toEqual({ accepted: 2, duplicates: 2 });
  });

  it('refuses a batch with an invalid event as a whole, recording nothing', async () => {
    const before = (await statusOf('api_calls'))?.currentUsage;
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const res = await call('engineer@acme.test', 'POST', '/usage/events', {
      events: [
        { metricType: 'api_calls', quantity: 5, idempotencyKey: 'ok-1' },
        { metricType: 'api_calls', quantity: 5, occurredAt: old, idempotencyKey: 'late-1' },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'body.events.1.occurredAt', message: 'More than 35 days ago: too late to be billed' }]);
    for (const bad of [
      { metricType: 'teleports', quantity: 1, idempotencyKey: 'x' },
      { metricType: 'api_calls', quantity: -3, idempotencyKey: 'x' },
      { metricType: 'api_calls', quantity: 1.5, idempotencyKey: 'x' },
      { metricType: 'api_calls', quantity: 1 },
    ]) {
      expect((await call('engineer@acme.test', 'POST', '/usage/events', { events: [bad] })).statusCode).toBe(400);
    }
    expect((await call('engineer@acme.test', 'POST', '/usage/events', batch('big', 1001))).statusCode).toBe(400);
    expect((await statusOf('api_calls'))?.currentUsage).toBe(before);
    // ok-1 was not recorded, so it is new now.
    expect((await call('engineer@acme.test', 'POST', '/usage/events', { events: [{ metricType: 'api_calls', quantity: 5, idempotencyKey: 'ok-1' }] })).json()).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('is for engineers and above, and keeps tenants apart', async () => {
    expect((await call('analyst@acme.test', 'POST', '/usage/events', batch('analyst', 1))).statusCode).toBe(403);
    const globexBefore = (await statusOf('api_calls', 'owner@globex.test', globex.id))?.currentUsage;
    await call('engineer@acme.test', 'POST', '/usage/events', batch('apart', 10, 100));
    expect((await statusOf('api_calls', 'owner@globex.test', globex.id))?.currentUsage).toBe(globexBefore);
    // The same key in another tenant is a different event.
    expect((await call('owner@globex.test', 'POST', '/usage/events', batch('apart', 1), globex.id)).json()).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('stores events in monthly partitions and keeps the raw events out of status reads', async () => {
    const parts = await platformRows<{ name: string; rows: number }>(
      t.database.db,
      sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_events'::regclass ORDER BY 1`,
    );
    const month = new Date().toISOString().slice(0, 7).replace('-', '');
    expect(parts.map((p) => p.name)).toContain(`usage_events_${month}`);
    const [inMonth] = await platformRows<{ n: number }>(t.database.db, sql.raw(`SELECT count(*)::int AS n FROM usage_events_${month} WHERE tenant_id = '${acme.id}'`));
    expect(inMonth?.n).toBeGreaterThanOrEqual(1000);
  });
});

describe('GET /usage/status and /usage/quotas', () => {
  it("show the plan's limits for the current period (analyst)", async () => {
    const quotas = (await call('analyst@acme.test', 'GET', '/usage/quotas')).json() as { metricType: string; includedQuantity: number; softLimit: number; hardLimit: number; periodStart: string; periodEnd: string }[];
    expect(quotas.map((q) => q.metricType)).toEqual(['api_calls', 'integrations', 'storage_gb', 'users', 'workflows']);
    expect(quotas[0]).toMatchObject({ includedQuantity: 1_000_000, softLimit: 800_000, hardLimit: 1_500_000 });
    expect(new Date(quotas[0]?.periodEnd ?? 0).getTime()).toBeGreaterThan(Date.now());
    const status = await statusOf('api_calls');
    expect(status).toMatchObject({ softLimit: 800_000, hardLimit: 1_500_000, isOverSoftLimit: false });
    expect(status?.remainingAllowance).toBe(1_500_000 - (status?.currentUsage ?? 0));
  });

  it('flags a metric over its soft limit', async () => {
    const before = (await statusOf('workflows'))?.currentUsage ?? 0;
    // Pro: workflows soft limit 8,000.
    await call('engineer@acme.test', 'POST', '/usage/events', { events: [{ metricType: 'workflows', quantity: 8_000 - before, idempotencyKey: 'wf-soft' }] });
    expect(await statusOf('workflows')).toMatchObject({ currentUsage: 8_000, isOverSoftLimit: true, isOverHardLimit: false, percentUsed: 40 });
  });
});
