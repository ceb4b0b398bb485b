import type { JWTPayload } from 'jose';
import { z } from 'zod';
import { platformRoleFromIdentityRoles, type IdentityRole, type IdentityUser, type PlatformRole } from '@cbp/contracts';
import { AppError } from '../../../platform/errors.js';
import type { PlatformTx } from '../../../platform/db.js';

/**
 * The identity-admin port (decision 010): what CBP asks of its identity provider's admin side.
 * Two adapters: `builtin.ts` (the embedded provider's users, realm `cbp`) and `keycloak.ts`
 * (Keycloak's Admin REST API with a service account). User ids are the provider's (a token's
 * `sub`): the CBP user id with the built-in provider, Keycloak's user id with Keycloak.
 */
export interface IdentityAdmin {
  readonly kind: 'builtin' | 'keycloak';
  /** The one realm CBP manages. */
  readonly realm: string;
  /** Realm roles; IDENTITY_REALM_NOT_FOUND for any other realm. */
  listRealmRoles(realm: string): Promise<IdentityRole[]>;
  /** IDENTITY_USER_NOT_FOUND when the provider has no such user. */
  getUser(userId: string): Promise<IdentityUser>;
  findUserByEmail(email: string): Promise<IdentityUser | null>;
  getUserRoles(userId: string): Promise<IdentityRole[]>;
  /**
   * Maps the role (by id or name) to the user; returns the role. `tx` is the transaction the
   * change is audited in: the built-in adapter writes in it, Keycloak's cannot.
   */
  addUserRole(userId: string, roleId: string, tx?: PlatformTx): Promise<IdentityRole>;
  removeUserRole(userId: string, roleId: string, tx?: PlatformTx): Promise<IdentityRole>;
  setUserEnabled(userId: string, enabled: boolean, tx?: PlatformTx): Promise<void>;
  /** Ends every session of the user (refresh tokens stop working). */
  logoutUser(userId: string): Promise<void>;
  /** Sends the user an email asking for the actions (e.g. UPDATE_PASSWORD). */
  requireActions(userId: string, actions: RequiredAction[]): Promise<void>;
}

export type RequiredAction = 'UPDATE_PASSWORD' | 'VERIFY_EMAIL' | 'CONFIGURE_TOTP' | 'UPDATE_PROFILE';

const RealmAccessClaims = z.object({ realm_access: z.object({ roles: z.array(z.string()) }) });

/** The realm roles a token carries (Keycloak's and the built-in provider's `realm_access.roles`). */
export function realmRolesOf(claims: JWTPayload): string[] {
  const parsed = RealmAccessClaims.safeParse(claims);
  return parsed.success ? parsed.data.realm_access.roles : [];
}

/**
 * The CBP platform role a token's identity roles grant, through the one mapping table
 * (`identityRoleMappings` in @cbp/contracts). Client roles (`resource_access`) grant nothing.
 */
export function platformRoleFromClaims(claims: JWTPayload): PlatformRole | null {
  return platformRoleFromIdentityRoles(realmRolesOf(claims));
}

export const realmNotFound = (realm: string) =>
  new AppError(404, 'IDENTITY_REALM_NOT_FOUND', `Realm "${realm}" is not managed by CBP.`);
export const roleNotFound = (roleId: string, realm: string) =>
  new AppError(404, 'IDENTITY_ROLE_NOT_FOUND', `Realm "${realm}" has no role "${roleId}".`);
export const userNotFound = (userId: string) => new AppError(404, 'IDENTITY_USER_NOT_FOUND', `The identity provider has no user "${userId}".`);
