import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../platform/errors.js';
import { startKeycloakFake, type KeycloakFake } from '../../../../test/keycloak-fake.js';
import { createKeycloakIdentityAdmin } from './keycloak.js';
import type { IdentityAdmin } from './port.js';

/** The real @keycloak/keycloak-admin-client against the local Admin REST fake. */
describe('Keycloak identity-admin adapter', () => {
  let kc: KeycloakFake;
  let admin: IdentityAdmin;
  let engineerId: string;
  beforeAll(async () => {
    kc = await startKeycloakFake();
    engineerId = kc.addUser('engineer@acme.test', { firstName: 'Evan', lastName: 'Engineer' }).id;
    admin = createKeycloakIdentityAdmin({ url: kc.url, realm: kc.realm, clientId: kc.clientId, clientSecret: kc.clientSecret, timeoutMs: 2_000 });
  });
  afterAll(() => kc.close());

  const problem = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  };

  it('lists the realm roles with descriptions, authenticating with the service account', async () => {
    const roles = await admin.listRealmRoles('cbp');
    expect(roles.map((r) => r.name)).toEqual(expect.arrayContaining(['super_admin', 'offline_access', 'default-roles-cbp']));
    expect(roles.find((r) => r.name === 'super_admin')).toMatchObject({ description: 'Platform staff: staff console and every tenant', composite: false });
    expect(roles.find((r) => r.name === 'default-roles-cbp')?.composite).toBe(true);
    const tokenCall = kc.requests.find((r) => r.path.endsWith('/protocol/openid-connect/token'));
    expect(tokenCall?.authorization).toBe(`Basic ${Buffer.from('cbp-admin:fake-secret').toString('base64')}`);
    expect(tokenCall?.body).toContain('grant_type=client_credentials');
  });

  it('finds a user by email and assigns, lists and revokes a realm role', async () => {
    const user = await admin.findUserByEmail('Engineer@acme.test');
    expect(user).toEqual({ id: engineerId, email: 'engineer@acme.test', name: 'Evan Engineer', enabled: true });
    expect(await admin.findUserByEmail('nobody@acme.test')).toBeNull();

    const role = await admin.addUserRole(engineerId, 'super_admin');
    expect(role.name).toBe('super_admin');
    expect((await admin.getUserRoles(engineerId)).map((r) => r.name)).toContain('super_admin');
    const superAdminId = kc.roles.find((r) => r.name === 'super_admin')?.id ?? '';
    expect(kc.mappings.get(engineerId)?.has(superAdminId)).toBe(true);

    await admin.removeUserRole(engineerId, superAdminId);
    expect((await admin.getUserRoles(engineerId)).map((r) => r.name)).not.toContain('super_admin');
    expect(kc.mappings.get(engineerId)?.has(superAdminId)).toBe(false);
  });

  it('disables a user, ends their sessions and emails required actions', async () => {
    await admin.setUserEnabled(engineerId, false);
    expect(kc.users.find((u) => u.id === engineerId)?.enabled).toBe(false);
    await admin.setUserEnabled(engineerId, true);
    await admin.logoutUser(engineerId);
    expect(kc.loggedOut).toContain(engineerId);
    await admin.requireActions(engineerId, ['UPDATE_PASSWORD']);
    expect(kc.actionEmails).toContainEqual({ userId: engineerId, actions: ['UPDATE_PASSWORD'] });
  });

  it('answers 404 with a clear message for an unknown realm, role or user', async () => {
    const realm = await problem(admin.listRealmRoles('other'));
    expect([realm.status, realm.code]).toEqual([404, 'IDENTITY_REALM_NOT_FOUND']);
    const role = await problem(admin.addUserRole(engineerId, 'no_such_role'));
    expect([role.status, role.code, role.message]).toEqual([404, 'IDENTITY_ROLE_NOT_FOUND', 'Realm "cbp" has no role "no_such_role".']);
    const user = await problem(admin.getUserRoles('6f1c1c0e-0000-4000-8000-000000000000'));
    expect([user.status, user.code]).toEqual([404, 'IDENTITY_USER_NOT_FOUND']);
    const assign = await problem(admin.addUserRole('6f1c1c0e-0000-4000-8000-000000000000', 'super_admin'));
    expect(assign.code).toBe('IDENTITY_USER_NOT_FOUND');
  });

  it('fetches a new service-account token when Keycloak answers 401, and the call succeeds', async () => {
    const before = kc.tokensIssued();
    kc.expireTokens();
    const roles = await admin.listRealmRoles('cbp');
    expect(roles.length).toBeGreaterThan(0);
    expect(kc.tokensIssued()).toBe(before + 1);
  });

  it('maps Keycloak errors to 502 and an unreachable Keycloak to 503', async () => {
    kc.failNext(500);
    const broken = await problem(admin.listRealmRoles('cbp'));
    expect([broken.status, broken.code]).toEqual([502, 'IDENTITY_PROVIDER_UNAVAILABLE']);
    kc.failNext(503);
    expect((await problem(admin.listRealmRoles('cbp'))).status).toBe(503);

    const wrongSecret = createKeycloakIdentityAdmin({ url: kc.url, realm: kc.realm, clientId: kc.clientId, clientSecret: 'wrong' });
    const refused = await problem(wrongSecret.listRealmRoles('cbp'));
    expect([refused.status, refused.code]).toEqual([502, 'IDENTITY_PROVIDER_UNAVAILABLE']);
    expect(refused.message).toContain('service account');

    const down = await startKeycloakFake();
    const downAdmin = createKeycloakIdentityAdmin({ url: down.url, realm: down.realm, clientId: down.clientId, clientSecret: down.clientSecret, timeoutMs: 2_000 });
    await down.close();
    const unreachable = await problem(downAdmin.listRealmRoles('cbp'));
    expect([unreachable.status, unreachable.code]).toEqual([503, 'IDENTITY_PROVIDER_UNAVAILABLE']);
  });
});
