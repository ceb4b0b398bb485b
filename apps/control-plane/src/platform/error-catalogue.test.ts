import { readFile } from 'node:fs/promises';
import { errorCatalogue, type ErrorCode } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../test/harness.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

/** The answer is problem+json whose code is catalogued, with one of the statuses the catalogue gives it. */
function expectCatalogued(res: { statusCode: number; headers: Record<string, unknown>; json: () => { code: string; status: number } }, code: ErrorCode) {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body.code).toBe(code);
  expect(body.status).toBe(res.statusCode);
  expect(errorCatalogue[code].statuses).toContain(res.statusCode);
}

describe('error catalogue', () => {
  it('is documented in docs/ERRORS.md: every code with its statuses, and no code that is not catalogued', async () => {
    const doc = await readFile(new URL('../../../../docs/ERRORS.md', import.meta.url), 'utf8');
    const rows = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| ([\d, ]+) \|/gm)].map((m) => [m[1], m[2]?.trim()]));
    expect([...rows.keys()].sort()).toEqual(Object.keys(errorCatalogue).sort());
    for (const [code, { statuses }] of Object.entries(errorCatalogue)) expect(rows.get(code), code).toBe(statuses.join(', '));
  });

  it('answers errors of the HTTP layer with catalogued codes', async () => {
    const token = await t.tokenFor('engineer@acme.test');
    const headers = { authorization: `Bearer ${token}`, 'x-tenant-id': acme.id };
    expectCatalogued(await t.app.inject({ method: 'GET', url: '/no/such/route', headers }), 'NOT_FOUND');
    expectCatalogued(await t.app.inject({ method: 'GET', url: '/usage/status' }), 'UNAUTHENTICATED');
    expectCatalogued(
      await t.app.inject({ method: 'POST', url: '/usage/events', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"events": [' }),
      'VALIDATION_FAILED',
    );
    const xml = await t.app.inject({ method: 'POST', url: '/usage/events', headers: { ...headers, 'content-type': 'application/xml' }, payload: '<events/>' });
    expect(xml.statusCode).toBe(415);
    expectCatalogued(xml, 'BAD_REQUEST');
    const huge = await t.app.inject({
      method: 'POST',
      url: '/usage/events',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ events: [{ metricType: 'api_calls', quantity: 1, idempotencyKey: 'x'.repeat(2_000_000) }] }),
    });
    expect(huge.statusCode).toBe(413);
    expectCatalogued(huge, 'BAD_REQUEST');
  });

  it('answers a declined card as CARD_DECLINED with the gateway reason, also when an Idempotency-Key replays it', async () => {
    const add = async () =>
      t.app.inject({
        method: 'POST',
        url: '/payment-methods',
        headers: { authorization: `Bearer ${await t.tokenFor('owner@acme.test')}`, 'x-tenant-id': acme.id, 'idempotency-key': 'catalogue-decline-1' },
        payload: { stripePaymentMethodId: 'pm_card_chargeDeclinedExpiredCard' },
      });
    const first = await add();
    expect(first.statusCode, first.body).toBe(402);
    expectCatalogued(first, 'CARD_DECLINED');
    expect(first.json()).toMatchObject({ declineCode: 'expired_card', detail: 'Your card has expired.' });
    const replay = await add();
    expect(replay.statusCode).toBe(402);
    expect(replay.json()).toMatchObject({ code: 'CARD_DECLINED', declineCode: 'expired_card', detail: 'Your card has expired.' });
  });
});
