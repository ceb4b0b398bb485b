import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { metricNames } from '@cbp/contracts';
import { AlertTriangle, Gauge, Settings2 } from 'lucide-react';
import { RequireAccess } from '@/components/access/require-access';
import { InitializeQuotasButton } from '@/components/billing/quota-actions';
import { QueryError } from '@/components/billing/query-error';
import { UsageMetricCard, type MetricUsage } from '@/components/billing/UsageMetricCard';
import { byMetricOrder, formatBillingMonth, formatQuantity, usageLevel } from '@/components/billing/usage-format';
import { dashboardParams, readDashboardPeriod } from '@/components/billing/usage-search-params';
import { PageHeader } from '@/components/layout/page-header';
import { selectControl } from '@/components/ui/filter-select';
import { useUrlView } from '@/components/team/use-url-view';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { useSession } from '@/hooks/use-session';
import { useUsageAccess, useUsageAnalytics, useUsagePeriods, useUsageStatus, useUsageSummaries } from '@/hooks/use-usage';
import { formatPeriod } from '@/lib/dates';
import { formatMoney } from '@/lib/money';
import type { UsageAnalytics, UsageStatus, UsageSummary } from '@/types/usage';

function PeriodSelect({ period, onChange }: { period: string | undefined; onChange: (period: string | undefined) => void }) {
  const periods = useUsagePeriods();
  // The current period is the empty value; a closed period sharing its month (closed early) stays listed.
  const past = (periods.data ?? []).filter((p) => !p.current);
  const listed = period === undefined || past.some((p) => p.billingPeriod === period);
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor="usage-period" className="text-sm font-medium">
        Billing period
      </label>
      <select
        id="usage-period"
        value={period ?? ''}
        onChange={(event) => onChange(event.target.value || undefined)}
        className={`${selectControl} min-w-56`}
        aria-describedby={periods.error ? 'usage-period-error' : undefined}
      >
        <option value="">Current period</option>
        {listed ? null : <option value={period}>{formatBillingMonth(period)}</option>}
        {past.map((p) => (
          <option key={p.billingPeriod} value={p.billingPeriod}>
            {formatBillingMonth(p.billingPeriod)} ({formatPeriod(p.periodStart, p.periodEnd)})
          </option>
        ))}
      </select>
      {periods.error ? (
        <p id="usage-period-error" className="text-xs text-muted-foreground">
          Past periods could not be loaded.
        </p>
      ) : null}
    </div>
  );
}

