import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePolicies } from '@cbp/contracts';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { startKeycloakFake, type KeycloakFake } from '../../../test/keycloak-fake.js';
import { demoPassword } from '../../seed/demo.js';

const portal = 'http://localhost:27100';
const engineerId = '00000000-0000-4000-8000-000000000a02';
const staffId = '00000000-0000-4000-8000-000000000c01';

/** Signs in through the built-in provider's pages (PKCE) and returns the access token it issues. */
async function signIn(app: FastifyInstance, email: string): Promise<string> {
  const jar = new Map<string, string>();
  const request = async (method: 'GET' | 'POST', url: string, form?: Record<string, string>) => {
    const u = new URL(url, 'http://localhost:14000');
    const res = await app.inject({
      method,
      url: u.pathname + u.search,
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      payload: form ? new URLSearchParams(form).toString() : undefined,
    });
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [name, ...value] = (c.split(';')[0] ?? '').split('=');
      if (name) jar.set(name.trim(), value.join('='));
    }
    return res;
  };
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    client_id: 'cbp-portal',
    redirect_uri: `${portal}/auth/callback`,
    response_type: 'code',
    scope: 'openid profile email',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 's',
  });
  const start = await request('GET', `/oidc/auth?${params}`);
  const uid = String(start.headers.location).split('/').pop() ?? '';
  let next = String((await request('POST', `/oidc/interaction/${uid}/login`, { email, password: demoPassword })).headers.location ?? '');
  for (let i = 0; i < 5 && !next.startsWith(portal); i++) next = String((await request('GET', next)).headers.location ?? '');
  const code = new URL(next).searchParams.get('code') ?? '';
  const token = await app.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: `${portal}/auth/callback`, client_id: 'cbp-portal', code_verifier: verifier }).toString(),
  });
  expect(token.statusCode, token.body).toBe(200);
  return token.json<{ access_token: string }>().access_token;
}

const realmRoles = (token: string) => (decodeJwt(token) as { realm_access?: { roles: string[] } }).realm_access?.roles;

