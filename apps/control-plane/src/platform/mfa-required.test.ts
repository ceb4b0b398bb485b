import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../test/harness.js';
import { startFakeRealm } from '../../test/oidc-realm.js';

/*
 * "MFA required" enforced by the API (issue 15; migration 0041): a tenant whose settings require
 * two-step verification refuses tokens from a sign-in without a second factor (`amr` without
 * `otp`) with 403 MFA_REQUIRED, whoever the caller is; GET /me still answers (the portal shows
 * what to do), other tenants and API keys are unaffected, and a change of the setting holds on
 * every copy within the authentication cache's bound.
 */

const bound = 5_000;
const password = ['pwd'];
const withCode = ['pwd', 'otp'];
const engineerId = '00000000-0000-4000-8000-000000000a02';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
  await t.ownerScript(`INSERT INTO organization_settings (tenant_id, mfa_required) VALUES ('${acme.id}', true)`);
});
afterAll(() => t.close());

async function get(email: string, amr: string[] | undefined, url: string, tenantId?: string) {
  return t.app.inject({ url, headers: { authorization: `Bearer ${await t.tokenFor(email, { amr })}`, ...(tenantId ? { 'x-tenant-id': tenantId } : {}) } });
}

/** Polls `probe` until it holds; the milliseconds it took (fails after twice the bound). */
async function msUntil(probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > 2 * bound) throw new Error(`still not so after ${2 * bound} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

describe('an organization that requires two-step verification', () => {
  it('refuses a password-only token with 403 MFA_REQUIRED (problem+json) and accepts one with a second factor', async () => {
    for (const amr of [password, undefined]) {
      const res = await get('engineer@acme.test', amr, '/tenants/current', acme.id);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 403, code: 'MFA_REQUIRED', detail: expect.stringContaining('two-step verification') });
    }
    const ok = await get('engineer@acme.test', withCode, '/tenants/current', acme.id);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ id: acme.id });
  });

  it('still answers GET /me, so the portal can say what to do', async () => {
    const me = await get('engineer@acme.test', password, '/me');
    expect(me.statusCode).toBe(200);
    expect(me.json().tenants).toEqual([expect.objectContaining({ id: acme.id })]);
  });

  it('says MFA_REQUIRED before the role check, and holds for platform staff too', async () => {
    const analyst = await get('analyst@acme.test', password, '/api-keys', acme.id);
    expect(analyst.json()).toMatchObject({ code: 'MFA_REQUIRED' });
    expect((await get('staff@cbp.test', password, '/tenants/current', acme.id)).json()).toMatchObject({ code: 'MFA_REQUIRED' });
    expect((await get('staff@cbp.test', withCode, '/tenants/current', acme.id)).statusCode).toBe(200);
  });

  it('leaves other organizations of the same person alone', async () => {
    await t.ownerScript(`INSERT INTO tenant_memberships (tenant_id, user_id, role, status) VALUES ('${globex.id}', '${engineerId}', 'analyst', 'active')`);
    const inGlobex = await get('engineer@acme.test', password, '/tenants/current', globex.id);
    expect(inGlobex.statusCode, inGlobex.body).toBe(200);
    expect((await get('engineer@acme.test', password, '/tenants/current', acme.id)).json()).toMatchObject({ code: 'MFA_REQUIRED' });
    expect((await get('owner@globex.test', password, '/tenants/current', globex.id)).statusCode).toBe(200);
  });

  it('does not apply to API keys (no sign-in behind them)', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test', { amr: withCode })}`, 'x-tenant-id': acme.id },
      payload: { name: 'Metering' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { secret } = created.json() as { secret: string };
    const sent = await t.app.inject({
      method: 'POST',
      url: '/usage/events',
      headers: { authorization: `Bearer ${secret}` },
      payload: { events: [{ metricType: 'api_calls', quantity: 1, idempotencyKey: 'mfa-required-1' }] },
    });
    expect(sent.statusCode, sent.body).toBe(200);
  });

  it('takes effect within the cache bound when the setting changes, though the caller was cached', async () => {
    const probe = () => get('owner@globex.test', password, '/plans', globex.id);
    expect((await probe()).statusCode).toBe(200);
    expect((await probe()).statusCode).toBe(200);
    // Straight in the database, as another API copy's change would be seen from this one.
    await t.ownerScript(`INSERT INTO organization_settings (tenant_id, mfa_required) VALUES ('${globex.id}', true)`);
    expect(await msUntil(async () => (await probe()).statusCode === 403)).toBeLessThanOrEqual(bound);
    expect((await probe()).json()).toMatchObject({ code: 'MFA_REQUIRED' });
    // Turned off through the API (by an owner who signed in with a code): password-only tokens work again.
    const off = await t.app.inject({
      method: 'PATCH',
      url: '/settings',
      headers: { authorization: `Bearer ${await t.tokenFor('owner@globex.test', { amr: withCode })}`, 'x-tenant-id': globex.id },
      payload: { mfaRequired: false },
    });
    expect(off.statusCode, off.body).toBe(200);
    expect(await msUntil(async () => (await probe()).statusCode === 200)).toBeLessThanOrEqual(bound);
  });
});

describe('with Keycloak (external issuer)', () => {
  it("reads the realm token's amr: otp (Keycloak's AMR mapper) passes, a password-only token is refused, acr alone does not count", async () => {
    const realm = await startFakeRealm();
    const k = await createTestContext({ OIDC_ISSUER_URL: realm.issuer, OIDC_AUDIENCE: 'cbp-api' });
    try {
      await k.ownerScript(`INSERT INTO organization_settings (tenant_id, mfa_required) VALUES ('${acme.id}', true)`);
      const sub = '6f1d3c1e-6a39-4a3e-9f2a-0d3c8e7b5a11';
      const call = async (claims: Record<string, unknown>) =>
        k.app.inject({ url: '/tenants/current', headers: { authorization: `Bearer ${await realm.sign({ email: 'engineer@acme.test', email_verified: true, ...claims }, sub)}`, 'x-tenant-id': acme.id } });
      expect((await call({ amr: ['pwd'] })).json()).toMatchObject({ code: 'MFA_REQUIRED' });
      expect((await call({ acr: '2' })).json()).toMatchObject({ code: 'MFA_REQUIRED' });
      const ok = await call({ amr: ['pwd', 'otp'], acr: '2' });
      expect(ok.statusCode, ok.body).toBe(200);
    } finally {
      await k.close();
      await realm.close();
    }
  });
});
