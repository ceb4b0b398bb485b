import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';
import type { LocalGateway } from '../../adapters/payments/local.js';
import { GatewayError } from '../../adapters/payments/port.js';
import { closeUsagePeriods, invoiceClosedOverage } from './usage-billing.js';
import { overageOf, projectedUsage } from './usage-periods.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function call(email: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, tenantId: string = acme.id) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
    ...(payload ? { payload } : {}),
  });
}

const report = (email: string, events: object[], tenantId: string = acme.id) => call(email, 'POST', '/usage/events', { events }, tenantId);
const dayAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

describe('pricing helpers', () => {
  it('prices overage per started unit and projects at the run rate', () => {
    expect(overageOf({ includedQuantity: 1000, overagePrice: 150, overageUnit: 100 }, 1001)).toEqual({ quantity: 1, amount: 150 });
    expect(overageOf({ includedQuantity: 1000, overagePrice: 150, overageUnit: 100 }, 1200)).toEqual({ quantity: 200, amount: 300 });
    expect(overageOf({ includedQuantity: 1000, overagePrice: 150, overageUnit: 100 }, 900)).toEqual({ quantity: 0, amount: 0 });
    expect(projectedUsage(500, 0.25)).toBe(2000);
    expect(projectedUsage(500, 0.01)).toBe(500);
  });
});

describe('trends, checks and analytics', () => {
  it('gives monthly and daily trends from the rollups, with empty periods as zero', async () => {
    await report('engineer@acme.test', [
      { metricType: 'workflows', quantity: 40, occurredAt: dayAgo(0), idempotencyKey: 'tr-1' },
      { metricType: 'workflows', quantity: 2, occurredAt: dayAgo(0), idempotencyKey: 'tr-2' },
    ]);
    const monthly = (await call('analyst@acme.test', 'GET', '/usage/trends/workflows?months=3')).json() as { period: string; quantity: number; eventCount: number }[];
    expect(monthly).toHaveLength(3);
    expect(monthly[2]).toMatchObject({ period: new Date().toISOString().slice(0, 7) });
    expect(monthly[2]?.quantity).toBeGreaterThanOrEqual(42);
    const daily = (await call('analyst@acme.test', 'GET', '/usage/trends/workflows?granularity=day')).json() as { period: string; quantity: number }[];
    expect(daily.at(-1)?.period).toBe(new Date().toISOString().slice(0, 10));
    expect(daily.at(-1)?.quantity).toBeGreaterThanOrEqual(42);
    // One point per day of the period so far, days without usage included.
    expect(new Set(daily.map((p) => p.period)).size).toBe(daily.length);
    expect((await call('analyst@acme.test', 'GET', '/usage/trends/teleports')).statusCode).toBe(400);
    expect((await call('analyst@acme.test', 'GET', '/usage/trends/workflows?months=99')).statusCode).toBe(400);
  });

  it('checks a quota against its hard limit', async () => {
    const check = (await call('analyst@acme.test', 'GET', '/usage/quotas/integrations/check')).json();
    expect(check).toMatchObject({ exceeded: false, limit: 10 });
    await report('engineer@acme.test', [{ metricType: 'integrations', quantity: 10, idempotencyKey: 'int-10' }]);
    expect((await call('analyst@acme.test', 'GET', '/usage/quotas/integrations/check')).json()).toMatchObject({ exceeded: true, softExceeded: true, limit: 10 });
  });

  it('reports overage so far and projected at the current run rate', async () => {
    // Put the period half way through, with 600k API calls: the run rate projects 1.2M, over the 1M included.
    await t.database.execScript(
      `UPDATE usage_quotas SET period_start = now() - interval '15 days', period_end = now() + interval '15 days', current_usage = 600000 WHERE tenant_id = '${acme.id}' AND metric_type = 'api_calls'`,
    );
    const analytics = (await call('analyst@acme.test', 'GET', '/usage/analytics')).json();
    const now = analytics.metrics.find((m: { metricType: string }) => m.metricType === 'api_calls');
    expect(now).toMatchObject({ totalUsage: 600_000, overageUsage: 0, overageAmount: 0 });
    const projected = analytics.projected.metrics.find((m: { metricType: string }) => m.metricType === 'api_calls');
    expect(projected.totalUsage).toBeGreaterThan(1_150_000);
    expect(projected.totalUsage).toBeLessThan(1_250_000);
    // Pro: 150 cents per started 10,000 calls over 1M.
    expect(projected.overageAmount).toBe(Math.ceil((projected.totalUsage - 1_000_000) / 10_000) * 150);
    expect(analytics.projected.elapsed).toBeCloseTo(0.5, 1);
    expect((await call('analyst@acme.test', 'GET', '/usage/analytics?billingPeriod=2026-13')).statusCode).toBe(400);
  });
});

