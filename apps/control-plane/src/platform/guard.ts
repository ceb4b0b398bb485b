import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { z } from 'zod';
import {
  hasRoleAtLeast,
  minimumRoleFor,
  routePolicies,
  type Role,
  type RoutePolicy,
} from '@cbp/contracts';
import { hasSecondFactor, type Authenticator, type AuthenticatedUser, type Principal } from './auth.js';
import type { RequestContext, TenantContext } from './context.js';
import type { AppDb } from './db.js';
import { tenantStatus } from './accounts.js';
import { AppError, forbidden } from './errors.js';
import { createStaffAccessRecorder } from './staff-access.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthenticatedUser | null;
    ctx: RequestContext;
  }
  interface FastifyContextConfig {
    policy?: RoutePolicy;
  }
}

/** The route's authenticated user; only call from routes whose policy is not public. */
export function authOf(request: FastifyRequest): AuthenticatedUser {
  if (!request.auth) throw new AppError(401, 'UNAUTHENTICATED', 'A valid bearer token is required.');
  return request.auth;
}

/** The route's tenant; only call from tenant routes. */
export function tenantOf(request: FastifyRequest): string {
  if (!request.ctx.tenantId) throw new AppError(400, 'TENANT_REQUIRED', 'This route needs a tenant.');
  return request.ctx.tenantId;
}

/** The request context of a tenant route, with its tenant guaranteed. */
export function tenantContext(request: FastifyRequest): TenantContext {
  return { ...request.ctx, tenantId: tenantOf(request) };
}

const TenantHeader = z.uuid();

/** The X-Tenant-Id header: absent, a tenant id, or invalid (reported after authentication). */
function tenantHeader(request: FastifyRequest): { tenantId: string | null; invalid: boolean } {
  const header = request.headers['x-tenant-id'];
  if (header === undefined || header === '') return { tenantId: null, invalid: false };
  const parsed = TenantHeader.safeParse(Array.isArray(header) ? header[0] : header);
  return parsed.success ? { tenantId: parsed.data, invalid: false } : { tenantId: null, invalid: true };
}

const mfaRequired = () =>
  new AppError(403, 'MFA_REQUIRED', 'Your organization requires two-step verification: sign in again with your authenticator code (or set one up when asked).');

const tenantSuspended = () => new AppError(403, 'TENANT_SUSPENDED', 'This organization is suspended; contact your platform administrator.');

/** The tenant of a request and the caller's role in it, from the principal already read with the user. */
function resolveTenant(principal: Principal, header: { tenantId: string | null; invalid: boolean }): { tenantId: string; role: Role } {
  if (header.invalid) {
    throw new AppError(400, 'VALIDATION_FAILED', 'X-Tenant-Id must be a tenant id (UUID).', [
      { path: 'headers.x-tenant-id', message: 'Must be a UUID' },
    ]);
  }
  if (!header.tenantId && principal.activeMemberships !== 1) {
    throw new AppError(400, 'TENANT_REQUIRED', 'Choose a tenant with the X-Tenant-Id header.');
  }
  const tenant = principal.tenant;
  if (principal.auth.platformRole === 'super_admin' && tenant) {
    return { tenantId: tenant.id, role: 'super_admin' };
  }
  // A tenant that does not exist and one the caller is not in look the same from outside.
  if (!tenant?.role) throw new AppError(403, 'NOT_A_MEMBER', 'You are not a member of this tenant.');
  if (tenant.status === 'suspended') throw tenantSuspended();
  return { tenantId: tenant.id, role: tenant.role };
}

/**
 * Guards every route from the RBAC table of `@cbp/contracts`: a route missing from the table
 * stops the app from starting (fail closed). Runs before validation, so an unauthorised
 * caller learns nothing about the body a route expects.
 */
/** A tenant API key behind a `cbp_...` bearer secret, or null (modules/api-keys). */
export type ApiKeyAuthenticator = (secret: string) => Promise<{ id: string; tenantId: string; scopes: string[] } | null>;

/** What an API key's scope lets it call: only usage reporting. */
const apiKeyScopes: Record<string, { resource: string; action: string }> = { 'usage:write': { resource: 'usage', action: 'create' } };

