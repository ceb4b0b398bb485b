import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';

// GET /billing/usage is the original contract's path for the current period's usage: a client
// written against it gets exactly what GET /usage/status answers, under the same rules.
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function get(url: string, email: string | null, tenantId: string = acme.id) {
  return t.app.inject({
    method: 'GET',
    url,
    headers: { ...(email ? { authorization: `Bearer ${await t.tokenFor(email)}` } : {}), 'x-tenant-id': tenantId },
  });
}

describe('GET /billing/usage', () => {
  it("answers the current period's usage exactly as GET /usage/status, and moves with new events", async () => {
    const alias = await get('/billing/usage', 'analyst@acme.test');
    expect(alias.statusCode, alias.body).toBe(200);
    const status = await get('/usage/status', 'analyst@acme.test');
    expect(alias.json()).toEqual(status.json());
    const apiCalls = (alias.json() as { metricType: string; currentUsage: number; softLimit: number | null }[]).find((m) => m.metricType === 'api_calls');
    expect(apiCalls).toMatchObject({ softLimit: 800_000 });

    const sent = await t.app.inject({
      method: 'POST',
      url: '/usage/events',
      headers: { authorization: `Bearer ${await t.tokenFor('engineer@acme.test')}`, 'x-tenant-id': acme.id },
      payload: { events: [{ metricType: 'api_calls', quantity: 42, idempotencyKey: 'billing-usage-1' }] },
    });
    expect(sent.json()).toEqual({ accepted: 1, duplicates: 0 });
    const after = (await get('/billing/usage', 'analyst@acme.test')).json() as { metricType: string; currentUsage: number }[];
    expect(after.find((m) => m.metricType === 'api_calls')?.currentUsage).toBe((apiCalls?.currentUsage ?? 0) + 42);
    expect(after).toEqual((await get('/usage/status', 'analyst@acme.test')).json());
  });

  it('is guarded like GET /usage/status: a token, a membership of the tenant; each tenant sees its own', async () => {
    for (const url of ['/billing/usage', '/usage/status']) {
      expect((await get(url, null)).statusCode).toBe(401);
      const foreign = await get(url, 'analyst@acme.test', globex.id);
      expect(foreign.statusCode).toBe(403);
      expect(foreign.json().code).toBe('NOT_A_MEMBER');
    }
    const globexUsage = await get('/billing/usage', 'owner@globex.test', globex.id);
    expect(globexUsage.statusCode).toBe(200);
    expect(globexUsage.json()).toEqual((await get('/usage/status', 'owner@globex.test', globex.id)).json());
    expect(globexUsage.json()).not.toEqual((await get('/billing/usage', 'analyst@acme.test')).json());
  });

  it("is documented in OpenAPI as the original contract's path", async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs' })).json() as { paths: Record<string, { get?: { summary?: string } }> };
    expect(doc.paths['/billing/usage']?.get?.summary).toMatch(/original contract/);
    expect(doc.paths['/billing/usage']?.get?.summary).toMatch(/\/usage\/status/);
  });
});
