import {
  ApiKey,
  CreatedApiKey,
  InitializeQuotasResult,
  Quota,
  QuotaCheck,
  ResetQuotasResult,
  TrendPoint,
  UsageAlert,
  UsageAnalytics,
  UsagePeriod,
  UsageStatus,
  UsageSummary,
} from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';
import type { MetricType, TrendGranularity } from '@/types/usage';

/*
 * Reads are `silent`: the usage pages show their errors in place with a retry, and the quota
 * banner stays hidden rather than toast on every page. Mutations are made from dialogs, which
 * show the API's refusal themselves (a toast behind a modal dialog is hidden from screen readers).
 */

const byMetric = (metricType: MetricType) => `/usage/quotas/${encodeURIComponent(metricType)}`;

/** Usage of each metric in the current period against its limits. */
export async function getUsageStatus(): Promise<UsageStatus[]> {
  const { data } = await platformApi.get<unknown>('/usage/status', { silent: true });
  return parseResponse(UsageStatus.array(), data, 'GET /usage/status');
}

/** The tenant's quotas for the current period, with their prices. */
export async function getUsageQuotas(): Promise<Quota[]> {
  const { data } = await platformApi.get<unknown>('/usage/quotas', { silent: true });
  return parseResponse(Quota.array(), data, 'GET /usage/quotas');
}

/** Whether the metric is at its hard limit (what a service asks before doing metered work). */
export async function checkQuota(metricType: MetricType): Promise<QuotaCheck> {
  const { data } = await platformApi.get<unknown>(`${byMetric(metricType)}/check`, { silent: true });
  return parseResponse(QuotaCheck, data, 'GET /usage/quotas/:metricType/check');
}

/** Admin. Alerts only: `null` turns the soft-limit alert off; the hard limit comes from the plan. */
export async function updateSoftLimit(metricType: MetricType, softLimit: number | null): Promise<Quota> {
  const { data } = await platformApi.patch<unknown>(byMetric(metricType), { softLimit }, { silent: true });
  return parseResponse(Quota, data, 'PATCH /usage/quotas/:metricType');
}

/** Admin. Creates the quotas of the tenant's current plan (another plan is refused: 422). */
export async function initializeQuotas(planId?: string): Promise<InitializeQuotasResult> {
  const { data } = await platformApi.post<unknown>('/usage/quotas/initialize', planId ? { planId } : {}, { silent: true });
  return parseResponse(InitializeQuotasResult, data, 'POST /usage/quotas/initialize');
}

/** Admin. Starts a new period for the quotas whose period has ended; the others come back as `skipped`. */
export async function resetQuotas(metricType?: MetricType): Promise<ResetQuotasResult> {
  const { data } = await platformApi.post<unknown>('/usage/quotas/reset', metricType ? { metricType } : {}, { silent: true });
  return parseResponse(ResetQuotasResult, data, 'POST /usage/quotas/reset');
}

export interface UsageTrendRequest {
  metricType: MetricType;
  /** Months back, the current one included (monthly granularity). */
  months: number;
  granularity: TrendGranularity;
}

/** Quantity and event count per month, or per UTC day of the current period. */
export async function getUsageTrend({ metricType, months, granularity }: UsageTrendRequest): Promise<TrendPoint[]> {
  const { data } = await platformApi.get<unknown>(`/usage/trends/${encodeURIComponent(metricType)}`, {
    params: { months, granularity },
    silent: true,
  });
  return parseResponse(TrendPoint.array(), data, 'GET /usage/trends/:metricType');
}

/** Totals and overage of a billing period (`YYYY-MM`, default the current one, which also carries `projected`). */
export async function getUsageAnalytics(billingPeriod?: string): Promise<UsageAnalytics> {
  const { data } = await platformApi.get<unknown>('/usage/analytics', {
    params: billingPeriod ? { billingPeriod } : undefined,
    silent: true,
  });
  return parseResponse(UsageAnalytics, data, 'GET /usage/analytics');
}

/** Per-metric summaries, of one billing period or of all of them. */
export async function getUsageSummaries(billingPeriod?: string): Promise<UsageSummary[]> {
  const { data } = await platformApi.get<unknown>('/usage/summaries', {
    params: billingPeriod ? { billingPeriod } : undefined,
    silent: true,
  });
  return parseResponse(UsageSummary.array(), data, 'GET /usage/summaries');
}

/** The billing periods there is usage for, newest first: the current one, closed ones and earlier history. */
export async function getUsagePeriods(): Promise<UsagePeriod[]> {
  const { data } = await platformApi.get<unknown>('/usage/periods', { silent: true });
  return parseResponse(UsagePeriod.array(), data, 'GET /usage/periods');
}

/** Thresholds crossed (soft limit, hard limit, projected overage), newest first. */
export async function getUsageAlerts(): Promise<UsageAlert[]> {
  const { data } = await platformApi.get<unknown>('/usage/alerts', { silent: true });
  return parseResponse(UsageAlert.array(), data, 'GET /usage/alerts');
}

/** Admin. The tenant's API keys, revoked ones included; never their secrets. */
export async function getApiKeys(): Promise<ApiKey[]> {
  const { data } = await platformApi.get<unknown>('/api-keys', { silent: true });
  return parseResponse(ApiKey.array(), data, 'GET /api-keys');
}

/** Admin. The answer is the only time the secret is ever shown. */
export async function createApiKey(name: string): Promise<CreatedApiKey> {
  const { data } = await platformApi.post<unknown>('/api-keys', { name }, { silent: true });
  return parseResponse(CreatedApiKey, data, 'POST /api-keys');
}

/** Admin. Calls made with the key are refused from now on. */
export async function revokeApiKey(id: string): Promise<void> {
  await platformApi.delete(`/api-keys/${encodeURIComponent(id)}`, { silent: true });
}
