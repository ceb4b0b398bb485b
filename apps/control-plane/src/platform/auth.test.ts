import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../test/harness.js';
import { startFakeRealm } from '../../test/oidc-realm.js';

describe('external identity provider (Keycloak)', () => {
  let realm: Awaited<ReturnType<typeof startFakeRealm>>;
  let t: TestContext;
  beforeAll(async () => {
    realm = await startFakeRealm();
    t = await createTestContext({ OIDC_ISSUER_URL: realm.issuer, OIDC_AUDIENCE: 'cbp-api' });
  });
  afterAll(async () => {
    await t.close();
    await realm.close();
  });

  const me = (token: string) => t.app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });

  it('does not mount the built-in provider', async () => {
    expect((await t.app.inject({ url: '/oidc/.well-known/openid-configuration' })).statusCode).toBe(404);
  });

  it("links the realm's subject to the CBP user with the same verified email, then recognises it by subject", async () => {
    const sub = randomUUID();
    const first = await me(await realm.sign({ email: 'ADMIN@acme.test', email_verified: true }, sub));
    expect(first.statusCode).toBe(200);
    expect(first.json().tenants).toEqual([expect.objectContaining({ id: acme.id, role: 'admin' })]);
    // the email changed in the realm: the link by subject still finds the same account
    const again = await me(await realm.sign({ email: 'renamed@acme.test', email_verified: true }, sub));
    expect(again.json().user.email).toBe('admin@acme.test');
  });

  it('takes tenant roles from the database and super_admin from realm_access.roles', async () => {
    const sub = randomUUID();
    const res = await me(
      await realm.sign({ email: 'analyst@globex.test', email_verified: true, realm_access: { roles: ['offline_access', 'super_admin'] } }, sub),
    );
    expect(res.json().platformRole).toBe('super_admin');
    const tenant = await t.app.inject({
      url: '/tenants/current',
      headers: {
        authorization: `Bearer ${await realm.sign({ email: 'analyst@globex.test', email_verified: true }, sub)}`,
        'x-tenant-id': globex.id,
      },
    });
    expect(tenant.statusCode).toBe(200);
  });

  it('never hands a linked account to another subject with the same email', async () => {
    await me(await realm.sign({ email: 'engineer@acme.test', email_verified: true }));
    const other = await me(await realm.sign({ email: 'engineer@acme.test', email_verified: true }));
    expect(other.statusCode).toBe(401);
    expect(other.json().detail).toBe('This account is linked to another identity.');
  });

  it('refuses unverified emails and identities without a CBP account', async () => {
    expect((await me(await realm.sign({ email: 'owner@acme.test', email_verified: false }))).statusCode).toBe(401);
    const stranger = await me(await realm.sign({ email: 'stranger@example.com', email_verified: true }));
    expect(stranger.statusCode).toBe(401);
    expect(stranger.json().detail).toBe('No CBP account matches this identity.');
  });

  it("refuses tokens signed by the built-in issuer's keys", async () => {
    expect((await me(await t.tokenFor('owner@acme.test'))).statusCode).toBe(401);
  });
});
