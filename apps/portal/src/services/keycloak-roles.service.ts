import { IdentityRoleList, IdentityUserList, IdentityUserRoles, type IdentityRole, type IdentityUser } from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';

/*
 * Identity roles (platform staff only): the identity provider's realm roles and who holds
 * them (GET/POST/DELETE /keycloak/...). Not about one tenant: no X-Tenant-Id. Reads are
 * `silent` (the page shows their errors in place); assign and revoke errors are shown in the
 * confirmation dialog.
 */

export type { IdentityRole, IdentityUser, IdentityUserRoles };

export async function getRealmRoles(): Promise<IdentityRole[]> {
  const { data } = await platformApi.get<unknown>('/keycloak/roles', { tenantScoped: false, silent: true });
  return parseResponse(IdentityRoleList, data, 'GET /keycloak/roles');
}

/** The identity user with this email, or null. */
export async function findIdentityUser(email: string): Promise<IdentityUser | null> {
  const { data } = await platformApi.get<unknown>('/keycloak/users', { params: { email }, tenantScoped: false, silent: true });
  return parseResponse(IdentityUserList, data, 'GET /keycloak/users')[0] ?? null;
}

export async function getUserRoles(userId: string): Promise<IdentityUserRoles> {
  const { data } = await platformApi.get<unknown>(`/keycloak/users/${encodeURIComponent(userId)}/roles`, { tenantScoped: false, silent: true });
  return parseResponse(IdentityUserRoles, data, 'GET /keycloak/users/:userId/roles');
}

const mappingUrl = (realm: string, userId: string) => `/keycloak/roles/${encodeURIComponent(realm)}/users/${encodeURIComponent(userId)}/roles`;

export async function assignRole(realm: string, userId: string, roleId: string): Promise<IdentityUserRoles> {
  const { data } = await platformApi.post<unknown>(mappingUrl(realm, userId), { roleId }, { tenantScoped: false, silent: true });
  return parseResponse(IdentityUserRoles, data, 'POST /keycloak/roles/:realm/users/:userId/roles');
}

export async function revokeRole(realm: string, userId: string, roleId: string): Promise<IdentityUserRoles> {
  const { data } = await platformApi.delete<unknown>(mappingUrl(realm, userId), { data: { roleId }, tenantScoped: false, silent: true });
  return parseResponse(IdentityUserRoles, data, 'DELETE /keycloak/roles/:realm/users/:userId/roles');
}
