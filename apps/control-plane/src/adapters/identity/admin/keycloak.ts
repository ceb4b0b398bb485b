import KeycloakAdminClient, { NetworkError } from '@keycloak/keycloak-admin-client';
import type { IdentityRole, IdentityUser } from '@cbp/contracts';
import { AppError } from '../../../platform/errors.js';
import { realmNotFound, roleNotFound, userNotFound, type IdentityAdmin } from './port.js';

export interface KeycloakAdminOptions {
  /** Keycloak's base URL (without /realms/...). */
  url: string;
  realm: string;
  clientId: string;
  clientSecret: string;
  /** Per request (ms); an upstream slower than this counts as unreachable. */
  timeoutMs?: number;
}

interface KeycloakRole {
  id?: string;
  name?: string;
  description?: string;
  composite?: boolean;
}
interface KeycloakUser {
  id?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  username?: string;
  enabled?: boolean;
}

const toRole = (r: KeycloakRole): IdentityRole => ({ id: r.id ?? r.name ?? '', name: r.name ?? '', description: r.description ?? '', composite: r.composite ?? false });
const toUser = (u: KeycloakUser): IdentityUser => {
  const name = [u.firstName, u.lastName].filter(Boolean).join(' ');
  return { id: u.id ?? '', email: u.email ?? u.username ?? '', name: name || null, enabled: u.enabled ?? true };
};

const unavailable = (detail: string) => new AppError(503, 'IDENTITY_PROVIDER_UNAVAILABLE', detail);
const badGateway = (detail: string) => new AppError(502, 'IDENTITY_PROVIDER_UNAVAILABLE', detail);

/** An upstream error as CBP's (404s are mapped by the caller, who knows what was missing). */
function upstreamProblem(err: unknown): Error {
  if (err instanceof AppError) return err;
  if (err instanceof NetworkError) {
    const status = err.response.status;
    if (status === 502 || status === 503 || status === 504 || status === 429) return unavailable(`Keycloak is unavailable (HTTP ${status}); retry shortly.`);
    if (status === 401 || status === 403) return badGateway(`Keycloak refused CBP's service account (HTTP ${status}); check KEYCLOAK_ADMIN_CLIENT_ID/SECRET and its realm-management roles.`);
    return badGateway(`Keycloak answered HTTP ${status}.`);
  }
  // fetch() failing: refused connection, DNS, timeout.
  return unavailable('Keycloak cannot be reached; retry shortly.');
}

const isStatus = (err: unknown, status: number) => err instanceof NetworkError && err.response.status === status;

/**
 * The identity-admin port over Keycloak's Admin REST API (decision 010), with a confidential
 * client's service account (client-credentials grant). The access token is fetched on first
 * use and fetched again when Keycloak answers 401 (expired or revoked), once per call.
 */
export function createKeycloakIdentityAdmin(options: KeycloakAdminOptions): IdentityAdmin {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = new KeycloakAdminClient({
    baseUrl: options.url.replace(/\/$/, ''),
    realmName: options.realm,
    timeout: timeoutMs,
  });
  let authenticating: Promise<void> | undefined;
  let authenticated = false;

  function authenticate(): Promise<void> {
    authenticating ??= client
      .auth({ grantType: 'client_credentials', clientId: options.clientId, clientSecret: options.clientSecret })
      .then(() => {
        authenticated = true;
      })
      .finally(() => {
        authenticating = undefined;
      });
    return authenticating;
  }

  /** One admin call: authenticated, retried once after a 401 with a new token; errors mapped. */
  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      if (!authenticated) await authenticate();
      try {
        return await fn();
      } catch (err) {
        if (!isStatus(err, 401)) throw err;
        authenticated = false;
        await authenticate();
        return await fn();
      }
    } catch (err) {
      throw upstreamProblem(err);
    }
  }

  /** Like call(), with a 404 from Keycloak meaning the user does not exist. */
  async function userCall<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await call(fn);
    } catch (err) {
      if (err instanceof AppError && err.status === 502 && err.message.includes('HTTP 404')) throw userNotFound(userId);
      throw err;
    }
  }

  async function realmRoles(): Promise<KeycloakRole[]> {
    return call(() => client.roles.find());
  }

  async function resolveRole(roleId: string): Promise<KeycloakRole> {
    const found = (await realmRoles()).find((r) => r.id === roleId || r.name === roleId);
    if (!found?.id || !found.name) throw roleNotFound(roleId, options.realm);
    return found;
  }

  async function getUser(userId: string): Promise<IdentityUser> {
    const user = await userCall(userId, () => client.users.findOne({ id: userId }));
    if (!user) throw userNotFound(userId);
    return toUser(user);
  }

  return {
    kind: 'keycloak',
    realm: options.realm,
    async listRealmRoles(realm) {
      if (realm !== options.realm) throw realmNotFound(realm);
      return (await realmRoles()).map(toRole);
    },
    getUser,
    async findUserByEmail(email) {
      const found = await call(() => client.users.find({ email, exact: true }));
      const user = found.find((u) => u.email?.toLowerCase() === email.toLowerCase());
      return user ? toUser(user) : null;
    },
    async getUserRoles(userId) {
      await getUser(userId);
      return (await userCall(userId, () => client.users.listRealmRoleMappings({ id: userId }))).map(toRole);
    },
    async addUserRole(userId, roleId) {
      const role = await resolveRole(roleId);
      await getUser(userId);
      await userCall(userId, () => client.users.addRealmRoleMappings({ id: userId, roles: [{ id: role.id ?? '', name: role.name ?? '' }] }));
      return toRole(role);
    },
    async removeUserRole(userId, roleId) {
      const role = await resolveRole(roleId);
      await getUser(userId);
      await userCall(userId, () => client.users.delRealmRoleMappings({ id: userId, roles: [{ id: role.id ?? '', name: role.name ?? '' }] }));
      return toRole(role);
    },
    async setUserEnabled(userId, enabled) {
      await userCall(userId, () => client.users.update({ id: userId }, { enabled }));
    },
    async logoutUser(userId) {
      await userCall(userId, () => client.users.logout({ id: userId }));
    },
    async requireActions(userId, actions) {
      await userCall(userId, () => client.users.executeActionsEmail({ id: userId, actions, lifespan: 12 * 3600 }));
    },
  };
}
