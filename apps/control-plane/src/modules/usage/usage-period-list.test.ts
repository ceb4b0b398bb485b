import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function get(email: string, url: string, tenantId: string = acme.id) {
  return t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId } });
}

interface Period {
  billingPeriod: string;
  periodStart: string;
  periodEnd: string;
  current: boolean;
  closed: boolean;
}

const periods = async (email = 'analyst@acme.test', tenantId: string = acme.id) => {
  const res = await get(email, '/usage/periods', tenantId);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Period[];
};

/** API calls of the demo seed's history before the current period (src/seed/demo.ts). */
const acmeHistory = [812_000, 905_000, 1_040_000, 968_000, 1_120_000, 1_065_000];

describe('GET /usage/periods', () => {
  it("lists the current period first, then the six months of Acme's history, newest first and back to back", async () => {
    const list = await periods();
    const [current, ...past] = list;
    const status = (await get('analyst@acme.test', '/usage/analytics')).json() as { period: string; periodStart: string };
    expect(current).toMatchObject({ current: true, closed: false, billingPeriod: status.period, periodStart: status.periodStart });
    expect(past.length).toBeGreaterThanOrEqual(6);
    expect(past.every((p) => !p.current && !p.closed)).toBe(true);
    expect(new Set(list.map((p) => p.billingPeriod)).size).toBe(list.length);
    // Each period ends where the next newer one starts.
    list.slice(1).forEach((p, i) => expect(p.periodEnd).toBe(list[i]?.periodStart));
    for (const p of list) expect(p.billingPeriod).toMatch(/^\d{4}-(0[1-9]|1[0-2])$/);
  });

  it('offers exactly the periods that hold the history: their API calls add up to it', async () => {
    const past = (await periods()).filter((p) => !p.current);
    let total = 0;
    for (const p of past) {
      const res = await get('analyst@acme.test', `/usage/analytics?billingPeriod=${p.billingPeriod}`);
      expect(res.statusCode, res.body).toBe(200);
      const analytics = res.json() as { periodStart: string; metrics: { metricType: string; totalUsage: number }[] };
      expect(analytics.periodStart).toBe(p.periodStart);
      const calls = analytics.metrics.find((m) => m.metricType === 'api_calls')?.totalUsage ?? 0;
      expect(calls, p.billingPeriod).toBeGreaterThan(0);
      total += calls;
    }
    expect(total).toBe(acmeHistory.reduce((s, n) => s + n, 0));
  });

  it('marks a period CBP closed (frozen summaries) as closed, once', async () => {
    const before = await periods();
    const target = before.filter((p) => !p.current)[1];
    if (!target) throw new Error('no past period');
    await t.ownerScript(
      `INSERT INTO usage_summaries (tenant_id, metric_type, period_start, period_end, total_quantity, included_quantity, overage_quantity, overage_amount, currency, event_count)
       VALUES ('${acme.id}', 'api_calls', '${target.periodStart}', '${target.periodEnd}', 905000, 1000000, 0, 0, 'usd', 3620)`,
    );
    const after = await periods();
    expect(after.map((p) => p.billingPeriod)).toEqual(before.map((p) => p.billingPeriod));
    expect(after.find((p) => p.billingPeriod === target.billingPeriod)).toMatchObject({ closed: true, periodStart: target.periodStart, periodEnd: target.periodEnd });
    expect(after.filter((p) => p.closed)).toHaveLength(1);
  });

  it("gives each tenant its own periods: without history, Globex's list is the current period only", async () => {
    await t.ownerScript(`DELETE FROM usage_daily WHERE tenant_id = '${globex.id}' AND day < now() - interval '40 days'`);
    const list = await periods('owner@globex.test', globex.id);
    expect(list[0]?.current).toBe(true);
    expect(list.every((p) => !p.closed)).toBe(true);
    // What is left of Globex's rollup lies in (at most) the period before the current one.
    expect(list.length).toBeLessThanOrEqual(3);
    expect((await get('owner@globex.test', '/usage/periods', acme.id)).statusCode).toBe(403);
  });
});
