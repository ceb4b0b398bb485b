import {
  cbpRoleOfIdentityRole,
  hasRoleAtLeast,
  isRole,
  minimumRoleFor,
  roleDescriptions,
  roleLevels,
  tenantRoles,
  type Role,
} from '@cbp/contracts';

/**
 * RBAC helpers for the UI. The policy table itself lives in `@cbp/contracts`
 * (the API enforces the same table); nothing here restates it.
 */
export type { Role };

export function parseRole(value: unknown): Role | null {
  return isRole(value) ? value : null;
}

/** 0 for "no role", otherwise the level from the shared table (analyst lowest). */
export function roleLevel(role: Role | null | undefined): number {
  return role ? roleLevels[role] : 0;
}

export function roleName(role: Role): string {
  return roleDescriptions[role].name;
}

export function roleDescription(role: Role): string {
  return roleDescriptions[role].description;
}

/**
 * What an identity provider's realm role means in CBP (the one mapping table,
 * `identityRoleMappings` in @cbp/contracts, which the API maps tokens with): a CBP role, or
 * null for realm roles CBP ignores (offline_access, default-roles-*).
 */
export function cbpRoleForIdentityRole(identityRole: string): Role | null {
  return cbpRoleOfIdentityRole(identityRole);
}

export function requiredRoleFor(resource: string, action: string): Role | null {
  return minimumRoleFor(resource, action);
}

/** Deny by default: a resource/action the table does not list is not allowed. */
export function canAccess(role: Role | null | undefined, resource: string, action: string): boolean {
  const minimum = minimumRoleFor(resource, action);
  return minimum !== null && hasRoleAtLeast(role, minimum);
}

export interface AccessDecision {
  can: boolean;
  reason?: string;
}

export function decideAccess(role: Role | null | undefined, resource: string, action: string): AccessDecision {
  if (canAccess(role, resource, action)) return { can: true };
  const minimum = minimumRoleFor(resource, action);
  if (!minimum) return { can: false, reason: `No role may ${action} ${resource}.` };
  const yours = role ? `your role is ${roleName(role)}` : 'you have no role in this organization';
  return { can: false, reason: `Requires the ${roleName(minimum)} role or higher; ${yours}.` };
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');

/**
 * "Only an owner can change the plan; your role is Analyst.": why `role` may not do `doWhat`,
 * with the minimum role taken from the RBAC table for `resource`/`action`.
 */
export function missingRoleExplanation(role: Role | null, resource: string, action: string, doWhat: string): string {
  const minimum = minimumRoleFor(resource, action);
  if (!minimum) return `Nobody can ${doWhat} in the portal.`;
  const name = roleName(minimum).toLowerCase();
  const topTenantRole = tenantRoles.every((r) => roleLevels[r] <= roleLevels[minimum]);
  const who = topTenantRole ? `${article(name)} ${name}` : `${article(name)} ${name} or a higher role`;
  const yours = role ? `your role is ${roleName(role)}` : 'you have no role in this organization';
  return `Only ${who} can ${doWhat}; ${yours}.`;
}