function Stat({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="min-w-0 px-5 py-4">
      <dt className="text-xs font-medium text-muted-foreground">{label}</dt>
      <dd className="mt-1 text-lg font-semibold tracking-tight tabular-nums" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

const pendingValue = <Skeleton className="mt-1 h-6 w-24" />;

function CurrentPeriodSummary({ status, analytics }: { status: UsageStatus[]; analytics: UsageAnalytics | undefined }) {
  const first = status[0];
  const start = analytics?.periodStart ?? first?.periodStart;
  const end = analytics?.periodEnd ?? first?.periodEnd;
  const projected = analytics?.projected;
  return (
    <Card aria-label="Current period" className="mb-6">
      <dl className="grid divide-y sm:grid-cols-2 sm:divide-y-0 lg:grid-cols-4 lg:divide-x">
        <Stat label="Current period" testId="period-dates">
          {start && end ? formatPeriod(start, end) : pendingValue}
        </Stat>
        <Stat label="Period elapsed">{projected ? `${Math.round(projected.elapsed * 100)}%` : analytics ? '—' : pendingValue}</Stat>
        <Stat label="Overage so far" testId="overage-total">
          {analytics ? formatMoney(analytics.totalOverageAmount, analytics.currency) : pendingValue}
        </Stat>
        <Stat label="Projected overage at period end" testId="projected-total">
          {projected && analytics ? formatMoney(projected.totalOverageAmount, analytics.currency) : analytics ? '—' : pendingValue}
        </Stat>
      </dl>
    </Card>
  );
}

function currentUsageOf(status: UsageStatus, analytics: UsageAnalytics | undefined): MetricUsage {
  const sofar = analytics?.metrics.find((m) => m.metricType === status.metricType);
  const projected = analytics?.projected?.metrics.find((m) => m.metricType === status.metricType);
  return {
    metricType: status.metricType,
    metricName: status.metricName,
    unit: status.unit,
    used: status.currentUsage,
    included: status.includedQuantity,
    softLimit: status.softLimit,
    hardLimit: status.hardLimit,
    level: usageLevel(status),
    overage: analytics ? { quantity: sofar?.overageUsage ?? 0, amount: sofar?.overageAmount ?? 0 } : null,
    projected: projected ? { used: projected.totalUsage, overageAmount: projected.overageAmount } : null,
    remaining: status.remainingAllowance,
    eventCount: null,
    billing: null,
  };
}

function periodState(rows: readonly UsageSummary[]): string {
  if (!rows.every((row) => row.frozen)) return 'Not closed yet';
  return rows.some((row) => row.overageBilling === 'pending') ? 'Closed; overage not on the invoice yet' : 'Closed and billed';
}

function closedUsageOf(row: UsageSummary): MetricUsage {
  return {
    metricType: row.metricType,
    metricName: metricNames[row.metricType].name,
    unit: row.unit,
    used: row.totalQuantity,
    included: row.includedQuantity,
    softLimit: null,
    hardLimit: null,
    level: row.overageQuantity > 0 ? 'warning' : 'ok',
    overage: { quantity: row.overageQuantity, amount: row.overageAmount },
    projected: null,
    remaining: null,
    eventCount: row.eventCount,
    billing: row.frozen ? { status: row.overageBilling, invoicedAt: row.invoicedAt } : null,
  };
}

function CardsSkeleton({ label }: { label: string }) {
  return (
    <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="usage-loading">
      <p role="status" className="sr-only">
        {label}
      </p>
      {[0, 1, 2].map((i) => (
        <div key={i} className="space-y-4 rounded-xl border bg-card p-5">
          <Skeleton className="h-5 w-28" />
          <Skeleton className="h-8 w-40" />
          <Skeleton className="h-2.5 w-full" />
          <Skeleton className="h-4 w-full" />
          <Skeleton className="h-4 w-full" />
        </div>
      ))}
    </div>
  );
}

function NoQuotas() {
  const access = useUsageAccess();
  const { membership } = useSession();
  const refusal = access.editRefusal('set up quotas');
  return (
    <div className="rounded-xl border bg-card px-6 py-12 text-center" data-testid="usage-empty">
      <span className="mx-auto flex size-10 items-center justify-center rounded-full bg-muted">
        <Gauge className="size-5 text-muted-foreground" aria-hidden="true" />
      </span>
      <h2 className="mt-3 text-sm font-semibold">No quotas yet</h2>
      <p className="mx-auto mt-1 max-w-md text-sm text-muted-foreground">
        Usage is tracked against quotas taken from your plan: its included quantity, soft limit and hard limit for each metric.
      </p>
      {access.canEdit ? (
        <div className="mt-4">
          <InitializeQuotasButton refusal={null} />
        </div>
      ) : (
        <p className="mx-auto mt-3 max-w-md text-sm" data-testid="initialize-refusal">
          {refusal} {membership ? `Ask an admin of ${membership.name} to set them up.` : 'Ask an admin to set them up.'}
        </p>
      )}
    </div>
  );
}

function CurrentPeriod() {
  const status = useUsageStatus();
  const analytics = useUsageAnalytics(undefined);
  if (status.error) {
    return <QueryError title="We couldn't load your usage" error={status.error} onRetry={() => void status.refetch()} />;
  }
  if (!status.data) return <CardsSkeleton label="Loading your usage…" />;
  if (status.data.length === 0) return <NoQuotas />;
  return (
    <>
      <CurrentPeriodSummary status={status.data} analytics={analytics.data} />
      {analytics.error ? (
        <Alert variant="destructive" role="alert" className="mb-6">
          <AlertTriangle aria-hidden="true" />
          <div className="flex-1">
            <AlertTitle>We couldn't load overage and projections</AlertTitle>
            <AlertDescription>Usage and limits below are current; amounts are missing until this loads.</AlertDescription>
            <Button variant="outline" size="sm" className="mt-3" onClick={() => void analytics.refetch()}>
              Try again
            </Button>
          </div>
        </Alert>
      ) : null}
      <ul className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" aria-label="Usage by metric">
        {byMetricOrder(status.data).map((row) => (
          <li key={row.metricType} className="flex">
            <UsageMetricCard usage={currentUsageOf(row, analytics.data)} currency={analytics.data?.currency ?? null} pending={analytics.isPending} />
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * A past period CBP did not close itself (history from the daily usage rollup, e.g. imported):
 * what was used per metric. Its overage, if any, is on that month's invoice.
 */
function HistoryPeriod({ period, analytics }: { period: string; analytics: UsageAnalytics }) {
  const used = byMetricOrder(analytics.metrics.filter((m) => m.totalUsage > 0));
  return (
    <>
      <Card aria-label={formatBillingMonth(period)} className="mb-6">
        <dl className="grid divide-y sm:grid-cols-3 sm:divide-x sm:divide-y-0">
          <Stat label="Billing period" testId="period-dates">
            {formatPeriod(analytics.periodStart, analytics.periodEnd)}
          </Stat>
          <Stat label="State">Ended</Stat>
          <Stat label="Overage billed" testId="overage-total">
            <Link to="/billing/invoices" className="text-base font-medium text-primary underline-offset-4 hover:underline">
              On that period&rsquo;s invoice
            </Link>
          </Stat>
        </dl>
      </Card>
      {used.length === 0 ? (
        <p className="rounded-xl border bg-card px-6 py-12 text-center text-sm text-muted-foreground" data-testid="usage-empty">
          No usage was recorded in {formatBillingMonth(period)}.
        </p>
      ) : (
        <Card className="overflow-hidden">
          <h2 className="sr-only">Usage by metric in {formatBillingMonth(period)}</h2>
          <dl className="divide-y" data-testid="history-usage">
            {used.map((m) => (
              <div key={m.metricType} className="flex flex-wrap items-baseline justify-between gap-2 px-5 py-3">
                <dt className="text-sm font-medium">{metricNames[m.metricType]?.name ?? m.metricName}</dt>
                <dd className="text-sm tabular-nums">{formatQuantity(m.totalUsage, m.unit)}</dd>
              </div>
            ))}
          </dl>
          <p className="border-t px-4 py-3 text-xs text-muted-foreground">
            Totals from the usage history of this period. Limits and overage of that time are shown on its invoice.
          </p>
        </Card>
      )}
    </>
  );
}

function ClosedPeriod({ period }: { period: string }) {
  const summaries = useUsageSummaries(period);
  const analytics = useUsageAnalytics(period);
  // A period closed early (platform staff) shares its month with the open one that follows: show the frozen rows.
  const frozen = summaries.data?.filter((row) => row.frozen);
  const rows = frozen?.length ? frozen : summaries.data;
  if (summaries.error) {
    return (
      <QueryError
        title={`We couldn't load the usage of ${formatBillingMonth(period)}`}
        error={summaries.error}
        onRetry={() => void summaries.refetch()}
      />
    );
  }
  if (!rows) return <CardsSkeleton label={`Loading the usage of ${formatBillingMonth(period)}…`} />;
  // No summary: history CBP did not close itself, known from the rollup (GET /usage/analytics).
  if (rows.length === 0 && analytics.data) return <HistoryPeriod period={period} analytics={analytics.data} />;
  if (rows.length === 0 && analytics.isPending) return <CardsSkeleton label={`Loading the usage of ${formatBillingMonth(period)}…`} />;
  const first = rows[0];
  const currency = analytics.data?.currency ?? null;
  const total = rows.reduce((sum, row) => sum + row.overageAmount, 0);
  return (
    <>
      <Card aria-label={formatBillingMonth(period)} className="mb-6">
        <dl className="grid divide-y sm:grid-cols-3 sm:divide-x sm:divide-y-0">
          <Stat label="Billing period" testId="period-dates">
            {first ? formatPeriod(first.periodStart, first.periodEnd) : formatBillingMonth(period)}
          </Stat>
          <Stat label="State">{periodState(rows)}</Stat>
          <Stat label="Overage billed" testId="overage-total">
            {currency ? formatMoney(total, currency) : analytics.isPending ? pendingValue : 'Unavailable'}
          </Stat>
        </dl>
      </Card>
      {rows.length === 0 ? (
        <p className="rounded-xl border bg-card px-6 py-12 text-center text-sm text-muted-foreground" data-testid="usage-empty">
          No usage was recorded in {formatBillingMonth(period)}.
        </p>
      ) : (
        <ul className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" aria-label={`Usage by metric in ${formatBillingMonth(period)}`}>
          {byMetricOrder(rows).map((row) => (
            <li key={row.id} className="flex">
              <UsageMetricCard usage={closedUsageOf(row)} currency={currency} closed pending={analytics.isPending} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function UsageDashboard() {
  const { membership } = useSession();
  const access = useUsageAccess();
  const [period, setPeriod] = useUrlView(readDashboardPeriod, dashboardParams);
  return (
    <>
      <PageHeader
        title="Usage"
        description={
          membership
            ? `What ${membership.name} used in a billing period, against its plan's limits`
            : "What your organization used in a billing period, against its plan's limits"
        }
        actions={
          access.canEdit ? (
            <Button asChild variant="outline">
              <Link to="/usage/quotas">
                <Settings2 aria-hidden="true" />
                Manage quotas
              </Link>
            </Button>
          ) : null
        }
      />
      <div className="mb-6 flex flex-wrap items-end gap-4">
        <PeriodSelect period={period} onChange={(next) => setPeriod(() => next)} />
      </div>
      {period ? <ClosedPeriod key={period} period={period} /> : <CurrentPeriod />}
    </>
  );
}

/** The usage area's main page: each metric against its limits, now or in a closed period. */
export default function UsageDashboardPage() {
  return (
    <RequireAccess resource="usage" action="list">
      <UsageDashboard />
    </RequireAccess>
  );
}
