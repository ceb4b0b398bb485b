import { useId, type ReactNode } from 'react';
import { AlertOctagon, AlertTriangle, CheckCircle2, Gauge, Lock } from 'lucide-react';
import { formatCount, formatQuantity, type UsageLevel } from '@/components/billing/usage-format';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { StatusBadge, type StatusLook } from '@/components/ui/status-badge';
import { cn } from '@/lib/cn';
import { formatMoney } from '@/lib/money';
import type { OverageBilling } from '@/types/usage';

/** One metric of one period, as the card shows it: the open period's live numbers or a closed period's frozen summary. */
export interface MetricUsage {
  metricType: string;
  metricName: string;
  unit: string;
  used: number;
  included: number;
  /** Only known for the open period (a summary does not keep the limits it was measured against). */
  softLimit: number | null;
  hardLimit: number | null;
  level: UsageLevel;
  /** Units above the included quantity and what they cost (minor units); null while unknown. */
  overage: { quantity: number; amount: number } | null;
  /** End-of-period usage at the current run rate (open period only). */
  projected: { used: number; overageAmount: number } | null;
  /** Units left before the hard limit (open period only; null without a hard limit). */
  remaining: number | null;
  eventCount: number | null;
  /** A closed period's overage on its way to the invoice; null for the open period. */
  billing: { status: OverageBilling; invoicedAt: string | null } | null;
}

const billingNotes: Record<OverageBilling, string | null> = {
  none: null,
  accruing: null,
  pending: 'Waiting to be added to the invoice',
  invoiced: 'Added to the next invoice',
};

export const levelLooks: Record<UsageLevel, StatusLook> = {
  ok: { label: 'Within limits', variant: 'success', icon: CheckCircle2 },
  approaching: { label: 'Approaching limit', variant: 'warning', icon: Gauge },
  warning: { label: 'Over soft limit', variant: 'warning', icon: AlertTriangle },
  critical: { label: 'Over hard limit', variant: 'destructive', icon: AlertOctagon },
};

const closedLook: StatusLook = { label: 'Closed', variant: 'secondary', icon: Lock };

const fillClasses: Record<UsageLevel, string> = {
  ok: 'bg-primary',
  approaching: 'bg-amber-500 dark:bg-amber-400',
  warning: 'bg-amber-500 dark:bg-amber-400',
  critical: 'bg-red-600 dark:bg-red-400',
};

interface Marker {
  key: 'included' | 'soft' | 'hard';
  label: string;
  value: number;
  className: string;
}

function markersOf(usage: MetricUsage): Marker[] {
  const markers: Marker[] = [
    { key: 'included', label: 'Included', value: usage.included, className: 'border-l-2 border-dotted border-muted-foreground' },
  ];
  if (usage.softLimit !== null) {
    markers.push({ key: 'soft', label: 'Soft limit', value: usage.softLimit, className: 'border-l-2 border-dashed border-amber-600 dark:border-amber-400' });
  }
  if (usage.hardLimit !== null) {
    markers.push({ key: 'hard', label: 'Hard limit', value: usage.hardLimit, className: 'border-l-2 border-red-700 dark:border-red-400' });
  }
  return markers;
}

