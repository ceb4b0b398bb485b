import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { z } from 'zod';
import {
  hasRoleAtLeast,
  minimumRoleFor,
  routePolicies,
  type Role,
  type RoutePolicy,
} from '@cbp/contracts';
import type { Authenticator, AuthenticatedUser } from './auth.js';
import type { RequestContext, TenantContext } from './context.js';
import type { AppDb } from './db.js';
import { membershipsOf, roleInTenant, tenantExists } from './accounts.js';
import { AppError, forbidden } from './errors.js';

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

async function resolveTenant(db: AppDb, request: FastifyRequest, auth: AuthenticatedUser): Promise<{ tenantId: string; role: Role }> {
  const header = request.headers['x-tenant-id'];
  let tenantId: string;
  if (header === undefined || header === '') {
    const tenants = await membershipsOf(db, auth.user.id);
    if (tenants.length !== 1 || !tenants[0]) {
      throw new AppError(400, 'TENANT_REQUIRED', 'Choose a tenant with the X-Tenant-Id header.');
    }
    tenantId = tenants[0].id;
  } else {
    const parsed = TenantHeader.safeParse(Array.isArray(header) ? header[0] : header);
    if (!parsed.success) {
      throw new AppError(400, 'VALIDATION_FAILED', 'X-Tenant-Id must be a tenant id (UUID).', [
        { path: 'headers.x-tenant-id', message: 'Must be a UUID' },
      ]);
    }
    tenantId = parsed.data;
  }
  if (auth.platformRole === 'super_admin' && (await tenantExists(db, tenantId))) {
    return { tenantId, role: 'super_admin' };
  }
  const role = await roleInTenant(db, auth.user.id, tenantId);
  // A tenant that does not exist and one the caller is not in look the same from outside.
  if (!role) throw new AppError(403, 'NOT_A_MEMBER', 'You are not a member of this tenant.');
  return { tenantId, role };
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
  { db, authenticator, authenticateApiKey }: { db: AppDb; authenticator: Authenticator; authenticateApiKey?: ApiKeyAuthenticator },
) {
  app.decorateRequest('auth', null);
  app.decorateRequest('ctx', null as unknown as RequestContext);
  app.addHook('onRequest', async (request) => {
    request.ctx = {
      actor: { type: 'system', id: null, email: null },
      tenantId: null,
      role: null,
      ipAddress: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    };
  });

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const method = methods.find((m) => m !== 'HEAD');
    if (!method) return;
    const key = `${method} ${route.url}`;
    const policy = routePolicies[key];
    if (!policy) throw new Error(`Route ${key} has no entry in routePolicies (packages/contracts/src/rbac.ts)`);
    route.config = { ...(route.config ?? {}), policy };
    if (policy.access === 'public') return;
    const guard: onRequestHookHandler = async (request) => {
      const secret = /^Bearer (cbp_\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (secret && authenticateApiKey) {
        const key = await authenticateApiKey(secret);
        if (!key) throw new AppError(401, 'UNAUTHENTICATED', 'This API key is not valid or was revoked.');
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
      const auth = await authenticator.authenticate(request.headers.authorization);
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
      const { tenantId, role } = await resolveTenant(db, request, auth);
      request.ctx = { ...base, tenantId, role };
      const minimum = minimumRoleFor(policy.resource, policy.action);
      if (!minimum) throw new Error(`No policy for ${policy.resource}.${policy.action}`);
      if (!hasRoleAtLeast(role, minimum)) {
        throw forbidden(`This action needs the ${minimum} role or higher; your role in this tenant is ${role}.`);
      }
    };
    const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    route.onRequest = [guard, ...existing];
  });
}
