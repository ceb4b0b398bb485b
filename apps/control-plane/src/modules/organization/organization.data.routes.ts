import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OrganizationDeletion, OrganizationDeletionInput, OrganizationExportList, OrganizationExportStarted, Problem } from '@cbp/contracts';
import { tenantContext } from '../../platform/guard.js';
import { cancelDeletion, scheduleDeletion, type OrganizationDeletionDeps } from './organization.deletion.js';
import { listExports, openExportDownload, requestExport, type OrganizationExportDeps } from './organization.export.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const tags = ['organization'];

export interface OrganizationDataDeps extends OrganizationExportDeps {
  /** ORGANIZATION_DELETION_GRACE_MS. */
  graceMs: number;
}

/** GDPR export archives and the organization's deletion (issue 15, slice 3). */
export const organizationDataRoutes: FastifyPluginAsyncZod<OrganizationDataDeps> = async (app, deps) => {
  const deletion: OrganizationDeletionDeps = { db: deps.db, engine: deps.engine, graceMs: deps.graceMs };
  app.post(
    '/organization/export',
    {
      schema: {
        tags,
        summary: 'Ask for a GDPR export of the organization (owner): a workflow builds the zip; audited',
        security,
        response: { 202: OrganizationExportStarted, 409: Problem, ...errors },
      },
    },
    async (request, reply) => reply.code(202).send(await requestExport(deps, tenantContext(request))),
  );
  app.get(
    '/organization/exports',
    { schema: { tags, summary: 'Export archives with their status, size and expiry (admin)', security, response: { 200: OrganizationExportList, ...errors } } },
    (request) => listExports(deps.db, tenantContext(request).tenantId),
  );
  app.get(
    '/organization/exports/:id/download',
    {
      schema: {
        tags,
        summary: 'Download a ready archive (zip, streamed); audited',
        security,
        params: z.object({ id: z.uuid() }),
        produces: ['application/zip'],
        response: { 200: z.any().describe('application/zip'), 409: Problem, ...errors },
      },
    },
    async (request, reply) => {
      const { body, size, name } = await openExportDownload(deps, tenantContext(request), request.params.id);
      return reply
        .type('application/zip')
        .header('content-length', size)
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'private, no-store')
        .send(body);
    },
  );
  app.delete(
    '/organization',
    {
      schema: {
        tags,
        summary: "Schedule the organization's deletion after the grace period (owner; the exact name confirms); audited",
        security,
        body: OrganizationDeletionInput,
        response: { 202: OrganizationDeletion, 409: Problem, 422: Problem, ...errors },
      },
    },
    async (request, reply) => reply.code(202).send(await scheduleDeletion(deletion, tenantContext(request), request.body.confirmName)),
  );
  app.post(
    '/organization/deletion/cancel',
    { schema: { tags, summary: 'Cancel a scheduled deletion (owner); audited', security, response: { 200: OrganizationDeletion, 409: Problem, ...errors } } },
    (request) => cancelDeletion(deletion, tenantContext(request)),
  );
};