describe('alerts', () => {
  it('raises each threshold once per period, for the tenant only', async () => {
    const alerts = async () => (await call('analyst@acme.test', 'GET', '/usage/alerts')).json() as { metricType: string; threshold: string; severity: string }[];
    // integrations crossed its soft (8) and hard (10) limits above.
    expect((await alerts()).filter((a) => a.metricType === 'integrations').map((a) => [a.threshold, a.severity]).sort()).toEqual([
      ['hard_limit', 'critical'],
      ['soft_limit', 'warning'],
    ]);
    // Half way with 600k calls projects an overage: raised with the next report, once.
    await report('engineer@acme.test', [{ metricType: 'api_calls', quantity: 1, idempotencyKey: 'proj-1' }]);
    await report('engineer@acme.test', [{ metricType: 'api_calls', quantity: 1, idempotencyKey: 'proj-2' }]);
    await report('engineer@acme.test', [{ metricType: 'integrations', quantity: 1, idempotencyKey: 'int-11' }]);
    const all = await alerts();
    expect(all.filter((a) => a.metricType === 'api_calls').map((a) => a.threshold)).toEqual(['projected_overage']);
    expect(all.filter((a) => a.metricType === 'integrations')).toHaveLength(2);
    expect((await call('owner@globex.test', 'GET', '/usage/alerts', undefined, globex.id)).json()).toEqual([]);
  });
});

