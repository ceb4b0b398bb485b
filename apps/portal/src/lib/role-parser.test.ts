import { describe, expect, it } from 'vitest';
import { canAccess, cbpRoleForIdentityRole, decideAccess, parseRole, roleLevel, type Role } from '@/lib/role-parser';

const roles: Role[] = ['analyst', 'engineer', 'admin', 'owner', 'super_admin'];

describe('role levels', () => {
  it('orders analyst < engineer < admin < owner < super_admin, and no role below all', () => {
    const levels = roles.map(roleLevel);
    expect([...levels].sort((a, b) => a - b)).toEqual(levels);
    expect(new Set(levels).size).toBe(roles.length);
    expect(roleLevel(null)).toBeLessThan(roleLevel('analyst'));
  });

  it('accepts only known role names', () => {
    expect(parseRole('admin')).toBe('admin');
    expect(parseRole('root')).toBeNull();
    expect(parseRole(undefined)).toBeNull();
  });
});

describe('canAccess', () => {
  // Expected answers per role, in the order of `roles`.
  const cases: Array<[resource: string, action: string, allowed: boolean[]]> = [
    ['dashboard', 'show', [true, true, true, true, true]],
    ['usage', 'create', [false, true, true, true, true]],
    ['audit-logs', 'list', [false, false, true, true, true]],
    ['user-invitations', 'create', [false, false, true, true, true]],
    ['payment-methods', 'create', [false, false, false, true, true]],
    ['organization', 'delete', [false, false, false, true, true]],
    ['identity-roles', 'list', [false, false, false, false, true]],
  ];

  for (const [resource, action, allowed] of cases) {
    it(`${action} ${resource}`, () => {
      expect(roles.map((role) => canAccess(role, resource, action))).toEqual(allowed);
    });
  }

  it('denies what the table does not list, even to platform staff', () => {
    expect(canAccess('super_admin', 'audit-logs', 'delete')).toBe(false);
    expect(canAccess('super_admin', 'no-such-resource', 'list')).toBe(false);
  });

  it('denies everything to someone without a role', () => {
    expect(canAccess(null, 'dashboard', 'show')).toBe(false);
  });
});

describe('decideAccess', () => {
  it('explains the role needed and the role held', () => {
    expect(decideAccess('analyst', 'audit-logs', 'list')).toEqual({
      can: false,
      reason: 'Requires the Admin role or higher; your role is Analyst.',
    });
    expect(decideAccess('admin', 'audit-logs', 'list')).toEqual({ can: true });
  });
});

describe('identity (realm) roles', () => {
  it("maps Keycloak's super_admin to platform staff and ignores the realm's other roles", () => {
    expect(cbpRoleForIdentityRole('super_admin')).toBe('super_admin');
    for (const name of ['offline_access', 'uma_authorization', 'default-roles-cbp', 'owner', 'admin']) expect(cbpRoleForIdentityRole(name)).toBeNull();
  });
});
