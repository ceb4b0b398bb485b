import { z } from 'zod';
import { Currency, MetricType } from './billing.js';

/** Largest batch `POST /usage/events` takes. */
export const maxUsageBatch = 1_000;

export const UsageEventInput = z.object({
  metricType: MetricType,
  /** Whole units (API calls, GB, seats...): positive, at most one billion per event. */
  quantity: z.number().int().positive().max(1_000_000_000),
  /** When the usage happened (default: now); at most 35 days in the past, 5 minutes ahead. */
  occurredAt: z.iso.datetime().optional(),
  /** The sender's id for this event: the same key twice counts once. */
  idempotencyKey: z.string().min(1).max(200),
});
export type UsageEventInput = z.infer<typeof UsageEventInput>;

export const UsageEventBatch = z.object({ events: z.array(UsageEventInput).min(1).max(maxUsageBatch) });
export type UsageEventBatch = z.infer<typeof UsageEventBatch>;

export const UsageIngestResult = z.object({
  accepted: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
});
export type UsageIngestResult = z.infer<typeof UsageIngestResult>;

export const metricNames: Record<MetricType, { name: string; unit: string }> = {
  api_calls: { name: 'API calls', unit: 'calls' },
  storage_gb: { name: 'Storage', unit: 'GB' },
  users: { name: 'Users', unit: 'seats' },
  workflows: { name: 'Workflow runs', unit: 'runs' },
  integrations: { name: 'Integrations', unit: 'integrations' },
};

export const UsageStatus = z.object({
  metricType: MetricType,
  metricName: z.string(),
  currentUsage: z.number().int().nonnegative(),
  includedQuantity: z.number().int().nonnegative(),
  softLimit: z.number().int().nonnegative().nullable(),
  hardLimit: z.number().int().nonnegative().nullable(),
  /** Usage against the hard limit (or the included quantity when there is none), in percent. */
  percentUsed: z.number().nonnegative(),
  isOverSoftLimit: z.boolean(),
  isOverHardLimit: z.boolean(),
  unit: z.string(),
  /** Units left before the hard limit (null: no hard limit). */
  remainingAllowance: z.number().int().nullable(),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
});
export type UsageStatus = z.infer<typeof UsageStatus>;

/** How near a metric is to its limits: the portal's badges and the staff console's worst state. */
export type UsageLevel = 'ok' | 'approaching' | 'warning' | 'critical';

/** From this share of the soft limit (or of the included quantity without one), usage is "approaching" its limit. */
export const APPROACHING_SHARE = 0.8;

/**
 * Critical past the hard limit, warning past the soft limit, approaching from 80 % of the soft
 * limit (of the included quantity when there is no soft limit), else ok.
 */
export function usageLevel(
  status: Pick<UsageStatus, 'isOverSoftLimit' | 'isOverHardLimit'> & Partial<Pick<UsageStatus, 'currentUsage' | 'softLimit' | 'includedQuantity'>>,
): UsageLevel {
  if (status.isOverHardLimit) return 'critical';
  if (status.isOverSoftLimit) return 'warning';
  const limit = status.softLimit ?? status.includedQuantity ?? null;
  if (limit && status.currentUsage !== undefined && status.currentUsage >= limit * APPROACHING_SHARE) return 'approaching';
  return 'ok';
}

export const Quota = z.object({
  id: z.uuid(),
  metricType: MetricType,
  metricName: z.string(),
  unit: z.string(),
  includedQuantity: z.number().int().nonnegative(),
  softLimit: z.number().int().nonnegative().nullable(),
  hardLimit: z.number().int().nonnegative().nullable(),
  /** Minor units per `overageUnit` units above the included quantity. */
  overagePrice: z.number().int().nonnegative(),
  overageUnit: z.number().int().positive(),
  currency: Currency,
  resetPeriod: z.enum(['monthly']),
  currentUsage: z.number().int().nonnegative(),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
});
export type Quota = z.infer<typeof Quota>;

export const QuotaCheck = z.object({
  exceeded: z.boolean().describe('True when the hard limit (or, without one, nothing) is reached'),
  softExceeded: z.boolean(),
  currentUsage: z.number().int().nonnegative(),
  limit: z.number().int().nonnegative().nullable().describe('The hard limit; null when the plan has none'),
});
export type QuotaCheck = z.infer<typeof QuotaCheck>;

export const UpdateQuotaInput = z.object({
  /** Alerts only: null turns the soft-limit alert off. Must stay below the hard limit. */
  softLimit: z.number().int().nonnegative().nullable(),
});
export type UpdateQuotaInput = z.infer<typeof UpdateQuotaInput>;

export const UsageTrendQuery = z.object({
  months: z.coerce.number().int().min(1).max(24).default(6),
  granularity: z.enum(['month', 'day']).default('month'),
});
export type UsageTrendQuery = z.infer<typeof UsageTrendQuery>;

/** One bar of a trend: a month (`2026-11`) or a UTC day (`2026-11-25`). */
export const TrendPoint = z.object({
  period: z.string(),
  quantity: z.number().int().nonnegative(),
  eventCount: z.number().int().nonnegative(),
});
export type TrendPoint = z.infer<typeof TrendPoint>;

/** `YYYY-MM`: the billing period that starts in that month. */
export const BillingPeriodParam = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'Use YYYY-MM');

