/**
 * Hostile input, sampled per route (fast-check): for every route of the app's route table, a
 * few generated requests as the owner of Acme with hostile path parameters, query strings and
 * bodies. The API must never answer 5xx, every refusal is 4xx problem+json with a `code`, a
 * refused request changes none of the tenant's data, and afterwards the audit chain verifies.
 * `npm run fuzz` runs the same property with >= 10,000 requests (test/fuzz.ts).
 */
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { routePolicies } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../test/harness.js';
import { fingerprintQuery, hostileProperty, knownValues, newStats, routeTable, type RouteSpec } from '../../test/hostile.js';
import { queryRows, withTenant } from './db.js';

const runsPerRoute = Number(process.env.HOSTILE_RUNS ?? 6);

let t: TestContext;
let headers: Record<string, string>;
let routes: RouteSpec[];
let known: Record<string, string[]>;
let auditBefore: number;
const stats = newStats();

const fingerprint = async () =>
  withTenant(t.database.db, acme.id, async (tx) => (await queryRows<{ f: string }>(tx, sql.raw(fingerprintQuery)))[0]?.f ?? '');
const auditCount = async () =>
  withTenant(t.database.db, acme.id, async (tx) => (await queryRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = ${acme.id}`))[0]?.n ?? 0);

/** Routes whose accepted call could take the owner's own access away come first (while they are the last owner). */
const first = ['POST /team/leave', 'POST /team/transfer-ownership'];

beforeAll(async () => {
  // A webhook secret, so POST /webhooks/stripe checks signatures instead of answering 503 (not configured).
  t = await createTestContext({ STRIPE_WEBHOOK_SECRET: 'whsec_hostile_input_sample' });
  headers = { authorization: `Bearer ${await t.tokenFor('owner@acme.test')}`, 'x-tenant-id': acme.id };
  routes = await routeTable(t.app);
  routes.sort((a, b) => Number(first.includes(b.key)) - Number(first.includes(a.key)));
  known = await knownValues(t.app, headers);
  auditBefore = await auditCount();
});
afterAll(() => t.close());

describe('hostile input, a sample per route', () => {
  it('covers every route of the RBAC table', () => {
    expect(routes.map((r) => r.key).sort()).toEqual(Object.keys(routePolicies).sort());
  });

  const keys = Object.keys(routePolicies).sort((a, b) => Number(first.includes(b)) - Number(first.includes(a)));
  for (const key of keys) {
    it(`${key}: no 5xx, refusals are problem+json, refused requests change nothing`, async () => {
      const route = routes.find((r) => r.key === key);
      if (!route) throw new Error(`${key} is not in the app's route table`);
      await fc.assert(hostileProperty(route, { app: t.app, headers, fingerprint, stats, options: { knownValues: known } }), { numRuns: runsPerRoute });
    });
  }

  it('answers URLs the router cannot take (bad percent-encoding, a huge parameter) as problem+json', async () => {
    for (const url of ['/users/%ED%A0%80', '/api-keys/%', `/invoices/${'A'.repeat(5_000)}`, '/oidc/interaction/%zz']) {
      const res = await t.app.inject({ method: 'GET', url, headers });
      expect({ url: url.slice(0, 30), status: res.statusCode, type: res.headers['content-type'] }).toEqual({
        url: url.slice(0, 30),
        status: 400,
        type: 'application/problem+json; charset=utf-8',
      });
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    }
  });

  it('leaves an audit chain that verifies, grown only by accepted mutations', async () => {
    const res = await t.app.inject({ url: '/audit-logs/verify', headers });
    expect(res.statusCode).toBe(200);
    const verification = res.json() as { valid: boolean; checked: number; firstBroken: unknown };
    expect(verification).toMatchObject({ valid: true, firstBroken: null });
    const grown = (await auditCount()) - auditBefore;
    const accepted = [...stats.accepted.values()].reduce((a, b) => a + b, 0);
    // Every request was made; each refused one left the fingerprint (audit count included) as it was.
    expect(stats.requests).toBeGreaterThanOrEqual(keys.length * runsPerRoute);
    if (accepted === 0) expect(grown).toBe(0);
    expect(verification.checked).toBeGreaterThanOrEqual(auditBefore + grown);
  });
});
