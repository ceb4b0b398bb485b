import { BillingPeriodParam, MetricType } from '@cbp/contracts';
import type { MetricType as Metric } from '@/types/usage';

/** `?period=2026-05` on the dashboard: a closed billing period; none is the current one. */
export function readDashboardPeriod(params: URLSearchParams): string | undefined {
  const parsed = BillingPeriodParam.safeParse(params.get('period') ?? undefined);
  return parsed.success ? parsed.data : undefined;
}

export function dashboardParams(period: string | undefined): URLSearchParams {
  return new URLSearchParams(period ? { period } : {});
}

/** Months back for monthly bars, or the days of the current period. */
export const trendRanges = ['3', '6', '12', 'daily'] as const;
export type TrendRange = (typeof trendRanges)[number];
export const DEFAULT_TREND_RANGE: TrendRange = '6';

export const trendRangeLabels: Record<TrendRange, string> = {
  '3': 'Last 3 months',
  '6': 'Last 6 months',
  '12': 'Last 12 months',
  daily: 'Daily, current period',
};

export interface TrendView {
  /** Undefined: the first metric the tenant has a quota for. */
  metric: Metric | undefined;
  range: TrendRange;
  show: 'chart' | 'table';
}

/** `/usage/trends?metric=storage_gb&range=12&show=table`; a value the API would refuse falls back to the default. */
export function readTrendView(params: URLSearchParams): TrendView {
  const metric = MetricType.safeParse(params.get('metric') ?? undefined);
  const range = trendRanges.find((r) => r === params.get('range')) ?? DEFAULT_TREND_RANGE;
  return { metric: metric.success ? metric.data : undefined, range, show: params.get('show') === 'table' ? 'table' : 'chart' };
}

/** Defaults are left out, so the plain page stays at `/usage/trends`. */
export function trendViewParams(view: TrendView): URLSearchParams {
  const params = new URLSearchParams();
  if (view.metric) params.set('metric', view.metric);
  if (view.range !== DEFAULT_TREND_RANGE) params.set('range', view.range);
  if (view.show === 'table') params.set('show', 'table');
  return params;
}

/** What the trend endpoint is asked for a range. */
export function trendRequestOf(range: TrendRange): { months: number; granularity: 'month' | 'day' } {
  return range === 'daily' ? { months: 1, granularity: 'day' } : { months: Number(range), granularity: 'month' };
}