describe('quota management', () => {
  it('lets an admin change the soft limit below the hard limit, audited; analysts cannot', async () => {
    const res = await call('admin@acme.test', 'PATCH', '/usage/quotas/storage_gb', { softLimit: 90 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ metricType: 'storage_gb', softLimit: 90, hardLimit: 200 });
    expect((await call('admin@acme.test', 'PATCH', '/usage/quotas/storage_gb', { softLimit: 200 })).statusCode).toBe(422);
    expect((await call('admin@acme.test', 'PATCH', '/usage/quotas/storage_gb', { softLimit: -1 })).statusCode).toBe(400);
    expect((await call('analyst@acme.test', 'PATCH', '/usage/quotas/storage_gb', { softLimit: 10 })).statusCode).toBe(403);
    const [entry] = await platformRows<{ before: unknown; after: unknown }>(t.database.db, sql`SELECT before, after FROM audit_logs WHERE action = 'quota.soft_limit_changed'`);
    expect(entry).toEqual({ before: { softLimit: 80 }, after: { softLimit: 90 } });
  });

  it("initializes only the current plan's quotas unless platform staff asks", async () => {
    const plans = (await call('admin@acme.test', 'GET', '/plans')).json() as { id: string; tier: string }[];
    const enterprise = plans.find((p) => p.tier === 'enterprise')?.id;
    const raise = await call('admin@acme.test', 'POST', '/usage/quotas/initialize', { planId: enterprise });
    expect(raise.statusCode).toBe(422);
    expect((await call('admin@acme.test', 'POST', '/usage/quotas/initialize', {})).json()).toEqual({ quotasCreated: 0, planTier: 'pro' });
    expect((await call('analyst@acme.test', 'POST', '/usage/quotas/initialize', {})).statusCode).toBe(403);
  });

  it('resets only ended periods: freezes the summary with its overage and starts the next period', async () => {
    const skipped = (await call('admin@acme.test', 'POST', '/usage/quotas/reset', {})).json();
    expect(skipped).toMatchObject({ reset: [], periodStart: null });
    expect(skipped.skipped).toHaveLength(5);
    expect((await call('admin@acme.test', 'POST', '/usage/quotas/reset', { force: true })).statusCode).toBe(403);

    // The storage period ended yesterday with 250 GB (Pro: 100 included, 30 cents per GB over).
    await t.database.execScript(
      `UPDATE usage_quotas SET period_start = now() - interval '31 days', period_end = now() - interval '1 day', current_usage = 250 WHERE tenant_id = '${acme.id}' AND metric_type = 'storage_gb'`,
    );
    const res = (await call('admin@acme.test', 'POST', '/usage/quotas/reset', {})).json();
    expect(res.reset).toEqual(['storage_gb']);
    expect(res.skipped).toHaveLength(4);
    const quotas = (await call('analyst@acme.test', 'GET', '/usage/quotas')).json() as { metricType: string; currentUsage: number; periodStart: string; periodEnd: string }[];
    const storage = quotas.find((q) => q.metricType === 'storage_gb');
    // The new period counts only what was reported inside it.
    const [inNew] = await platformRows<{ q: string | null }>(
      t.database.db,
      sql`SELECT sum(quantity)::text AS q FROM usage_events WHERE tenant_id = ${acme.id} AND metric_type = 'storage_gb' AND occurred_at >= ${storage?.periodStart ?? ''}::timestamptz`,
    );
    expect(storage?.currentUsage).toBe(Number(inNew?.q ?? 0));
    expect(new Date(storage?.periodEnd ?? 0).getTime()).toBeGreaterThan(Date.now());
    const summaries = (await call('analyst@acme.test', 'GET', '/usage/summaries')).json() as { metricType: string; frozen: boolean; totalQuantity: number; overageQuantity: number; overageAmount: number }[];
    expect(summaries.find((s) => s.frozen && s.metricType === 'storage_gb')).toMatchObject({ totalQuantity: 250, overageQuantity: 150, overageAmount: 4_500 });
    // Closing again changes nothing: the next period has not ended.
    expect((await call('admin@acme.test', 'POST', '/usage/quotas/reset', { metricType: 'storage_gb' })).json()).toMatchObject({ reset: [], skipped: ['storage_gb'], invoiced: [] });
  });

  it("puts a closed period's overage on the next invoice, once", async () => {
    // The storage period closed by the previous test: $45.00 of overage, already on the invoice.
    const summaries = (await call('analyst@acme.test', 'GET', '/usage/summaries')).json() as { metricType: string; frozen: boolean; overageBilling: string; invoicedAt: string | null }[];
    expect(summaries.find((s) => s.frozen && s.metricType === 'storage_gb')).toMatchObject({ overageBilling: 'invoiced', invoicedAt: expect.any(String) });
    expect(summaries.find((s) => !s.frozen && s.metricType === 'integrations')).toMatchObject({ overageBilling: 'none', invoicedAt: null });
    const upcoming = (await call('analyst@acme.test', 'GET', '/invoices/upcoming')).json() as { amountDue: number; lines: { description: string; amount: number }[] };
    const overageLines = upcoming.lines.filter((l) => l.description.startsWith('Storage over the included 100'));
    expect(overageLines).toEqual([{ description: expect.stringContaining('150 GB'), amount: 4_500 }]);
    const [audit] = await platformRows<{ actor_type: string; after: { amount: number } }>(t.database.db, sql`SELECT actor_type, after FROM audit_logs WHERE action = 'usage.overage_invoiced' AND tenant_id = ${acme.id}`);
    expect(audit).toMatchObject({ actor_type: 'user', after: { amount: 4_500 } });

    // Another API copy retrying the same summary (e.g. after a crash before the item id was stored) adds no second line.
    await t.database.execScript(`UPDATE usage_summaries SET invoice_item_id = NULL, invoiced_at = NULL WHERE tenant_id = '${acme.id}'`);
    const local = t.app.payments.local;
    if (!local) throw new Error('the tests run on the local gateway');
    expect((await call('admin@acme.test', 'POST', '/usage/quotas/reset', {})).json()).toMatchObject({ reset: [], invoiced: ['storage_gb'] });
    const again = (await call('analyst@acme.test', 'GET', '/invoices/upcoming')).json() as { lines: { description: string }[] };
    expect(again.lines.filter((l) => l.description.startsWith('Storage over the included 100'))).toHaveLength(1);

    // The gateway down: the overage waits as pending and the period-close job brings it over later.
    await t.database.execScript(`UPDATE usage_summaries SET invoice_item_id = NULL, invoiced_at = NULL WHERE tenant_id = '${acme.id}'`);
    const down: LocalGateway = Object.create(local, { addInvoiceItem: { value: () => Promise.reject(new GatewayError('stripe_unavailable', 'Stripe is unreachable', 503)) } });
    expect(await invoiceClosedOverage(t.database.db, down, acme.id)).toEqual({ invoiced: [], pending: ['storage_gb'] });
    const waiting = (await call('analyst@acme.test', 'GET', '/usage/summaries')).json() as { metricType: string; frozen: boolean; overageBilling: string }[];
    expect(waiting.find((s) => s.frozen && s.metricType === 'storage_gb')).toMatchObject({ overageBilling: 'pending' });
    // The job visits only the tenants with something to do: here Acme, for its pending overage.
    expect(await closeUsagePeriods(t.database.db, local)).toMatchObject({ tenants: 1, closed: 0, invoiced: 1, pending: 0 });
    const billed = (await call('analyst@acme.test', 'GET', '/invoices/upcoming')).json() as { lines: { description: string }[] };
    expect(billed.lines.filter((l) => l.description.startsWith('Storage over the included 100'))).toHaveLength(1);
  });

  it("freezes the exact number of the period's events, whatever hour the period ends at", async () => {
    const open = async () =>
      ((await call('analyst@acme.test', 'GET', '/usage/summaries')).json() as { metricType: string; frozen: boolean; eventCount: number }[]).find(
        (s) => !s.frozen && s.metricType === 'workflows',
      )?.eventCount ?? -1;
    const before = await open();
    await report('engineer@acme.test', [
      { metricType: 'workflows', quantity: 1, idempotencyKey: 'count-1' },
      { metricType: 'workflows', quantity: 1, idempotencyKey: 'count-2' },
      { metricType: 'workflows', quantity: 1, idempotencyKey: 'count-2' },
    ]);
    expect(await open()).toBe(before + 2);
    // Platform staff close the period now, in the middle of a day.
    expect((await call('staff@cbp.test', 'POST', '/usage/quotas/reset', { metricType: 'workflows', force: true })).json()).toMatchObject({ reset: ['workflows'] });
    const summaries = (await call('analyst@acme.test', 'GET', '/usage/summaries')).json() as { metricType: string; frozen: boolean; eventCount: number; periodEnd: string }[];
    const closed = summaries.filter((s) => s.frozen && s.metricType === 'workflows').sort((a, b) => b.periodEnd.localeCompare(a.periodEnd))[0];
    expect(closed?.eventCount).toBe(before + 2);
    expect(await open()).toBe(0);
  });

  it('closes ended periods by itself at renewal: the overage is a usage line of the renewal invoice', async () => {
    const local = t.app.payments.local;
    if (!local) throw new Error('the tests run on the local gateway');
    // Globex (Starter) used 2,500 workflow runs this period; its subscription renews (the clock
    // moves for every subscription due by then: Acme's too, so later tests run in Acme's next period).
    const sub = (await call('owner@globex.test', 'GET', '/subscriptions/current', undefined, globex.id)).json() as { currentPeriodStart: string; currentPeriodEnd: string };
    await call('owner@globex.test', 'GET', '/usage/quotas', undefined, globex.id);
    await t.database.execScript(
      `UPDATE usage_quotas SET period_start = '${sub.currentPeriodStart}', period_end = '${sub.currentPeriodEnd}', current_usage = 2500 WHERE tenant_id = '${globex.id}' AND metric_type = 'workflows'`,
    );
    const workflows = ((await call('owner@globex.test', 'GET', '/usage/quotas', undefined, globex.id)).json() as { metricType: string; includedQuantity: number; overagePrice: number; overageUnit: number }[]).find((q) => q.metricType === 'workflows');
    if (!workflows) throw new Error('Globex has a workflows quota');
    const expected = Math.ceil((2500 - workflows.includedQuantity) / workflows.overageUnit) * workflows.overagePrice;
    expect(expected).toBeGreaterThan(0);

    await local.advanceClock(new Date(new Date(sub.currentPeriodEnd).getTime() + 60_000));
    await local.deliverEvents();
    const { data } = (await call('owner@globex.test', 'GET', '/invoices', undefined, globex.id)).json() as { data: { lines: { kind: string; metricType: string | null; quantity: number; amount: number }[] }[] };
    const usage = data[0]?.lines.filter((l) => l.kind === 'usage');
    // Billed in the priced unit (issue 17): started blocks of `overageUnit` runs at `overagePrice` each.
    expect(usage).toEqual([
      expect.objectContaining({
        metricType: 'workflows',
        usedQuantity: 2500,
        includedQuantity: workflows.includedQuantity,
        unitSize: workflows.overageUnit,
        quantity: Math.ceil((2500 - workflows.includedQuantity) / workflows.overageUnit),
        unitAmount: workflows.overagePrice,
        amount: expected,
      }),
    ]);
    const summaries = (await call('owner@globex.test', 'GET', '/usage/summaries', undefined, globex.id)).json() as { metricType: string; frozen: boolean; overageBilling: string }[];
    expect(summaries.find((s) => s.frozen && s.metricType === 'workflows')).toMatchObject({ overageBilling: 'invoiced' });
    const [entry] = await platformRows<{ actor_type: string }>(t.database.db, sql`SELECT actor_type FROM audit_logs WHERE action = 'quota.reset' AND tenant_id = ${globex.id}`);
    expect(entry).toEqual({ actor_type: 'system' });
    // Acme's storage overage (closed earlier) went onto Acme's renewal invoice, not Globex's.
    expect(JSON.stringify(data)).not.toContain('Storage over');
    const acmeInvoices = (await call('analyst@acme.test', 'GET', '/invoices')).json() as { data: { lines: { kind: string; metricType: string | null; amount: number }[] }[] };
    expect(acmeInvoices.data[0]?.lines.filter((l) => l.kind === 'usage')).toEqual(expect.arrayContaining([expect.objectContaining({ metricType: 'storage_gb', amount: 4_500 })]));
  });

  it('drops idempotency keys once no event they could protect would be accepted', async () => {
    await report('engineer@acme.test', [{ metricType: 'api_calls', quantity: 1, idempotencyKey: 'old-key' }, { metricType: 'api_calls', quantity: 1, idempotencyKey: 'new-key' }]);
    await t.database.execScript(`UPDATE usage_event_keys SET received_at = now() - interval '37 days' WHERE idempotency_key = 'old-key'`);
    const local = t.app.payments.local;
    if (!local) throw new Error('the tests run on the local gateway');
    const run = await closeUsagePeriods(t.database.db, local);
    expect(run).toMatchObject({ tenants: 0, keysExpired: 1 });
    const keys = await platformRows<{ idempotency_key: string }>(t.database.db, sql`SELECT idempotency_key FROM usage_event_keys WHERE idempotency_key IN ('old-key', 'new-key')`);
    expect(keys.map((k) => k.idempotency_key)).toEqual(['new-key']);
    // A key still kept keeps protecting.
    expect((await report('engineer@acme.test', [{ metricType: 'api_calls', quantity: 1, idempotencyKey: 'new-key' }])).json()).toEqual({ accepted: 0, duplicates: 1 });
  });
});

