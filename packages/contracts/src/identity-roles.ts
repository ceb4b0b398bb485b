import { z } from 'zod';
import type { PlatformRole } from './roles.js';

/**
 * Identity roles (realm roles of the identity provider: Keycloak's realm, or the built-in
 * provider's realm `cbp`) and what they mean in CBP. This is the ONE mapping table: the API
 * derives a token's platform role from it (adapters/identity/admin/port.ts) and the portal's
 * role parser reads the same table.
 *
 * | identity role  | CBP role     | meaning                                          |
 * |----------------|--------------|--------------------------------------------------|
 * | `super_admin`  | super_admin  | platform staff: staff console and every tenant   |
 *
 * Tenant roles (analyst < engineer < admin < owner) are not identity roles: they are
 * memberships held in CBP's database per tenant. Any other realm role (Keycloak's
 * `offline_access`, `uma_authorization`, `default-roles-<realm>`) means nothing to CBP.
 */
export const identityRoleMappings = [
  { identityRole: 'super_admin', cbpRole: 'super_admin', description: 'Platform staff: staff console and every tenant' },
] as const satisfies readonly { identityRole: string; cbpRole: PlatformRole; description: string }[];

/** The CBP platform role that a set of identity (realm) roles grants, or null. */
export function platformRoleFromIdentityRoles(roles: readonly string[]): PlatformRole | null {
  for (const m of identityRoleMappings) if (roles.includes(m.identityRole)) return m.cbpRole;
  return null;
}

/** The CBP role an identity role maps to, or null when it means nothing to CBP. */
export function cbpRoleOfIdentityRole(identityRole: string): PlatformRole | null {
  return identityRoleMappings.find((m) => m.identityRole === identityRole)?.cbpRole ?? null;
}

export const IdentityRole = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  composite: z.boolean(),
});
export type IdentityRole = z.infer<typeof IdentityRole>;

export const IdentityRoleList = z.array(IdentityRole);

export const IdentityUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  enabled: z.boolean(),
});
export type IdentityUser = z.infer<typeof IdentityUser>;

export const IdentityUserList = z.array(IdentityUser);

export const IdentityRealmParams = z.object({ realm: z.string().min(1).max(255) });
/** The identity provider's id of a user (built-in: the CBP user id; Keycloak: its user id). */
export const IdentityUserParams = z.object({ userId: z.string().min(1).max(255) });
export const IdentityRoleMappingParams = IdentityRealmParams.extend(IdentityUserParams.shape);

export const IdentityRoleMappingBody = z.object({ roleId: z.string().min(1).max(255) });
export type IdentityRoleMappingBody = z.infer<typeof IdentityRoleMappingBody>;

export const IdentityUserQuery = z.object({ email: z.email().max(320) });

export const IdentityUserRoles = z.object({
  userId: z.string(),
  realm: z.string(),
  roles: IdentityRoleList,
});
export type IdentityUserRoles = z.infer<typeof IdentityUserRoles>;
