import { metricNames, metricTypes } from '@cbp/contracts';
import { BarChart3, Table2 } from 'lucide-react';
import { RequireAccess } from '@/components/access/require-access';
import { QueryError } from '@/components/billing/query-error';
import { formatCount, formatQuantity } from '@/components/billing/usage-format';
import {
  DEFAULT_TREND_RANGE,
  readTrendView,
  trendRangeLabels,
  trendRanges,
  trendRequestOf,
  trendViewParams,
  type TrendView,
} from '@/components/billing/usage-search-params';
import { trendDescription, trendRows, UsageTrendChart, type TrendLimits, type TrendRow } from '@/components/billing/UsageTrendChart';
import { PageHeader } from '@/components/layout/page-header';
import { useUrlView } from '@/components/team/use-url-view';
import { Card } from '@/components/ui/card';
import { FilterSelect } from '@/components/ui/filter-select';
import { Skeleton } from '@/components/ui/skeleton';
import { useUsageQuotas, useUsageTrend } from '@/hooks/use-usage';
import { cn } from '@/lib/cn';
import type { MetricType, Quota, TrendGranularity } from '@/types/usage';

interface MetricChoice {
  metricType: MetricType;
  metricName: string;
  unit: string;
  limits: TrendLimits;
}

/** The metrics the tenant has quotas for, with their limits; every known metric while quotas are missing. */
function metricChoices(quotas: readonly Quota[] | undefined): MetricChoice[] {
  if (quotas && quotas.length > 0) {
    return quotas.map((q) => ({ metricType: q.metricType, metricName: q.metricName, unit: q.unit, limits: { softLimit: q.softLimit, hardLimit: q.hardLimit } }));
  }
  return metricTypes.map((metricType) => ({
    metricType,
    metricName: metricNames[metricType].name,
    unit: metricNames[metricType].unit,
    limits: { softLimit: null, hardLimit: null },
  }));
}

const rangeOptions = trendRanges.map((range) => ({ value: range, label: trendRangeLabels[range] }));
const headerCell = 'px-4 py-2.5 text-left text-xs font-medium whitespace-nowrap text-muted-foreground';
const cell = 'px-4 py-2.5 whitespace-nowrap tabular-nums';

