import { z } from 'zod';

/** Roles a user holds inside one tenant, lowest first. */
export const tenantRoles = ['analyst', 'engineer', 'admin', 'owner'] as const;
export const TenantRole = z.enum(tenantRoles);
export type TenantRole = z.infer<typeof TenantRole>;

/** Platform staff role; it outranks every tenant role in every tenant. */
export const PlatformRole = z.enum(['super_admin']);
export type PlatformRole = z.infer<typeof PlatformRole>;

export type Role = TenantRole | PlatformRole;

export const roleLevels: Record<Role, number> = {
  analyst: 10,
  engineer: 20,
  admin: 30,
  owner: 40,
  super_admin: 50,
};

export const roleDescriptions: Record<Role, { name: string; description: string }> = {
  analyst: { name: 'Analyst', description: 'Reads billing, usage and organization data.' },
  engineer: { name: 'Engineer', description: 'Analyst, plus reports usage and runs workflows.' },
  admin: { name: 'Admin', description: 'Engineer, plus manages members, settings and audit logs.' },
  owner: { name: 'Owner', description: 'Admin, plus subscription, payment methods and ownership.' },
  super_admin: { name: 'Platform staff', description: 'Operates the platform across all tenants.' },
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && Object.hasOwn(roleLevels, value);
}

/** True when `role` is at least `minimum` in the analyst < engineer < admin < owner < super_admin order. */
export function hasRoleAtLeast(role: Role | null | undefined, minimum: Role): boolean {
  if (!role) return false;
  return roleLevels[role] >= roleLevels[minimum];
}

/** The highest of the roles given (for identity providers that hand out several). */
export function highestRole(roles: readonly string[]): Role | null {
  let best: Role | null = null;
  for (const r of roles) {
    if (isRole(r) && (!best || roleLevels[r] > roleLevels[best])) best = r;
  }
  return best;
}
