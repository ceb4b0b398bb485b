export type {
  ApiKey,
  CreateApiKeyInput,
  CreatedApiKey,
  InitializeQuotasResult,
  MetricAnalytics,
  MetricType,
  OverageBilling,
  Quota,
  QuotaCheck,
  ResetQuotasResult,
  TrendPoint,
  UsageAlert,
  UsageAnalytics,
  UsagePeriod,
  UsageStatus,
  UsageSummary,
  UsageTrendQuery,
} from '@cbp/contracts';

/** How the trend is bucketed: one bar per month or, for the current period, per UTC day. */
export type TrendGranularity = 'month' | 'day';
