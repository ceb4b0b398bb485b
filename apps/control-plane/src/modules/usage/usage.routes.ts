import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Problem, Quota, UsageEventBatch, UsageIngestResult, UsageStatus } from '@cbp/contracts';
import type { AppDb } from '../../platform/db.js';
import { tenantContext, tenantOf } from '../../platform/guard.js';
import { ingestUsage, usageQuotas, usageStatus } from './usage.service.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const tags = ['usage'];

export const usageRoutes: FastifyPluginAsyncZod<{ db: AppDb }> = async (app, { db }) => {
  app.post(
    '/usage/events',
    {
      schema: {
        tags,
        summary: 'Report usage: up to 1,000 events, each with an idempotency key (duplicates are counted, not applied) (engineer)',
        security,
        body: UsageEventBatch,
        response: { 200: UsageIngestResult, ...errors },
      },
      bodyLimit: 1024 * 1024,
    },
    (request) => ingestUsage(db, tenantContext(request), request.body),
  );

  app.get('/usage/status', { schema: { tags, summary: 'Usage of each metric in the current period against its limits (analyst)', security, response: { 200: z.array(UsageStatus), ...errors } } }, (request) =>
    usageStatus(db, tenantOf(request)),
  );

  app.get('/usage/quotas', { schema: { tags, summary: "The tenant's quotas for the current period, from its plan (analyst)", security, response: { 200: z.array(Quota), ...errors } } }, (request) =>
    usageQuotas(db, tenantOf(request)),
  );
};
