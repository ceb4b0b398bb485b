import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuditChainVerification, AuditLog, AuditLogCount, AuditLogExportQuery, AuditLogFilters, AuditLogPage, AuditLogQuery, PageQuery, Problem } from '@cbp/contracts';
import type { AppDb } from '../../platform/db.js';
import { tenantOf } from '../../platform/guard.js';
import { openAuditExport } from './audit-export.js';
import { auditLogOf, countMatching, searchAuditLogs, verifyAuditChain } from './audit-logs.service.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const AuditPage = AuditLogPage;

/** The audit trail, read-only: no route updates or deletes an entry. */
export const auditLogRoutes: FastifyPluginAsyncZod<{ db: AppDb }> = async (app, { db }) => {
  app.get(
    '/audit-logs',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit entries of the tenant, newest first, filtered (admin)',
        security,
        querystring: AuditLogQuery,
        response: { 200: AuditPage, ...errors },
      },
    },
    (request) => searchAuditLogs(db, tenantOf(request), request.query),
  );

  app.get(
    '/audit-logs/count',
    {
      schema: { tags: ['audit'], summary: 'How many entries match the filters (admin)', security, querystring: AuditLogFilters, response: { 200: AuditLogCount, ...errors } },
    },
    (request) => countMatching(db, tenantOf(request), request.query),
  );

  app.get(
    '/audit-logs/export',
    {
      schema: {
        tags: ['audit'],
        summary: 'The filtered trail as CSV or JSON lines, streamed (admin)',
        security,
        querystring: AuditLogExportQuery,
        produces: ['text/csv', 'application/x-ndjson'],
        response: { 200: z.any().describe('text/csv or application/x-ndjson'), ...errors },
      },
    },
    async (request, reply) => {
      const { format, ...filters } = request.query;
      const stamp = new Date().toISOString().slice(0, 10);
      // Reads the first batch now: a failure here is a problem+json answer, not a 200 file.
      const body = await openAuditExport(db, tenantOf(request), filters, format);
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-log-${stamp}.${format === 'csv' ? 'csv' : 'jsonl'}"`)
        .header('cache-control', 'private, no-store')
        .send(body);
    },
  );

  app.get(
    '/audit-logs/verify',
    {
      schema: {
        tags: ['audit'],
        summary: "Recompute the tenant's hash chain and report the first entry edited or cut out (admin)",
        security,
        response: { 200: AuditChainVerification, ...errors },
      },
    },
    (request) => verifyAuditChain(db, tenantOf(request)),
  );

  app.get(
    '/audit-logs/by-action/:action',
    {
      schema: { tags: ['audit'], summary: 'Entries of one action (admin)', security, params: z.object({ action: z.string().max(100) }), querystring: PageQuery, response: { 200: AuditPage, ...errors } },
    },
    (request) => searchAuditLogs(db, tenantOf(request), { ...request.query, action: request.params.action }),
  );

  app.get(
    '/audit-logs/by-target/:targetType/:targetId',
    {
      schema: {
        tags: ['audit'],
        summary: 'Entries about one target (admin)',
        security,
        params: z.object({ targetType: z.string().max(50), targetId: z.string().max(200) }),
        querystring: PageQuery,
        response: { 200: AuditPage, ...errors },
      },
    },
    (request) => searchAuditLogs(db, tenantOf(request), { ...request.query, ...request.params }),
  );

  app.get(
    '/audit-logs/by-actor/:actorId',
    {
      schema: { tags: ['audit'], summary: 'Entries made by one actor (admin)', security, params: z.object({ actorId: z.uuid() }), querystring: PageQuery, response: { 200: AuditPage, ...errors } },
    },
    (request) => searchAuditLogs(db, tenantOf(request), { ...request.query, actorId: request.params.actorId }),
  );

  app.get(
    '/audit-logs/:id',
    { schema: { tags: ['audit'], summary: 'One audit entry (admin)', security, params: z.object({ id: z.uuid() }), response: { 200: AuditLog, ...errors } } },
    (request) => auditLogOf(db, tenantOf(request), request.params.id),
  );
};
