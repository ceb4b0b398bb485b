import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Me, Problem, Tenant } from '@cbp/contracts';
import type { AppDb } from '../../platform/db.js';
import { authOf, tenantOf } from '../../platform/guard.js';
import { currentTenant, describeCaller } from './session.service.js';

export const sessionRoutes: FastifyPluginAsyncZod<{ db: AppDb }> = async (app, { db }) => {
  app.get(
    '/me',
    {
      schema: {
        tags: ['session'],
        summary: 'The caller, their tenants with their role in each, and their platform role',
        security: [{ bearer: [] }],
        response: { 200: Me, 401: Problem },
      },
    },
    (request) => describeCaller(db, authOf(request)),
  );

  app.get(
    '/tenants/current',
    {
      schema: {
        tags: ['session'],
        summary: 'The tenant named by X-Tenant-Id',
        security: [{ bearer: [], tenant: [] }],
        response: { 200: Tenant, 401: Problem, 403: Problem },
      },
    },
    (request) => currentTenant(db, tenantOf(request)),
  );
};