/** Usage against the limits: the fill is the usage, the lines are the included quantity and the soft and hard limits. */
function UsageBar({ usage, label }: { usage: MetricUsage; label: string }) {
  const markers = markersOf(usage);
  const scale = Math.max(1, usage.used, ...markers.map((marker) => marker.value));
  const at = (value: number) => `${Math.min(100, (value / scale) * 100)}%`;
  const valueText = [
    `${formatQuantity(usage.used, usage.unit)} used`,
    ...markers.map((marker) => `${marker.label.toLowerCase()} ${formatQuantity(marker.value, usage.unit)}`),
  ].join(', ');
  return (
    <div className="mt-4">
      <div
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={scale}
        aria-valuenow={usage.used}
        aria-valuetext={valueText}
        className="relative h-4"
      >
        <div className="absolute inset-x-0 top-1/2 h-2.5 -translate-y-1/2 overflow-hidden rounded-full bg-muted">
          {usage.projected && usage.projected.used > usage.used ? (
            <div
              className={cn('absolute inset-y-0 left-0 opacity-25', fillClasses[usage.level])}
              style={{ width: at(usage.projected.used) }}
              data-testid="projected-fill"
            />
          ) : null}
          <div className={cn('absolute inset-y-0 left-0 rounded-full', fillClasses[usage.level])} style={{ width: at(usage.used) }} />
        </div>
        {markers.map((marker) => (
          <span
            key={marker.key}
            aria-hidden="true"
            className={cn('absolute inset-y-0 -translate-x-1/2', marker.className)}
            style={{ left: at(marker.value) }}
          />
        ))}
      </div>
      <ul className="mt-2 flex flex-wrap gap-x-3 gap-y-1 text-xs text-muted-foreground" aria-hidden="true">
        {markers.map((marker) => (
          <li key={marker.key} className="flex items-center gap-1.5">
            <span className={cn('h-3 w-0', marker.className)} />
            {marker.label}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Field({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="flex items-baseline justify-between gap-4 py-1.5 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 text-right tabular-nums" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

const limitText = (value: number | null, unit: string, none: string) => (value === null ? none : formatQuantity(value, unit));

interface OverageProps {
  usage: MetricUsage;
  currency: string | null;
  closed: boolean;
  /** Overage and projection are still loading. */
  pending: boolean;
}

function OverageFields({ usage, currency, closed, pending }: OverageProps) {
  const money = (amount: number) => (currency ? formatMoney(amount, currency) : 'Unavailable');
  const unknown = pending ? <Skeleton className="ml-auto h-4 w-16" /> : 'Unavailable';
  return (
    <>
      <Field label={closed ? 'Overage billed' : 'Overage so far'} testId="overage">
        {usage.overage ? (
          <>
            {money(usage.overage.amount)}
            {usage.overage.quantity > 0 ? (
              <span className="block text-xs text-muted-foreground">{formatQuantity(usage.overage.quantity, usage.unit)} over</span>
            ) : null}
            {usage.billing && billingNotes[usage.billing.status] ? (
              <span className="block text-xs text-muted-foreground" data-testid="overage-billing">
                {billingNotes[usage.billing.status]}
              </span>
            ) : null}
          </>
        ) : (
          unknown
        )}
      </Field>
      {closed ? null : (
        <Field label="Projected at period end" testId="projected">
          {usage.projected ? (
            <>
              {formatQuantity(usage.projected.used, usage.unit)}
              <span className="block text-xs text-muted-foreground">
                {usage.projected.overageAmount > 0 ? `${money(usage.projected.overageAmount)} overage` : 'No overage expected'}
              </span>
            </>
          ) : (
            unknown
          )}
        </Field>
      )}
    </>
  );
}

interface UsageMetricCardProps {
  usage: MetricUsage;
  /** Of the overage amounts; null while unknown. */
  currency: string | null;
  /** A closed period's frozen summary rather than the open period. */
  closed?: boolean;
  /** Overage and projection are still loading. */
  pending?: boolean;
}

/** One metric's usage in a period against what the plan includes and allows, with its overage so far and projected. */
export function UsageMetricCard({ usage, currency, closed = false, pending = false }: UsageMetricCardProps) {
  const id = useId();
  const against = usage.hardLimit ?? usage.included;
  return (
    <Card aria-labelledby={`${id}-title`} data-testid="usage-metric-card" data-metric={usage.metricType} className="flex w-full flex-col">
      <CardHeader className="flex-row items-start justify-between gap-3 space-y-0">
        <CardTitle id={`${id}-title`} className="text-base font-semibold text-foreground">
          {usage.metricName}
        </CardTitle>
        <StatusBadge look={closed ? closedLook : levelLooks[usage.level]} data-testid="usage-level" />
      </CardHeader>
      <CardContent className="flex-1">
        <p className="text-2xl font-semibold tracking-tight tabular-nums" data-testid="usage-used">
          {formatQuantity(usage.used, usage.unit)}
        </p>
        <p className="mt-0.5 text-sm text-muted-foreground">
          {usage.hardLimit !== null
            ? `of ${formatQuantity(against, usage.unit)} (hard limit)`
            : `of ${formatQuantity(against, usage.unit)} included${closed ? '' : ', no hard limit'}`}
        </p>
        <UsageBar usage={usage} label={`${usage.metricName} usage`} />
        <dl className="mt-3 divide-y">
          <Field label="Included">{formatQuantity(usage.included, usage.unit)}</Field>
          {closed ? (
            usage.eventCount !== null ? <Field label="Events">{formatCount(usage.eventCount)}</Field> : null
          ) : (
            <>
              <Field label="Soft limit" testId="soft-limit">
                {limitText(usage.softLimit, usage.unit, 'Off')}
              </Field>
              <Field label="Hard limit" testId="hard-limit">
                {limitText(usage.hardLimit, usage.unit, 'None')}
              </Field>
              {usage.remaining !== null ? (
                <Field label="Left before the hard limit">{formatQuantity(usage.remaining, usage.unit)}</Field>
              ) : null}
            </>
          )}
          <OverageFields usage={usage} currency={currency} closed={closed} pending={pending} />
        </dl>
      </CardContent>
    </Card>
  );
}
