import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AdminTenantDetail,
  AdminTenantPage,
  AdminTenantParams,
  AdminTenantQuery,
  CreateAdminTenantBody,
  CreateAdminTenantResult,
  Problem,
  SuspendTenantBody,
} from '@cbp/contracts';
import { createTenant, getTenant, listTenants, reactivateTenant, suspendTenant, type AdminTenantDeps } from './admin-tenants.service.js';

const security = [{ bearer: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem };
const tags = ['staff console'];

/** The staff console: every tenant of the platform (super_admin only, `platform` access). */
export const adminTenantRoutes: FastifyPluginAsyncZod<AdminTenantDeps> = async (app, deps) => {
  app.get(
    '/admin/tenants',
    { schema: { tags, summary: 'Every tenant: search, status and plan filters, members and usage status (super_admin)', security, querystring: AdminTenantQuery, response: { 200: AdminTenantPage, ...errors } } },
    (request) => listTenants(deps.db, request.query),
  );

  app.get(
    '/admin/tenants/:id',
    { schema: { tags, summary: 'A tenant with its owners, subscription, suspension and pending invitations (super_admin)', security, params: AdminTenantParams, response: { 200: AdminTenantDetail, ...errors } } },
    (request) => getTenant(deps, request.params.id),
  );

  app.post(
    '/admin/tenants',
    {
      schema: {
        tags,
        summary: 'Create a tenant and start its provisioning workflow: gateway customer and subscription, quotas, owner invitation (super_admin, audited)',
        security,
        body: CreateAdminTenantBody,
        response: { 202: CreateAdminTenantResult, ...errors },
      },
    },
    async (request, reply) => reply.code(202).send(await createTenant(deps, request.ctx, request.body)),
  );

  app.post(
    '/admin/tenants/:id/suspend',
    {
      schema: {
        tags,
        summary: "Suspend a tenant: every route answers its members and API keys 403 TENANT_SUSPENDED (super_admin, audited in the tenant's trail)",
        security,
        params: AdminTenantParams,
        body: SuspendTenantBody,
        response: { 200: AdminTenantDetail, ...errors },
      },
    },
    (request) => suspendTenant(deps, request.ctx, request.params.id, request.body.reason),
  );

  app.post(
    '/admin/tenants/:id/reactivate',
    {
      schema: {
        tags,
        summary: "Reactivate a suspended tenant (super_admin, audited in the tenant's trail)",
        security,
        params: AdminTenantParams,
        response: { 200: AdminTenantDetail, ...errors },
      },
    },
    (request) => reactivateTenant(deps, request.ctx, request.params.id),
  );
};
