/**
 * The model the isolation and RBAC matrix (src/platform/rbac-matrix.test.ts) checks the API
 * against: who the callers are, which tenant each belongs to with which role (from the demo
 * seed, not from the API), and what the RBAC table of @cbp/contracts says they may do.
 */
import { hasRoleAtLeast, minimumRoleFor, type Role, type RoutePolicy } from '@cbp/contracts';
import { demoTenants, demoUsers } from '../src/seed/demo.js';
import type { TestContext } from './harness.js';
import { accessTokenSigner } from './tokens.js';

export type TenantSlug = 'acme' | 'globex';
export const tenantIds: Record<TenantSlug, string> = { acme: demoTenants[0].id, globex: demoTenants[1].id };

/** A user who exists but belongs to no tenant (inserted by the matrix). */
export const loner = { id: '00000000-0000-4000-8000-0000000000f1', email: 'loner@matrix.test', name: 'Lone Ranger' };

export interface Caller {
  /** How the case is named in failures. */
  name: string;
  /** How the request authenticates. */
  credential: { kind: 'user'; email: string } | { kind: 'loner' } | { kind: 'none' } | { kind: 'expired'; email: string };
  /** The X-Tenant-Id header, if any. */
  tenant: TenantSlug | null;
}

/** Every caller of the matrix: each demo role in its own and in the foreign tenant, and the odd ones. */
export function callers(): Caller[] {
  const list: Caller[] = [];
  for (const u of demoUsers) {
    const home = (u.tenant ?? null) as TenantSlug | null;
    if (home === 'globex') {
      // Globex's people, sending Acme's id: a tenant they are not in.
      list.push({ name: `${u.email} -> acme (foreign tenant)`, credential: { kind: 'user', email: u.email }, tenant: 'acme' });
      continue;
    }
    list.push({ name: `${u.email} -> acme${home ? ' (own tenant)' : ''}`, credential: { kind: 'user', email: u.email }, tenant: 'acme' });
    list.push({ name: `${u.email} -> globex${home ? ' (foreign tenant)' : ''}`, credential: { kind: 'user', email: u.email }, tenant: 'globex' });
  }
  list.push({ name: 'no membership -> acme', credential: { kind: 'loner' }, tenant: 'acme' });
  list.push({ name: 'no membership, no X-Tenant-Id', credential: { kind: 'loner' }, tenant: null });
  list.push({ name: 'no token -> acme', credential: { kind: 'none' }, tenant: 'acme' });
  list.push({ name: 'expired owner token -> acme', credential: { kind: 'expired', email: 'owner@acme.test' }, tenant: 'acme' });
  return list;
}

/** The caller's role in a tenant as the seed made it (super_admin: any tenant), or null. */
export function roleOf(caller: Caller, tenant: TenantSlug | null): Role | null {
  if (caller.credential.kind !== 'user' || !tenant) return null;
  const email = caller.credential.email;
  const user = demoUsers.find((u) => u.email === email);
  if (user?.platformRole === 'super_admin') return 'super_admin';
  return user?.tenant === tenant ? (user.role ?? null) : null;
}

export type Expectation = { allowed: true } | { allowed: false; status: number; code: string };

/**
 * What the policy says the answer is: 401 without a valid token (non-public routes), 400
 * TENANT_REQUIRED when a tenant route cannot tell the tenant, 403 NOT_A_MEMBER outside one's
 * tenants, 403 FORBIDDEN below the route's minimum role, otherwise allowed.
 */
export function expectationFor(policy: RoutePolicy, caller: Caller): Expectation {
  if (policy.access === 'public') return { allowed: true };
  if (caller.credential.kind === 'none' || caller.credential.kind === 'expired') return { allowed: false, status: 401, code: 'UNAUTHENTICATED' };
  if (policy.access === 'authenticated') return { allowed: true };
  if (policy.access === 'platform') {
    const c = caller.credential;
    const staff = c.kind === 'user' ? demoUsers.find((u) => u.email === c.email)?.platformRole : undefined;
    const minimum = minimumRoleFor(policy.resource, policy.action);
    if (!minimum) throw new Error(`no minimum role for ${policy.resource}.${policy.action}`);
    return staff && hasRoleAtLeast(staff, minimum) ? { allowed: true } : { allowed: false, status: 403, code: 'FORBIDDEN' };
  }
  if (!caller.tenant) return { allowed: false, status: 400, code: 'TENANT_REQUIRED' };
  const role = roleOf(caller, caller.tenant);
  if (!role) return { allowed: false, status: 403, code: 'NOT_A_MEMBER' };
  const minimum = minimumRoleFor(policy.resource, policy.action);
  if (!minimum) throw new Error(`no minimum role for ${policy.resource}.${policy.action}`);
  return hasRoleAtLeast(role, minimum) ? { allowed: true } : { allowed: false, status: 403, code: 'FORBIDDEN' };
}

/** An access token like the built-in issuer's for any user id (`expiresAt` in seconds since the epoch). */
export function signToken(t: TestContext, userId: string, expiresAt?: number): Promise<string> {
  return accessTokenSigner({ keys: t.keys, issuer: t.config.issuer, audience: t.config.audience }).forUserId(userId, {
    expiresAt: expiresAt ?? '1h',
  });
}

/** Headers of a caller's request. */
export async function headersOf(t: TestContext, caller: Caller): Promise<Record<string, string>> {
  const tenant: Record<string, string> = caller.tenant ? { 'x-tenant-id': tenantIds[caller.tenant] } : {};
  const c = caller.credential;
  switch (c.kind) {
    case 'none':
      return tenant;
    case 'loner':
      return { ...tenant, authorization: `Bearer ${await signToken(t, loner.id)}` };
    case 'expired': {
      const user = demoUsers.find((u) => u.email === c.email);
      if (!user) throw new Error(`no demo user ${c.email}`);
      return { ...tenant, authorization: `Bearer ${await signToken(t, user.id, Math.floor(Date.now() / 1000) - 300)}` };
    }
    case 'user':
      return { ...tenant, authorization: `Bearer ${await t.tokenFor(c.email)}` };
  }
}

/** Codes only the guard answers with: an allowed request must never get them. */
export const guardCodes = ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_A_MEMBER', 'TENANT_REQUIRED'];
