import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { routePolicies } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

const get = (url: string, token?: string, tenantId?: string) =>
  t.app.inject({
    url,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(tenantId ? { 'x-tenant-id': tenantId } : {}),
    },
  });

describe('GET /me', () => {
  it('lists the caller and their tenant with their role', async () => {
    const res = await get('/me', await t.tokenFor('admin@acme.test'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      user: { id: expect.any(String), email: 'admin@acme.test', name: 'Adele Admin' },
      tenants: [{ id: acme.id, name: 'Acme Corp', slug: 'acme', role: 'admin' }],
      platformRole: null,
      identity: { provider: 'builtin' },
    });
  });

  it('gives platform staff every tenant as super_admin', async () => {
    const res = await get('/me', await t.tokenFor('staff@cbp.test'));
    expect(res.json().platformRole).toBe('super_admin');
    expect(res.json().tenants.map((x: { slug: string; role: string }) => `${x.slug}:${x.role}`)).toEqual([
      'acme:super_admin',
      'globex:super_admin',
    ]);
  });

  it('answers 401 problem+json without a token', async () => {
    const res = await get('/me');
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('answers 401 to an expired token', async () => {
    const token = await t.tokenFor('admin@acme.test', { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const res = await get('/me', token);
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toMatch(/expired/);
  });

  it('answers 401 to a token signed by another key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ scope: 'api' })
      .setProtectedHeader({ alg: 'RS256', kid: t.keys.keys[0]?.kid ?? '' })
      .setIssuer(t.config.issuer)
      .setAudience(t.config.audience)
      .setSubject('00000000-0000-4000-8000-000000000a03')
      .setExpirationTime('1h')
      .sign(privateKey);
    expect((await get('/me', forged)).statusCode).toBe(401);
  });

  it("answers 401 to an unsigned alg 'none' token", async () => {
    const unsigned = new UnsecuredJWT({ scope: 'api' })
      .setIssuer(t.config.issuer)
      .setAudience(t.config.audience)
      .setSubject('00000000-0000-4000-8000-000000000a03')
      .setExpirationTime('1h')
      .encode();
    expect((await get('/me', unsigned)).statusCode).toBe(401);
  });

  it('answers 401 to an HMAC token made with the public key as secret (key confusion)', async () => {
    const pub = await exportJWK((await generateKeyPair('RS256')).publicKey);
    const secret = new TextEncoder().encode(JSON.stringify(pub));
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(t.config.issuer)
      .setAudience(t.config.audience)
      .setSubject('00000000-0000-4000-8000-000000000a03')
      .setExpirationTime('1h')
      .sign(secret);
    expect((await get('/me', token)).statusCode).toBe(401);
  });

  it('answers 401 to a token for another audience or issuer', async () => {
    const wrongAudience = await createTestContext({ OIDC_AUDIENCE: 'https://elsewhere.example' });
    try {
      // signed by the right key for this app, but the app expects a different audience
      const res = await wrongAudience.app.inject({
        url: '/me',
        headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}` },
      });
      expect(res.statusCode).toBe(401);
    } finally {
      await wrongAudience.close();
    }
  });
});

describe('tenant scope', () => {
  it('GET /tenants/current returns the tenant of X-Tenant-Id', async () => {
    const res = await get('/tenants/current', await t.tokenFor('owner@acme.test'), acme.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: acme.id, name: 'Acme Corp', slug: 'acme', status: 'active' });
  });

  it("takes the caller's only tenant when X-Tenant-Id is absent", async () => {
    const res = await get('/tenants/current', await t.tokenFor('analyst@globex.test'));
    expect(res.json()).toMatchObject({ id: globex.id, slug: 'globex' });
  });

  it('asks for a tenant when the caller has several and sends none', async () => {
    const res = await get('/tenants/current', await t.tokenFor('staff@cbp.test'));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('TENANT_REQUIRED');
  });

  it('lets platform staff into any tenant', async () => {
    const res = await get('/tenants/current', await t.tokenFor('staff@cbp.test'), globex.id);
    expect(res.json()).toMatchObject({ id: globex.id });
  });

  it('rejects a malformed X-Tenant-Id with 400 naming the header', async () => {
    const res = await get('/tenants/current', await t.tokenFor('owner@acme.test'), 'acme');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'headers.x-tenant-id', message: 'Must be a UUID' }]);
  });

  it('answers 403 for a tenant that does not exist, like for one the caller is not in', async () => {
    const res = await get('/tenants/current', await t.tokenFor('owner@acme.test'), '00000000-0000-4000-8000-0000000000ff');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('NOT_A_MEMBER');
  });

  it("answers 403 on every tenant route to Globex's owner asking for Acme", async () => {
    const token = await t.tokenFor('owner@globex.test');
    const tenantRoutes = Object.entries(routePolicies).filter(([, p]) => p.access === 'tenant');
    expect(tenantRoutes.length).toBeGreaterThan(0);
    for (const [key] of tenantRoutes) {
      const [method, path] = key.split(' ') as ['GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', string];
      const url = path.replace(/:[a-zA-Z]+/g, '00000000-0000-4000-8000-000000000001');
      const res = await t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}`, 'x-tenant-id': acme.id },
        ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }),
      });
      expect({ key, status: res.statusCode }).toEqual({ key, status: 403 });
    }
  });
});

describe('GET /plans', () => {
  it('lists the catalog in order with limits per metric', async () => {
    const res = await get('/plans', await t.tokenFor('analyst@acme.test'), acme.id);
    expect(res.statusCode).toBe(200);
    const plans = res.json();
    expect(plans.map((p: { name: string }) => p.name)).toEqual(['Free', 'Starter', 'Pro', 'Enterprise']);
    const pro = plans.find((p: { tier: string }) => p.tier === 'pro');
    expect(pro.limits.api_calls).toMatchObject({ included: 1_000_000, softLimit: 800_000, hardLimit: 1_500_000 });
    expect(pro.currency).toBe('usd');
  });

  it("points Acme's tenant at the Pro plan", async () => {
    const token = await t.tokenFor('owner@acme.test');
    const tenant = (await get('/tenants/current', token, acme.id)).json();
    const plans = (await get('/plans', token, acme.id)).json();
    expect(plans.find((p: { id: string }) => p.id === tenant.planId).name).toBe('Pro');
  });
});