function TrendTable({ rows, granularity, choice, caption }: { rows: readonly TrendRow[]; granularity: TrendGranularity; choice: MetricChoice; caption: string }) {
  const daily = granularity === 'day';
  const total = rows.at(-1)?.runningTotal ?? 0;
  const events = rows.reduce((sum, row) => sum + row.eventCount, 0);
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" data-testid="usage-trend-table">
        <caption className="sr-only">{caption}</caption>
        <thead className="border-b bg-muted/40">
          <tr>
            <th scope="col" className={headerCell}>
              {daily ? 'Day' : 'Month'}
            </th>
            <th scope="col" className={cn(headerCell, 'text-right')}>
              Quantity ({choice.unit})
            </th>
            <th scope="col" className={cn(headerCell, 'text-right')}>
              Events
            </th>
            {daily ? (
              <th scope="col" className={cn(headerCell, 'text-right')}>
                Period total ({choice.unit})
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody className="divide-y">
          {rows.map((row) => (
            <tr key={row.period} data-testid="trend-row">
              <th scope="row" className={cn(cell, 'text-left font-medium')}>
                {row.label}
              </th>
              <td className={cn(cell, 'text-right')}>{formatCount(row.quantity)}</td>
              <td className={cn(cell, 'text-right')}>{formatCount(row.eventCount)}</td>
              {daily ? <td className={cn(cell, 'text-right')}>{formatCount(row.runningTotal)}</td> : null}
            </tr>
          ))}
        </tbody>
        <tfoot className="border-t bg-muted/40 font-medium">
          <tr>
            <th scope="row" className={cn(cell, 'text-left')}>
              Total
            </th>
            <td className={cn(cell, 'text-right')}>{formatCount(total)}</td>
            <td className={cn(cell, 'text-right')}>{formatCount(events)}</td>
            {daily ? <td className={cell} /> : null}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

function ViewToggle({ show, onChange }: { show: TrendView['show']; onChange: (show: TrendView['show']) => void }) {
  const option = (value: TrendView['show'], label: string, Icon: typeof Table2) => (
    <button
      type="button"
      aria-pressed={show === value}
      onClick={() => onChange(value)}
      className={cn(
        'inline-flex h-7 items-center gap-1.5 rounded-md px-2.5 text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-ring',
        show === value ? 'bg-card text-foreground shadow-xs' : 'text-muted-foreground hover:text-foreground',
      )}
    >
      <Icon className="size-4" aria-hidden="true" />
      {label}
    </button>
  );
  return (
    <div role="group" aria-label="Show the trend as" className="inline-flex gap-1 rounded-lg bg-muted p-1">
      {option('chart', 'Chart', BarChart3)}
      {option('table', 'Table', Table2)}
    </div>
  );
}

function TrendPanel({ choice, view, onShow }: { choice: MetricChoice; view: TrendView; onShow: (show: TrendView['show']) => void }) {
  const request = { metricType: choice.metricType, ...trendRequestOf(view.range) };
  const trend = useUsageTrend(request);
  const rows = trend.data ? trendRows(trend.data, request.granularity) : null;
  const title = `${choice.metricName}, ${trendRangeLabels[view.range].toLowerCase()}`;
  const description = rows ? trendDescription(rows, request.granularity, choice.unit, choice.limits) : '';
  return (
    <Card className="overflow-hidden">
      <div className="flex flex-wrap items-center justify-between gap-3 border-b px-5 py-3">
        <div className="min-w-0">
          <h2 id="trend-title" className="text-sm font-semibold">
            {title}
          </h2>
          <p id="trend-description" className="text-xs text-muted-foreground" data-testid="trend-description">
            {description}
          </p>
        </div>
        <ViewToggle show={view.show} onChange={onShow} />
      </div>
      {trend.error ? (
        <QueryError title="We couldn't load this trend" error={trend.error} onRetry={() => void trend.refetch()} className="m-5" />
      ) : !rows ? (
        <div className="p-5">
          <p role="status" className="sr-only">
            Loading the trend…
          </p>
          <Skeleton className="h-72 w-full" />
        </div>
      ) : view.show === 'table' ? (
        <TrendTable rows={rows} granularity={request.granularity} choice={choice} caption={title} />
      ) : (
        <div className="px-3 pt-4 pb-2">
          <UsageTrendChart
            rows={rows}
            granularity={request.granularity}
            unit={choice.unit}
            limits={choice.limits}
            labelledBy="trend-title"
            describedBy="trend-description"
          />
        </div>
      )}
      {rows && request.granularity === 'month' && choice.limits.hardLimit !== null ? (
        <p className="border-t px-5 py-2.5 text-xs text-muted-foreground">
          Limits apply per billing period: each month is compared with the hard limit of {formatQuantity(choice.limits.hardLimit, choice.unit)}
          {choice.limits.softLimit !== null ? ` and the soft limit of ${formatQuantity(choice.limits.softLimit, choice.unit)}` : ''}.
        </p>
      ) : null}
    </Card>
  );
}

function UsageTrends() {
  const quotas = useUsageQuotas();
  const [view, updateView] = useUrlView(readTrendView, trendViewParams);
  const choices = metricChoices(quotas.data);
  const choice = choices.find((c) => c.metricType === view.metric) ?? choices[0];
  const change = (next: Partial<TrendView>) => updateView((current) => ({ ...current, ...next }));
  return (
    <>
      <PageHeader title="Usage trends" description="How usage of each metric moved over the last months, against its limits" />
      {quotas.error ? (
        <QueryError
          title="We couldn't load your quotas, so limits are not drawn"
          error={quotas.error}
          onRetry={() => void quotas.refetch()}
          className="mb-6"
        />
      ) : null}
      <div className="mb-6 flex flex-wrap items-end gap-4">
        <FilterSelect
          id="trend-metric"
          label="Metric"
          value={choice?.metricType}
          options={choices.map((c) => ({ value: c.metricType, label: c.metricName }))}
          onChange={(metric) => change({ metric })}
          className="min-w-48"
        />
        <FilterSelect
          id="trend-range"
          label="Range"
          value={view.range}
          options={rangeOptions}
          onChange={(range) => change({ range: range ?? DEFAULT_TREND_RANGE })}
          className="min-w-48"
        />
      </div>
      {quotas.isPending || !choice ? (
        <Skeleton className="h-96 w-full rounded-xl" />
      ) : (
        <TrendPanel choice={choice} view={view} onShow={(show) => change({ show })} />
      )}
    </>
  );
}

/** Usage per month (3, 6 or 12 months) or per day of the current period, as a chart or a table. */
export default function UsageTrendsPage() {
  return (
    <RequireAccess resource="usage" action="list">
      <UsageTrends />
    </RequireAccess>
  );
}