export const UsageAnalyticsQuery = z.object({ billingPeriod: BillingPeriodParam.optional().describe('Default: the current period') });
export type UsageAnalyticsQuery = z.infer<typeof UsageAnalyticsQuery>;

export const MetricAnalytics = z.object({
  metricType: MetricType,
  metricName: z.string(),
  unit: z.string(),
  totalUsage: z.number().int().nonnegative(),
  includedUsage: z.number().int().nonnegative(),
  overageUsage: z.number().int().nonnegative(),
  /** Minor units. */
  overageAmount: z.number().int().nonnegative(),
});
export type MetricAnalytics = z.infer<typeof MetricAnalytics>;

export const UsageAnalytics = z.object({
  period: z.string(),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
  metrics: z.array(MetricAnalytics),
  totalOverageAmount: z.number().int().nonnegative(),
  currency: Currency,
  /** For the current period: end-of-period usage at the current run rate (null for past periods). */
  projected: z
    .object({
      metrics: z.array(MetricAnalytics),
      totalOverageAmount: z.number().int().nonnegative(),
      /** Share of the period elapsed, 0..1. */
      elapsed: z.number().min(0).max(1),
    })
    .nullable(),
});
export type UsageAnalytics = z.infer<typeof UsageAnalytics>;

export const OverageBilling = z.enum(['none', 'accruing', 'pending', 'invoiced']);
export type OverageBilling = z.infer<typeof OverageBilling>;

export const UsageSummary = z.object({
  id: z.string().describe('`<billingPeriod>:<metricType>` while open; the frozen summary id once closed'),
  metricType: MetricType,
  billingPeriod: z.string(),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
  totalQuantity: z.number().int().nonnegative(),
  includedQuantity: z.number().int().nonnegative(),
  overageQuantity: z.number().int().nonnegative(),
  overageAmount: z.number().int().nonnegative(),
  unit: z.string(),
  eventCount: z.number().int().nonnegative(),
  /** True once the period was closed: its figures never change again. */
  frozen: z.boolean(),
  /**
   * Where the overage is on its way to the invoice: `none` (no overage), `accruing` (period
   * still open), `pending` (closed, not yet on the invoice: retried by the period-close job),
   * `invoiced` (a line on the subscription's next invoice).
   */
  overageBilling: OverageBilling,
  invoicedAt: z.iso.datetime().nullable(),
});
export type UsageSummary = z.infer<typeof UsageSummary>;

export const UsageSummaryQuery = z.object({ billingPeriod: BillingPeriodParam.optional() });
export type UsageSummaryQuery = z.infer<typeof UsageSummaryQuery>;

/** A billing period there is usage to look at for (`GET /usage/periods`, newest first). */
export const UsagePeriod = z.object({
  billingPeriod: z.string().describe('`YYYY-MM`: the billingPeriod of /usage/analytics and /usage/summaries'),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
  /** The period in progress. */
  current: z.boolean(),
  /** Closed by CBP: frozen summaries exist. False for the current period and for history known only from the daily usage rollup. */
  closed: z.boolean(),
});
export type UsagePeriod = z.infer<typeof UsagePeriod>;

export const InitializeQuotasInput = z.object({ planId: z.uuid().optional() });
export type InitializeQuotasInput = z.infer<typeof InitializeQuotasInput>;
export const InitializeQuotasResult = z.object({ quotasCreated: z.number().int().nonnegative(), planTier: z.string() });
export type InitializeQuotasResult = z.infer<typeof InitializeQuotasResult>;

export const ResetQuotasInput = z.object({ metricType: MetricType.optional(), force: z.boolean().optional().describe('super_admin only') });
export type ResetQuotasInput = z.infer<typeof ResetQuotasInput>;
export const ResetQuotasResult = z.object({
  reset: z.array(MetricType),
  skipped: z.array(MetricType),
  periodStart: z.iso.datetime().nullable(),
  /** Metrics whose closed-period overage is now a line on the next invoice. */
  invoiced: z.array(MetricType),
  /** Closed with overage but not yet on the invoice (gateway unreachable, no subscription): retried by the period-close job. */
  invoicePending: z.array(MetricType),
});
export type ResetQuotasResult = z.infer<typeof ResetQuotasResult>;

/** A threshold crossed in a period: kept as a pending notification event until notifications deliver it. */
export const UsageAlert = z.object({
  id: z.uuid(),
  metricType: MetricType,
  threshold: z.enum(['soft_limit', 'hard_limit', 'projected_overage']),
  severity: z.enum(['warning', 'critical']),
  periodStart: z.iso.datetime(),
  currentUsage: z.number().int().nonnegative(),
  limit: z.number().int().nonnegative().nullable(),
  createdAt: z.iso.datetime(),
});
export type UsageAlert = z.infer<typeof UsageAlert>;

/** A tenant API key: services report usage with `Authorization: Bearer cbp_...`. */
export const ApiKey = z.object({
  id: z.uuid(),
  name: z.string(),
  /** The first characters of the key, to recognise it (`cbp_live_ab12…`). */
  prefix: z.string(),
  scopes: z.array(z.enum(['usage:write'])),
  createdAt: z.iso.datetime(),
  createdBy: z.string().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

export const CreateApiKeyInput = z.object({ name: z.string().trim().min(1).max(100) });
export type CreateApiKeyInput = z.infer<typeof CreateApiKeyInput>;

/** The secret is returned once, at creation; CBP keeps only its hash. */
export const CreatedApiKey = ApiKey.extend({ secret: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;
