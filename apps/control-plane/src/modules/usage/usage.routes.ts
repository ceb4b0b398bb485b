import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  InitializeQuotasInput,
  InitializeQuotasResult,
  MetricType,
  Problem,
  Quota,
  QuotaCheck,
  ResetQuotasInput,
  ResetQuotasResult,
  TrendPoint,
  UpdateQuotaInput,
  UsageAlert,
  UsageAnalytics,
  UsageAnalyticsQuery,
  UsageEventBatch,
  UsageIngestResult,
  UsagePeriod,
  UsageStatus,
  UsageSummary,
  UsageSummaryQuery,
  UsageTrendQuery,
} from '@cbp/contracts';
import type { PaymentGateway } from '../../adapters/payments/port.js';
import type { AppDb } from '../../platform/db.js';
import { tenantContext, tenantOf } from '../../platform/guard.js';
import { initializeQuotas, resetQuotas, updateSoftLimit } from './quotas.service.js';
import { invoiceClosedOverage } from './usage-billing.js';
import { checkQuota, listUsageAlerts, listUsageSummaries, usageAnalytics, usageTrend } from './usage-reports.service.js';
import { ingestUsage, usageQuotas, usageStatus } from './usage.service.js';
import { listUsagePeriods } from './usage-period-list.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem };
const MetricParams = z.object({ metricType: MetricType });
const tags = ['usage'];

export const usageRoutes: FastifyPluginAsyncZod<{ db: AppDb; gateway: PaymentGateway }> = async (app, { db, gateway }) => {
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

  // The original contract's path (design API.md), kept so clients written against it keep working.
  app.get(
    '/billing/usage',
    {
      schema: {
        tags,
        summary: "Usage of the current period, exactly as GET /usage/status: the original contract's path, kept for its clients (analyst)",
        security,
        response: { 200: z.array(UsageStatus), ...errors },
      },
    },
    (request) => usageStatus(db, tenantOf(request)),
  );

  app.get('/usage/quotas', { schema: { tags, summary: "The tenant's quotas for the current period, from its plan (analyst)", security, response: { 200: z.array(Quota), ...errors } } }, (request) =>
    usageQuotas(db, tenantOf(request)),
  );

  app.get(
    '/usage/quotas/:metricType/check',
    { schema: { tags, summary: 'Whether the metric is at its hard limit: call before consuming (analyst)', security, params: MetricParams, response: { 200: QuotaCheck, ...errors } } },
    (request) => checkQuota(db, tenantOf(request), request.params.metricType),
  );

  app.patch(
    '/usage/quotas/:metricType',
    { schema: { tags, summary: 'Change the soft limit (alerts only; the hard limit is the plan\'s) (admin)', security, params: MetricParams, body: UpdateQuotaInput, response: { 200: Quota, ...errors } } },
    (request) => updateSoftLimit(db, tenantContext(request), request.params.metricType, request.body.softLimit),
  );

  app.post(
    '/usage/quotas/initialize',
    { schema: { tags, summary: "Create the missing quotas of the current plan (another plan: staff only) (admin)", security, body: InitializeQuotasInput, response: { 200: InitializeQuotasResult, ...errors } } },
    (request) => initializeQuotas(db, tenantContext(request), request.body.planId),
  );

  app.post(
    '/usage/quotas/reset',
    {
      schema: {
        tags,
        summary: 'Close the periods that have ended (summary frozen, overage onto the next invoice) and start the next (admin)',
        security,
        body: ResetQuotasInput,
        response: { 200: ResetQuotasResult, ...errors },
      },
    },
    async (request) => {
      const ctx = tenantContext(request);
      const closed = await resetQuotas(db, ctx, request.body);
      // Also retries overage of earlier closes that did not reach the invoice yet.
      const billed = await invoiceClosedOverage(db, gateway, ctx.tenantId, ctx);
      return { ...closed, invoiced: billed.invoiced, invoicePending: billed.pending };
    },
  );

  app.get(
    '/usage/trends/:metricType',
    { schema: { tags, summary: 'Usage per month (last N months) or per day (current period), from rollups (analyst)', security, params: MetricParams, querystring: UsageTrendQuery, response: { 200: z.array(TrendPoint), ...errors } } },
    (request) => usageTrend(db, tenantOf(request), request.params.metricType, request.query),
  );

  app.get(
    '/usage/analytics',
    { schema: { tags, summary: 'Usage and overage of a billing period, with the projection for the current one (analyst)', security, querystring: UsageAnalyticsQuery, response: { 200: UsageAnalytics, ...errors } } },
    (request) => usageAnalytics(db, tenantOf(request), request.query.billingPeriod),
  );

  app.get(
    '/usage/summaries',
    { schema: { tags, summary: 'Per-period usage summaries: frozen for closed periods, open for the current one (analyst)', security, querystring: UsageSummaryQuery, response: { 200: z.array(UsageSummary), ...errors } } },
    (request) => listUsageSummaries(db, tenantOf(request), request.query.billingPeriod),
  );

  app.get(
    '/usage/periods',
    { schema: { tags, summary: 'Billing periods with usage to look at, newest first: the current one, closed ones and earlier history (analyst)', security, response: { 200: z.array(UsagePeriod), ...errors } } },
    (request) => listUsagePeriods(db, tenantOf(request)),
  );

  app.get('/usage/alerts', { schema: { tags, summary: 'Thresholds crossed, once per period (pending notification events) (analyst)', security, response: { 200: z.array(UsageAlert), ...errors } } }, (request) =>
    listUsageAlerts(db, tenantOf(request)),
  );
};
