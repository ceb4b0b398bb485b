import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../test/harness.js';
import { idpBrowser } from '../../test/idp-browser.js';
import { demoPassword } from '../seed/demo.js';
import { queryRows, withTenant } from './db.js';

const webhookSecret = 'whsec_test_cbp_hostile';
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ STRIPE_WEBHOOK_SECRET: webhookSecret });
});
afterAll(() => t.close());

const nul = '\u0000';
const loneHigh = '\ud800';
const loneLow = '\udfff';
const hostile = [
  { name: 'U+0000', text: `a${nul}b` },
  { name: 'a lone high surrogate', text: `a${loneHigh}b` },
  { name: 'a lone low surrogate', text: `${loneLow}b` },
];

async function headersFor(email = 'admin@acme.test') {
  return { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': acme.id };
}

/** Rows the hostile requests could have written: Acme's audit trail, API keys and invitations. */
async function footprint() {
  const [row] = await withTenant(t.database.db, acme.id, (tx) =>
    queryRows<{ audit: number; keys: number; invitations: number }>(
      tx,
      sql`SELECT (SELECT count(*)::int FROM audit_logs WHERE tenant_id = ${acme.id}) AS audit,
                 (SELECT count(*)::int FROM api_keys WHERE tenant_id = ${acme.id}) AS keys,
                 (SELECT count(*)::int FROM user_invitations WHERE tenant_id = ${acme.id}) AS invitations`,
    ),
  );
  return row;
}

/** The answer is a 400 problem+json naming exactly `path` as the offending field. */
function expectRefused(res: LightMyRequestResponse, path: string) {
  expect(res.statusCode).toBe(400);
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const problem = res.json<{ code: string; detail: string; errors: { path: string; message: string }[] }>();
  expect(problem.code).toBe('VALIDATION_FAILED');
  expect(problem.errors.map((e) => e.path)).toEqual([path]);
  expect(problem.errors[0]?.message).toMatch(/cannot be stored/);
  expect(problem.detail).toContain(path);
}

describe('strings PostgreSQL cannot store are refused with 400 and the field, and nothing is written', () => {
  it('query strings: /users?search, /audit-logs?q, /audit-logs/count?q with U+0000', async () => {
    const before = await footprint();
    for (const [url, field] of [
      ['/users?search=a%00b', 'query.search'],
      ['/audit-logs?q=%00', 'query.q'],
      ['/audit-logs/count?q=x%00', 'query.q'],
      ['/audit-logs?action=%00&q=ok', 'query.action'],
    ] as const) {
      expectRefused(await t.app.inject({ url, headers: await headersFor() }), field);
    }
    expect(await footprint()).toEqual(before);
  });

  it('refuses a hostile query before authentication looks anything up (no token: 400, not 401)', async () => {
    const res = await t.app.inject({ url: '/users?search=%00' });
    expectRefused(res, 'query.search');
  });

  it('a surrogate percent-encoded as UTF-8 bytes (invalid UTF-8) is searched for literally, no 5xx', async () => {
    const res = await t.app.inject({ url: '/users?search=%ED%A0%80', headers: await headersFor() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: [], total: 0 });
    const audit = await t.app.inject({ url: '/audit-logs?q=%ED%A0%80', headers: await headersFor() });
    expect(audit.statusCode).toBe(200);
    expect(audit.json().data).toEqual([]);
  });

  it('GET /audit-logs/export?q=%00 is a 400 problem, not a file', async () => {
    for (const format of ['csv', 'jsonl']) {
      const res = await t.app.inject({ url: `/audit-logs/export?format=${format}&q=%00`, headers: await headersFor() });
      expectRefused(res, 'query.q');
      expect(res.headers['content-disposition']).toBeUndefined();
    }
  });

  it('route params', async () => {
    const res = await t.app.inject({ url: '/audit-logs/by-action/member.%00', headers: await headersFor() });
    expectRefused(res, 'params.action');
  });

  it.each(hostile)('JSON bodies: POST /api-keys name, invitation message, a bulk row, with $name', async ({ text }) => {
    const before = await footprint();
    const headers = await headersFor();
    expectRefused(await t.app.inject({ method: 'POST', url: '/api-keys', headers, payload: { name: text } }), 'body.name');
    expectRefused(
      await t.app.inject({ method: 'POST', url: '/user-invitations', headers, payload: { email: 'nul@example.com', role: 'analyst', message: text } }),
      'body.message',
    );
    expectRefused(
      await t.app.inject({
        method: 'POST',
        url: '/user-invitations/bulk',
        headers,
        payload: { invitations: [{ email: 'ok1@example.com', role: 'analyst' }, { email: `${text}@example.com`, role: 'analyst' }] },
      }),
      'body.invitations.1.email',
    );
    // On the wire the JSON escapes the character (JSON.stringify writes \u0000 / \ud800 escapes).
    const wire = `{"name":${JSON.stringify(text)}}`;
    expect(wire).toMatch(/\\u(0000|d[89a-f][0-9a-f]{2})/);
    expectRefused(await t.app.inject({ method: 'POST', url: '/api-keys', headers: { ...headers, 'content-type': 'application/json' }, payload: wire }), 'body.name');
    expect(await footprint()).toEqual(before);
  });

  it('names the field of a hostile object key, and every offending field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: await headersFor(),
      payload: { name: `a${nul}`, [`k${nul}`]: 'x', extra: { deep: [`ok`, `b${loneHigh}`] } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(['body.name', 'body.k\\u0000', 'body.extra.deep.1']);
  });

  it('headers: X-Tenant-Id, and a User-Agent the audit entry would record', async () => {
    const before = await footprint();
    const token = `Bearer ${await t.tokenFor('admin@acme.test')}`;
    const tenant = await t.app.inject({ url: '/users', headers: { authorization: token, 'x-tenant-id': `${acme.id}${nul}` } });
    expectRefused(tenant, 'headers.x-tenant-id');
    const agent = await t.app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: { authorization: token, 'x-tenant-id': acme.id, 'user-agent': `curl${nul}` },
      payload: { name: 'agent test' },
    });
    expectRefused(agent, 'headers.user-agent');
    expect(await footprint()).toEqual(before);
  });

  it('the built-in sign-in form: a hostile email is refused, nothing recorded, the same sign-in then succeeds', async () => {
    const { request } = idpBrowser(t.app);
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    const params = new URLSearchParams({
      client_id: 'cbp-portal',
      redirect_uri: 'http://localhost:27100/auth/callback',
      response_type: 'code',
      scope: 'openid profile email',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's',
    });
    const start = await request('GET', `/oidc/auth?${params}`);
    expect(start.statusCode).toBe(303);
    const uid = String(start.headers.location).split('/').pop() ?? '';
    expect((await request('GET', `/oidc/interaction/${uid}`)).statusCode).toBe(200);
    const before = await footprint();
    // (A form cannot carry a lone surrogate: percent-encoding encodes UTF-8 bytes.)
    expectRefused(await request('POST', `/oidc/interaction/${uid}/login`, { email: `owner${nul}@acme.test`, password: 'wrong' }), 'body.email');
    expectRefused(await request('POST', `/oidc/interaction/${uid}/login`, { email: 'owner@acme.test', password: `x${nul}` }), 'body.password');
    // Not even a failed sign-in entry for owner@acme.test: the form never reached the handler.
    expect(await footprint()).toEqual(before);
    // The provider's own endpoints (mounted through middie) are covered too.
    expectRefused(await request('GET', `/oidc/auth?${params}&login_hint=${encodeURIComponent(nul)}`), 'query.login_hint');
    const login = await request('POST', `/oidc/interaction/${uid}/login`, { email: 'owner@acme.test', password: demoPassword });
    expect(login.statusCode).toBe(303);
  });

  it("the provider's token endpoints, which parse their own forms: an unstorable code or token is unknown, not a 500", async () => {
    const form = (fields: Record<string, string>) => ({
      method: 'POST' as const,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ client_id: 'cbp-portal', ...fields }).toString(),
    });
    const code = await t.app.inject({
      url: '/oidc/token',
      ...form({ grant_type: 'authorization_code', code: `abc${nul}`, redirect_uri: 'http://localhost:27100/auth/callback', code_verifier: 'x'.repeat(43) }),
    });
    expect(code.statusCode).toBe(400);
    expect(code.json().error).toBe('invalid_grant');
    const refresh = await t.app.inject({ url: '/oidc/token', ...form({ grant_type: 'refresh_token', refresh_token: nul }) });
    expect(refresh.statusCode).toBe(400);
    expect(refresh.json().error).toBe('invalid_grant');
    const revoke = await t.app.inject({ url: '/oidc/token/revocation', ...form({ token: nul }) });
    expect(revoke.statusCode).toBeLessThan(500);
  });

  it('the Stripe webhook keeps its raw body: signatures are still verified on the exact bytes', async () => {
    const stripe = new Stripe('sk_test_signing_only');
    const payload = JSON.stringify({
      id: 'evt_hostile_bytes',
      object: 'event',
      type: 'customer.created',
      created: Math.floor(Date.now() / 1000),
      api_version: '2025-09-30.clover',
      data: { object: { id: 'cus_hostile', object: 'customer', description: `a${nul}b ${loneHigh}` } },
    });
    const send = (body: string) =>
      t.app.inject({
        method: 'POST',
        url: '/webhooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret }) },
        payload: body,
      });
    const signed = await send(payload);
    expect(signed.statusCode).toBe(200);
    expect(signed.json()).toMatchObject({ received: true });
    const tampered = await send(payload.replace('a\\u0000b', 'ab'));
    expect(tampered.statusCode).toBe(400);
    expect(tampered.json().code).toBe('WEBHOOK_SIGNATURE_INVALID');
  });

  it('ordinary unicode (emoji, accents, CJK, RTL) is accepted and round-trips', async () => {
    const headers = await headersFor();
    const name = 'Clé 🔑 鍵 مفتاح';
    const created = await t.app.inject({ method: 'POST', url: '/api-keys', headers, payload: { name } });
    expect(created.statusCode).toBe(201);
    const keys = (await t.app.inject({ url: '/api-keys', headers })).json<{ name: string }[]>();
    expect(keys.map((k) => k.name)).toContain(name);
    const invite = await t.app.inject({
      method: 'POST',
      url: '/user-invitations',
      headers,
      payload: { email: 'zoe.unicode@example.com', role: 'analyst', message: 'Bienvenue à bord 🎉 ようこそ' },
    });
    expect(invite.statusCode).toBe(201);
    const search = await t.app.inject({ url: `/users?search=${encodeURIComponent('é 🙂 中')}`, headers });
    expect(search.statusCode).toBe(200);
    const audit = await t.app.inject({ url: `/audit-logs?q=${encodeURIComponent('🔑 鍵')}`, headers });
    expect(audit.statusCode).toBe(200);
    expect(audit.json().data.map((e: { targetName: string | null }) => e.targetName)).toContain(name);
  });
});