export function registerGuard(
  app: FastifyInstance,
  {
    db,
    authenticator,
    authenticateApiKey,
    extraPolicies = {},
  }: {
    db: AppDb;
    authenticator: Authenticator;
    authenticateApiKey?: ApiKeyAuthenticator;
    /** Policies of routes outside the contract's table, for this app only (the end-to-end test hooks). */
    extraPolicies?: Readonly<Record<string, RoutePolicy>>;
  },
) {
  app.decorateRequest('auth', null);
  app.decorateRequest('ctx', null as unknown as RequestContext);
  const recordStaffAccess = createStaffAccessRecorder(db);
  app.addHook('onRequest', async (request) => {
    request.ctx = {
      actor: { type: 'system', id: null, email: null },
      tenantId: null,
      role: null,
      ipAddress: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    };
  });

  // A write of this copy may have changed access (role, membership, key): the next cached
  // answer re-reads the auth epoch first. API-key writes (usage events) change none of it.
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS' && request.ctx?.actor.type !== 'api_key') {
      authenticator.invalidate();
    }
    return payload;
  });

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const method = methods.find((m) => m !== 'HEAD');
    if (!method) return;
    const key = `${method} ${route.url}`;
    const policy = routePolicies[key] ?? extraPolicies[key];
    if (!policy) throw new Error(`Route ${key} has no entry in routePolicies (packages/contracts/src/rbac.ts)`);
    route.config = { ...(route.config ?? {}), policy };
    if (policy.access === 'public') return;
    const guard: onRequestHookHandler = async (request) => {
      const secret = /^Bearer (cbp_\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (secret && authenticateApiKey) {
        const key = await authenticator.apiKey(secret, async () => {
          const found = await authenticateApiKey(secret);
          return found && { ...found, tenantStatus: await tenantStatus(db, found.tenantId) };
        });
        if (!key) throw new AppError(401, 'UNAUTHENTICATED', 'This API key is not valid or was revoked.');
        if (key.tenantStatus === 'suspended') throw tenantSuspended();
        const allowed = policy.access === 'tenant' && key.scopes.some((scope) => apiKeyScopes[scope]?.resource === policy.resource && apiKeyScopes[scope]?.action === policy.action);
        if (!allowed) throw forbidden('API keys can only report usage (POST /usage/events).');
        const header = request.headers['x-tenant-id'];
        if (header !== undefined && header !== '' && header !== key.tenantId) throw new AppError(403, 'NOT_A_MEMBER', 'This API key belongs to another tenant.');
        request.ctx = {
          actor: { type: 'api_key', id: key.id, email: null },
          tenantId: key.tenantId,
          role: null,
          ipAddress: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
        };
        return;
      }
      // One statement (or none, from the cache) for the user, their membership and the tenant.
      const header = policy.access === 'tenant' ? tenantHeader(request) : { tenantId: null, invalid: false };
      const principal = await authenticator.principal(request.headers.authorization, header.tenantId);
      const auth = principal.auth;
      request.auth = auth;
      const base: RequestContext = {
        actor: { type: 'user', id: auth.user.id, email: auth.user.email },
        tenantId: null,
        role: auth.platformRole,
        ipAddress: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      };
      if (policy.access === 'authenticated') {
        request.ctx = base;
        return;
      }
      if (policy.access === 'platform') {
        request.ctx = base;
        const needed = minimumRoleFor(policy.resource, policy.action);
        if (!needed) throw new Error(`No policy for ${policy.resource}.${policy.action}`);
        if (!hasRoleAtLeast(auth.platformRole, needed)) throw forbidden(`This action is for platform staff (${needed}) only.`);
        return;
      }
      const { tenantId, role } = resolveTenant(principal, header);
      // The organization requires two-step verification (its settings, migration 0041): a token
      // from a sign-in without a second factor is refused, whatever the role (staff included).
      if (principal.tenant?.mfaRequired && !hasSecondFactor(auth.claims)) throw mfaRequired();
      request.ctx = { ...base, tenantId, role };
      const minimum = minimumRoleFor(policy.resource, policy.action);
      if (!minimum) throw new Error(`No policy for ${policy.resource}.${policy.action}`);
      if (!hasRoleAtLeast(role, minimum)) {
        throw forbidden(`This action needs the ${minimum} role or higher; your role in this tenant is ${role}.`);
      }
      // Platform staff inside a tenant they are not a member of: the tenant's trail says so.
      if (role === 'super_admin' && !principal.tenant?.role) {
        await recordStaffAccess({ ...request.ctx, tenantId }, { method: request.method, path: request.url.split('?')[0] ?? request.url });
      }
    };
    const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    route.onRequest = [guard, ...existing];
  });
}