describe('API keys', () => {
  it('lets a service report usage with a key; the key does nothing else and stops when revoked', async () => {
    const created = await call('admin@acme.test', 'POST', '/api-keys', { name: 'Metering service' });
    expect(created.statusCode).toBe(201);
    const { id, secret, prefix } = created.json() as { id: string; secret: string; prefix: string };
    expect(secret).toMatch(/^cbp_live_[\w-]{43}$/);
    expect(secret.startsWith(prefix.replace('…', ''))).toBe(true);
    const listed = (await call('admin@acme.test', 'GET', '/api-keys')).json();
    expect(JSON.stringify(listed)).not.toContain(secret);

    const withKey = (url: string, method: 'GET' | 'POST', payload?: object, tenantId?: string) =>
      t.app.inject({ method, url, headers: { authorization: `Bearer ${secret}`, ...(tenantId ? { 'x-tenant-id': tenantId } : {}) }, ...(payload ? { payload } : {}) });
    const sent = await withKey('/usage/events', 'POST', { events: [{ metricType: 'api_calls', quantity: 3, idempotencyKey: 'key-1' }] });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json()).toEqual({ accepted: 1, duplicates: 0 });
    const [event] = await platformRows<{ source_type: string; source_id: string }>(t.database.db, sql`SELECT source_type, source_id FROM usage_events WHERE idempotency_key = 'key-1'`);
    expect(event).toEqual({ source_type: 'api_key', source_id: id });
    expect((await withKey('/usage/status', 'GET')).statusCode).toBe(403);
    expect((await withKey('/users', 'GET')).statusCode).toBe(403);
    expect((await withKey('/usage/events', 'POST', { events: [{ metricType: 'api_calls', quantity: 1, idempotencyKey: 'key-2' }] }, globex.id)).statusCode).toBe(403);

    expect((await call('admin@acme.test', 'DELETE', `/api-keys/${id}`)).statusCode).toBe(204);
    expect((await withKey('/usage/events', 'POST', { events: [{ metricType: 'api_calls', quantity: 1, idempotencyKey: 'key-3' }] })).statusCode).toBe(401);
    expect((await call('admin@acme.test', 'DELETE', `/api-keys/${id}`)).statusCode).toBe(409);
    expect((await call('engineer@acme.test', 'GET', '/api-keys')).statusCode).toBe(403);
    expect((await call('owner@globex.test', 'DELETE', `/api-keys/${id}`, undefined, globex.id)).statusCode).toBe(404);
  });
});
