import { useState } from 'react';
import { Link } from 'react-router';
import { AlertOctagon, AlertTriangle, X } from 'lucide-react';
import { byMetricOrder, listNames } from '@/components/billing/usage-format';
import { useSession } from '@/hooks/use-session';
import { useUsageStatus } from '@/hooks/use-usage';
import { cn } from '@/lib/cn';
import type { UsageStatus } from '@/types/usage';

type Severity = 'warning' | 'critical';

/** Dismissals last for the browser session (sessionStorage), per tenant, metric and severity. */
const DISMISSED_STORAGE_KEY = 'cbp.quotaWarning.dismissed';

function readDismissed(): ReadonlySet<string> {
  try {
    const stored: unknown = JSON.parse(window.sessionStorage.getItem(DISMISSED_STORAGE_KEY) ?? '[]');
    return new Set(Array.isArray(stored) ? stored.filter((item): item is string => typeof item === 'string') : []);
  } catch {
    return new Set();
  }
}

function saveDismissed(dismissed: ReadonlySet<string>): void {
  try {
    window.sessionStorage.setItem(DISMISSED_STORAGE_KEY, JSON.stringify([...dismissed]));
  } catch {
    // Without storage a dismissal lasts until reload.
  }
}

const dismissalKey = (tenantId: string | null, metricType: string, severity: Severity) => `${tenantId}:${metricType}:${severity}`;

const looks = {
  critical: {
    icon: AlertOctagon,
    title: 'Hard limit reached',
    classes: 'border-red-200 bg-red-50 text-red-900 dark:border-red-400/30 dark:bg-red-950/60 dark:text-red-100',
    sentence: (names: string, many: boolean) => (many ? `${names} are over their hard limits.` : `${names} is over its hard limit.`),
  },
  warning: {
    icon: AlertTriangle,
    title: 'Soft limit passed',
    classes: 'border-amber-200 bg-amber-50 text-amber-950 dark:border-amber-400/30 dark:bg-amber-950/50 dark:text-amber-100',
    sentence: (names: string, many: boolean) => (many ? `${names} are over their soft limits.` : `${names} is over its soft limit.`),
  },
} as const;

function Banner({ severity, metrics, onDismiss }: { severity: Severity; metrics: UsageStatus[]; onDismiss: () => void }) {
  const look = looks[severity];
  const Icon = look.icon;
  return (
    <div className={cn('border-b', look.classes)} data-testid={`quota-warning-${severity}`}>
      <div className="mx-auto flex w-full max-w-6xl items-center gap-3 px-4 py-2.5 text-sm sm:px-6 lg:px-8">
        <Icon className="size-4 shrink-0" aria-hidden="true" />
        <p className="min-w-0 flex-1">
          <span className="font-semibold">{look.title}: </span>
          {look.sentence(listNames(metrics.map((m) => m.metricName)), metrics.length > 1)}{' '}
          <Link to="/usage" className="font-medium whitespace-nowrap underline underline-offset-4 hover:no-underline">
            View usage
          </Link>
        </p>
        <button
          type="button"
          onClick={onDismiss}
          className="rounded-md p-1 hover:bg-black/5 focus-visible:outline-2 focus-visible:outline-current dark:hover:bg-white/10"
          aria-label={`Dismiss: ${look.title.toLowerCase()} for ${listNames(metrics.map((m) => m.metricName))}`}
        >
          <X className="size-4" aria-hidden="true" />
        </button>
      </div>
    </div>
  );
}

/**
 * A strip under the header while any metric is past its soft (amber) or hard (red) limit.
 * It never stands in the way: nothing shows while the status loads or when it fails.
 */
export function QuotaWarning() {
  const { tenantId } = useSession();
  const status = useUsageStatus({ refetchOnWindowFocus: true });
  const [dismissed, setDismissed] = useState(readDismissed);
  const rows = status.isError ? [] : byMetricOrder(status.data ?? []);
  const showing = (severity: Severity) =>
    rows.filter(
      (row) =>
        (severity === 'critical' ? row.isOverHardLimit : row.isOverSoftLimit && !row.isOverHardLimit) &&
        !dismissed.has(dismissalKey(tenantId, row.metricType, severity)),
    );
  const dismiss = (severity: Severity, metrics: UsageStatus[]) => {
    const next = new Set(dismissed);
    for (const metric of metrics) next.add(dismissalKey(tenantId, metric.metricType, severity));
    saveDismissed(next);
    setDismissed(next);
  };
  const critical = showing('critical');
  const warning = showing('warning');
  return (
    <div aria-live="polite" data-testid="quota-warnings">
      {critical.length > 0 ? <Banner severity="critical" metrics={critical} onDismiss={() => dismiss('critical', critical)} /> : null}
      {warning.length > 0 ? <Banner severity="warning" metrics={warning} onDismiss={() => dismiss('warning', warning)} /> : null}
    </div>
  );
}