/** Polls until `check` passes or `withinMs` ends (the documented bound of access changes is 5 s). */
async function eventually(check: () => Promise<boolean>, withinMs = 5_000): Promise<boolean> {
  const end = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('identity roles with the built-in provider', () => {
  let t: TestContext;
  let staff: string;
  beforeAll(async () => {
    t = await createTestContext();
    staff = await t.tokenFor('staff@cbp.test');
  });
  afterAll(() => t.close());

  const as = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
  const auditOf = async (action: string) => {
    const res = await t.app.inject({ url: `/audit-logs?action=${action}`, headers: as(await t.tokenFor('owner@acme.test'), { 'x-tenant-id': acme.id }) });
    expect(res.statusCode).toBe(200);
    return res.json<{ data: { action: string; actorEmail: string | null; targetName: string | null; metadata: Record<string, unknown> }[] }>().data;
  };

  it('lists the realm roles with their descriptions to platform staff', async () => {
    const res = await t.app.inject({ url: '/keycloak/roles', headers: as(staff) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([{ id: 'super_admin', name: 'super_admin', description: 'Platform staff: staff console and every tenant', composite: false }]);
  });

  it('finds a user by email and shows their roles', async () => {
    const found = await t.app.inject({ url: '/keycloak/users?email=Engineer@acme.test', headers: as(staff) });
    expect(found.json()).toEqual([{ id: engineerId, email: 'engineer@acme.test', name: 'Evan Engineer', enabled: true }]);
    expect((await t.app.inject({ url: '/keycloak/users?email=nobody@acme.test', headers: as(staff) })).json()).toEqual([]);
    const roles = await t.app.inject({ url: `/keycloak/users/${staffId}/roles`, headers: as(staff) });
    expect(roles.json()).toEqual({ userId: staffId, realm: 'cbp', roles: [expect.objectContaining({ name: 'super_admin' })] });
  });

  it("assigns a role: the user's next token carries it, they gain staff access, and the tenant's audit trail shows it", async () => {
    const before = await signIn(t.app, 'engineer@acme.test');
    expect(realmRoles(before)).toEqual([]);
    expect((await t.app.inject({ url: '/keycloak/roles', headers: as(before) })).statusCode).toBe(403);

    const res = await t.app.inject({ method: 'POST', url: `/keycloak/roles/cbp/users/${engineerId}/roles`, headers: as(staff), payload: { roleId: 'super_admin' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().roles.map((r: { name: string }) => r.name)).toEqual(['super_admin']);

    const after = await signIn(t.app, 'engineer@acme.test');
    expect(realmRoles(after)).toEqual(['super_admin']);
    expect((await t.app.inject({ url: '/keycloak/roles', headers: as(after) })).statusCode).toBe(200);

    const [entry] = await auditOf('identity.role_assigned');
    expect(entry).toMatchObject({ actorEmail: 'staff@cbp.test', targetName: 'engineer@acme.test', metadata: expect.objectContaining({ role: 'super_admin', realm: 'cbp' }) });
  });

  it('revokes a role: staff access ends at once for tokens already issued, and the trail shows it', async () => {
    const token = await signIn(t.app, 'engineer@acme.test');
    expect((await t.app.inject({ url: '/keycloak/roles', headers: as(token) })).statusCode).toBe(200);

    const res = await t.app.inject({ method: 'DELETE', url: `/keycloak/roles/cbp/users/${engineerId}/roles`, headers: as(staff), payload: { roleId: 'super_admin' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().roles).toEqual([]);
    expect(await eventually(async () => (await t.app.inject({ url: '/keycloak/roles', headers: as(token) })).statusCode === 403)).toBe(true);
    // Back to an engineer in Acme: staff's every-tenant access is gone too.
    const globex = await t.app.inject({ url: '/tenants/current', headers: as(token, { 'x-tenant-id': '00000000-0000-4000-8000-00000000910b' }) });
    expect(globex.statusCode).toBe(403);
    expect(realmRoles(await signIn(t.app, 'engineer@acme.test'))).toEqual([]);

    const [entry] = await auditOf('identity.role_revoked');
    expect(entry).toMatchObject({ actorEmail: 'staff@cbp.test', targetName: 'engineer@acme.test' });
  });

  it('revokes with ?roleId= as well, and refuses a revoke that names no role', async () => {
    await t.app.inject({ method: 'POST', url: `/keycloak/roles/cbp/users/${engineerId}/roles`, headers: as(staff), payload: { roleId: 'super_admin' } });
    const res = await t.app.inject({ method: 'DELETE', url: `/keycloak/roles/cbp/users/${engineerId}/roles?roleId=super_admin`, headers: as(staff) });
    expect(res.json().roles).toEqual([]);
    const none = await t.app.inject({ method: 'DELETE', url: `/keycloak/roles/cbp/users/${engineerId}/roles`, headers: as(staff) });
    expect([none.statusCode, none.json().code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('answers 404 with a clear message for an unknown realm, role or user', async () => {
    const post = (realm: string, userId: string, roleId: string) =>
      t.app.inject({ method: 'POST', url: `/keycloak/roles/${realm}/users/${userId}/roles`, headers: as(staff), payload: { roleId } });
    const realm = await post('master', engineerId, 'super_admin');
    expect([realm.statusCode, realm.json().code, realm.json().detail]).toEqual([404, 'IDENTITY_REALM_NOT_FOUND', 'Realm "master" is not managed by CBP.']);
    const role = await post('cbp', engineerId, 'billing_admin');
    expect([role.statusCode, role.json().code, role.json().detail]).toEqual([404, 'IDENTITY_ROLE_NOT_FOUND', 'Realm "cbp" has no role "billing_admin".']);
    const user = await post('cbp', '00000000-0000-4000-8000-0000000000ff', 'super_admin');
    expect([user.statusCode, user.json().code]).toEqual([404, 'IDENTITY_USER_NOT_FOUND']);
    expect((await t.app.inject({ url: '/keycloak/users/not-a-user/roles', headers: as(staff) })).json().code).toBe('IDENTITY_USER_NOT_FOUND');
    expect(res404Type(realm.headers['content-type'])).toBe(true);
  });

  it('refuses to let staff revoke their own staff role', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: `/keycloak/roles/cbp/users/${staffId}/roles`, headers: as(staff), payload: { roleId: 'super_admin' } });
    expect([res.statusCode, res.json().code]).toEqual([422, 'BUSINESS_RULE']);
    expect((await t.app.inject({ url: '/keycloak/roles', headers: as(staff) })).statusCode).toBe(200);
  });

  it('gives tenant members, even owners, 403 on every identity route', async () => {
    const routes = Object.keys(routePolicies).filter((k) => k.includes(' /keycloak/'));
    expect(routes).toHaveLength(5);
    const owner = await t.tokenFor('owner@acme.test');
    for (const key of routes) {
      const [method, path] = key.split(' ') as ['GET' | 'POST' | 'DELETE', string];
      const url = path.replace(':realm', 'cbp').replace(':userId', engineerId) + (path === '/keycloak/users' ? '?email=engineer@acme.test' : '');
      for (const headers of [as(owner), as(owner, { 'x-tenant-id': acme.id })]) {
        const res = await t.app.inject({ method, url, headers, ...(method === 'GET' ? {} : { payload: { roleId: 'super_admin' } }) });
        expect([key, res.statusCode, res.json().code]).toEqual([key, 403, 'FORBIDDEN']);
      }
    }
    expect((await t.app.inject({ url: `/keycloak/users/${engineerId}/roles`, headers: as(await t.tokenFor('engineer@acme.test')) })).statusCode).toBe(403);
  });
});

const res404Type = (contentType: unknown) => String(contentType).startsWith('application/problem+json');

describe('identity roles with Keycloak (Admin REST fake as the realm)', () => {
  let kc: KeycloakFake;
  let t: TestContext;
  let kcStaff: string;
  let kcEngineer: string;
  beforeAll(async () => {
    kc = await startKeycloakFake();
    kcStaff = kc.addUser('staff@cbp.test').id;
    kcEngineer = kc.addUser('engineer@acme.test').id;
    const superAdmin = kc.roles.find((r) => r.name === 'super_admin');
    if (superAdmin) kc.mappings.get(kcStaff)?.add(superAdmin.id);
    t = await createTestContext({
      OIDC_ISSUER_URL: kc.issuer,
      OIDC_AUDIENCE: 'cbp-api',
      KEYCLOAK_URL: kc.url,
      KEYCLOAK_REALM: kc.realm,
      KEYCLOAK_ADMIN_CLIENT_ID: kc.clientId,
      KEYCLOAK_ADMIN_CLIENT_SECRET: kc.clientSecret,
    });
  });
  afterAll(async () => {
    await t.close();
    await kc.close();
  });

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const tokenOf = (userId: string) => kc.userToken(userId, 'cbp-api');

  it("lists Keycloak's realm roles through the service account", async () => {
    const res = await t.app.inject({ url: '/keycloak/roles', headers: as(await tokenOf(kcStaff)) });
    expect(res.statusCode).toBe(200);
    expect(res.json().map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['super_admin', 'offline_access', 'default-roles-cbp']));
  });

  it('assigns super_admin in Keycloak; revoking it stops a token that still carries the role within 5 s', async () => {
    const staff = await tokenOf(kcStaff);
    const assigned = await t.app.inject({ method: 'POST', url: `/keycloak/roles/cbp/users/${kcEngineer}/roles`, headers: as(staff), payload: { roleId: 'super_admin' } });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const carrying = await tokenOf(kcEngineer);
    expect(realmRoles(carrying)).toContain('super_admin');
    expect((await t.app.inject({ url: '/keycloak/roles', headers: as(carrying) })).statusCode).toBe(200);

    // The token was issued before the revocation: at least a second before, so it is old by any reading.
    await new Promise((r) => setTimeout(r, 1_100));
    const revoked = await t.app.inject({ method: 'DELETE', url: `/keycloak/roles/cbp/users/${kcEngineer}/roles`, headers: as(staff), payload: { roleId: 'super_admin' } });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(realmRoles(carrying)).toContain('super_admin');
    expect(await eventually(async () => (await t.app.inject({ url: '/keycloak/roles', headers: as(carrying) })).statusCode === 403)).toBe(true);
    expect((await t.app.inject({ url: '/keycloak/roles', headers: as(await tokenOf(kcEngineer)) })).statusCode).toBe(403);

    // Given back: a new token counts again.
    await new Promise((r) => setTimeout(r, 1_100));
    await t.app.inject({ method: 'POST', url: `/keycloak/roles/cbp/users/${kcEngineer}/roles`, headers: as(staff), payload: { roleId: 'super_admin' } });
    expect((await t.app.inject({ url: '/keycloak/roles', headers: as(await tokenOf(kcEngineer)) })).statusCode).toBe(200);
  });

  it("audits Keycloak changes in the user's tenant trail", async () => {
    const owner = kc.addUser('owner@acme.test').id;
    const res = await t.app.inject({ url: '/audit-logs?action=identity.role_assigned', headers: { ...as(await tokenOf(owner)), 'x-tenant-id': acme.id } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data[0]).toMatchObject({ actorEmail: 'staff@cbp.test', targetName: 'engineer@acme.test', metadata: expect.objectContaining({ provider: 'keycloak', identityUserId: kcEngineer }) });
  });

  it('answers 503 problem+json when Keycloak is down', async () => {
    kc.failNext(503);
    const res = await t.app.inject({ url: '/keycloak/roles', headers: as(await tokenOf(kcStaff)) });
    expect([res.statusCode, res.json().code]).toEqual([503, 'IDENTITY_PROVIDER_UNAVAILABLE']);
    expect(res.headers['retry-after']).toBe('5');
  });
});
