import { metricNames } from '@cbp/contracts';
import type { ApiKey, MetricAnalytics, MetricType, Quota, TrendPoint, UsageAnalytics, UsageStatus, UsageSummary } from '@/types/usage';

/** The current billing period of every usage fixture: June 2026. */
export const periodStart = '2026-06-01T00:00:00.000Z';
export const periodEnd = '2026-07-01T00:00:00.000Z';

let sequence = 0;
const nextId = (prefix: string) => {
  sequence += 1;
  return `${prefix}-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
};

interface Limits {
  currentUsage: number;
  includedQuantity: number;
  softLimit: number | null;
  hardLimit: number | null;
}

/** A metric's status as the API computes it from usage and limits. */
export function usageStatus(metricType: MetricType, limits: Limits, fields: Partial<UsageStatus> = {}): UsageStatus {
  const { currentUsage, includedQuantity, softLimit, hardLimit } = limits;
  const against = hardLimit ?? includedQuantity;
  return {
    metricType,
    metricName: metricNames[metricType].name,
    unit: metricNames[metricType].unit,
    currentUsage,
    includedQuantity,
    softLimit,
    hardLimit,
    percentUsed: against === 0 ? 0 : Math.round((currentUsage / against) * 1000) / 10,
    isOverSoftLimit: softLimit !== null && currentUsage >= softLimit,
    isOverHardLimit: hardLimit !== null && currentUsage >= hardLimit,
    remainingAllowance: hardLimit === null ? null : Math.max(0, hardLimit - currentUsage),
    periodStart,
    periodEnd,
    ...fields,
  };
}

/** API calls over the soft limit, storage with some overage, users well inside their limits. */
export const apiCallsStatus = usageStatus('api_calls', { currentUsage: 85_000, includedQuantity: 100_000, softLimit: 80_000, hardLimit: 150_000 });
export const storageStatus = usageStatus('storage_gb', { currentUsage: 12, includedQuantity: 10, softLimit: 15, hardLimit: 20 });
export const usersStatus = usageStatus('users', { currentUsage: 4, includedQuantity: 10, softLimit: null, hardLimit: 10 });
export const acmeStatus = [apiCallsStatus, storageStatus, usersStatus];

export function quota(metricType: MetricType, fields: Partial<Quota> = {}): Quota {
  return {
    id: nextId('cccccccc'),
    metricType,
    metricName: metricNames[metricType].name,
    unit: metricNames[metricType].unit,
    includedQuantity: 100,
    softLimit: 80,
    hardLimit: 150,
    overagePrice: 0,
    overageUnit: 1,
    currency: 'usd',
    resetPeriod: 'monthly',
    currentUsage: 0,
    periodStart,
    periodEnd,
    ...fields,
  };
}

export const apiCallsQuota = quota('api_calls', {
  includedQuantity: 100_000,
  softLimit: 80_000,
  hardLimit: 150_000,
  overagePrice: 200,
  overageUnit: 10_000,
  currentUsage: 85_000,
});
export const storageQuota = quota('storage_gb', { includedQuantity: 10, softLimit: 15, hardLimit: 20, overagePrice: 50, currentUsage: 12 });
export const usersQuota = quota('users', { includedQuantity: 10, softLimit: null, hardLimit: 10, currentUsage: 4 });
export const acmeQuotas = [apiCallsQuota, storageQuota, usersQuota];

export function metricAnalytics(metricType: MetricType, totalUsage: number, includedUsage: number, overageAmount: number): MetricAnalytics {
  return {
    metricType,
    metricName: metricNames[metricType].name,
    unit: metricNames[metricType].unit,
    totalUsage,
    includedUsage,
    overageUsage: totalUsage - includedUsage,
    overageAmount,
  };
}

/** June so far: 2 GB of storage over (\$1.00); at the run rate, API calls end over too. */
export const currentAnalytics: UsageAnalytics = {
  period: '2026-06',
  periodStart,
  periodEnd,
  metrics: [metricAnalytics('api_calls', 85_000, 85_000, 0), metricAnalytics('storage_gb', 12, 10, 100), metricAnalytics('users', 4, 4, 0)],
  totalOverageAmount: 100,
  currency: 'usd',
  projected: {
    metrics: [
      metricAnalytics('api_calls', 212_500, 100_000, 2_400),
      metricAnalytics('storage_gb', 14, 10, 200),
      metricAnalytics('users', 4, 4, 0),
    ],
    totalOverageAmount: 2_600,
    elapsed: 0.4,
  },
};

export function summary(metricType: MetricType, billingPeriod: string, fields: Partial<UsageSummary> = {}): UsageSummary {
  const [year, month] = billingPeriod.split('-').map(Number) as [number, number];
  return {
    id: `${billingPeriod}:${metricType}`,
    metricType,
    billingPeriod,
    periodStart: new Date(Date.UTC(year, month - 1, 1)).toISOString(),
    periodEnd: new Date(Date.UTC(year, month, 1)).toISOString(),
    totalQuantity: 0,
    includedQuantity: 0,
    overageQuantity: 0,
    overageAmount: 0,
    unit: metricNames[metricType].unit,
    eventCount: 0,
    frozen: true,
    overageBilling: 'none',
    invoicedAt: null,
    ...fields,
  };
}

/** May 2026, closed: API calls went 20,000 over (\$4.00). */
export const maySummaries = [
  summary('api_calls', '2026-05', { totalQuantity: 120_000, includedQuantity: 100_000, overageQuantity: 20_000, overageAmount: 400, eventCount: 3_120, overageBilling: 'invoiced', invoicedAt: '2026-06-01T00:05:00.000Z' }),
  summary('storage_gb', '2026-05', { totalQuantity: 9, includedQuantity: 9, eventCount: 31 }),
];
export const aprilSummaries = [summary('api_calls', '2026-04', { totalQuantity: 64_000, includedQuantity: 64_000, eventCount: 1_877 })];
/** The open period's rows are in the list too, not frozen yet. */
export const juneSummaries = [summary('api_calls', '2026-06', { totalQuantity: 85_000, includedQuantity: 85_000, eventCount: 2_004, frozen: false })];

export const mayAnalytics: UsageAnalytics = {
  period: '2026-05',
  periodStart: '2026-05-01T00:00:00.000Z',
  periodEnd: '2026-06-01T00:00:00.000Z',
  metrics: [metricAnalytics('api_calls', 120_000, 100_000, 400), metricAnalytics('storage_gb', 9, 9, 0)],
  totalOverageAmount: 400,
  currency: 'usd',
  projected: null,
};

export const monthlyTrend: TrendPoint[] = [
  { period: '2026-01', quantity: 52_000, eventCount: 1_410 },
  { period: '2026-02', quantity: 61_500, eventCount: 1_702 },
  { period: '2026-03', quantity: 58_250, eventCount: 1_655 },
  { period: '2026-04', quantity: 64_000, eventCount: 1_877 },
  { period: '2026-05', quantity: 120_000, eventCount: 3_120 },
  { period: '2026-06', quantity: 85_000, eventCount: 2_004 },
];

export function apiKey(name: string, fields: Partial<ApiKey> = {}): ApiKey {
  return {
    id: nextId('dddddddd'),
    name,
    prefix: `cbp_live_${name.slice(0, 4).toLowerCase()}`,
    scopes: ['usage:write'],
    createdAt: '2026-05-02T10:00:00.000Z',
    createdBy: 'Ada Lovelace',
    lastUsedAt: null,
    revokedAt: null,
    ...fields,
  };
}
