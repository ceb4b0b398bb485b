import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { AlertOctagon, AlertTriangle, CheckCircle2, Gauge, Trash2 } from 'lucide-react';
import { OpenInvoiceRow } from '@/components/billing/pay-invoice';
import { QueryError } from '@/components/billing/query-error';
import { percentOfLimit, usageLevel, type UsageLevel } from '@/components/billing/usage-format';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { formatDate } from '@/lib/dates';
import { cn } from '@/lib/cn';
import type { UsageStatus } from '@/types/usage';
import {
  useDashboardAccess,
  useInvoicePage,
  useOrganizationProfile,
  usePaymentMethods,
  useSubscription,
  useUsageStatus,
} from '@/pages/dashboard/dashboard-data';

const linkClasses = 'font-medium text-primary underline-offset-4 hover:underline';

function Item({ icon, tone, children, testId }: { icon: ReactNode; tone: 'warning' | 'critical'; children: ReactNode; testId: string }) {
  return (
    <li className="flex gap-3 py-3 first:pt-0 last:pb-0" data-testid={testId}>
      <span
        className={cn(
          'mt-0.5 flex size-7 shrink-0 items-center justify-center rounded-full [&_svg]:size-4',
          tone === 'critical' ? 'bg-red-100 text-red-700 dark:bg-red-950 dark:text-red-300' : 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200',
        )}
        aria-hidden="true"
      >
        {icon}
      </span>
      <div className="min-w-0 flex-1">{children}</div>
    </li>
  );
}

/** "API calls are at 95 % of the soft limit", "Storage is over its hard limit". */
export function usageAttentionText(status: UsageStatus, level: UsageLevel): string {
  if (level === 'critical') return `${status.metricName}: over the hard limit`;
  if (level === 'warning') return `${status.metricName}: over the soft limit`;
  const percent = percentOfLimit(status) ?? 0;
  // A no-break space keeps "95 %" on one line.
  return `${status.metricName}: ${percent}\u00a0% of the ${status.softLimit !== null ? 'soft limit' : 'included amount'}`;
}

function UsageItems({ statuses }: { statuses: UsageStatus[] }) {
  return statuses.map((status) => {
    const level = usageLevel(status);
    if (level === 'ok') return null;
    return (
      <Item
        key={status.metricType}
        testId="attention-usage"
        tone={level === 'critical' ? 'critical' : 'warning'}
        icon={level === 'critical' ? <AlertOctagon /> : level === 'warning' ? <AlertTriangle /> : <Gauge />}
      >
        <p className="text-sm font-medium">{usageAttentionText(status, level)}</p>
        <p className="text-sm text-muted-foreground">
          {level === 'approaching' ? 'Approaching its limit. ' : null}
          <Link to="/usage" className={linkClasses}>
            Review usage
          </Link>
        </p>
      </Item>
    );
  });
}

/**
 * What needs the customer now, most urgent first: a scheduled deletion, open and overdue
 * invoices (and failed payments) with Pay, then metrics from 80 % of their limit. "All clear"
 * when nothing does. Each part shows its own error; the others stay.
 */
export function AttentionCard() {
  const access = useDashboardAccess();
  const profile = useOrganizationProfile();
  const invoices = useInvoicePage({ page: 1, limit: 5, status: 'open' });
  const subscription = useSubscription();
  const methods = usePaymentMethods({ enabled: access.paymentMethods });
  const usage = useUsageStatus();

  const pending = (access.invoices && invoices.isPending) || (access.usage && usage.isPending) || profile.isPending;
  const deletion = profile.data?.deletion?.scheduledFor ?? null;
  const open = invoices.data?.data ?? [];
  const overLimit = (usage.data ?? []).filter((s) => usageLevel(s) !== 'ok');
  const card = access.paymentMethods ? (methods.data ? (methods.data.find((m) => m.isDefault) ?? methods.data[0] ?? null) : undefined) : undefined;
  const pastDue = subscription.data?.status === 'past_due';
  const nothing = !pending && !deletion && open.length === 0 && overLimit.length === 0 && !invoices.error && !usage.error;

  return (
    <Card aria-labelledby="attention-title" aria-busy={pending} className="mb-4" data-testid="attention-card">
      <CardHeader>
        <CardTitle id="attention-title" className="text-base font-semibold text-foreground">
          Needs attention
        </CardTitle>
      </CardHeader>
      <CardContent className="space-y-3">
        {invoices.error ? <QueryError title="We couldn't check your invoices" error={invoices.error} onRetry={() => void invoices.refetch()} /> : null}
        {usage.error ? <QueryError title="We couldn't check your usage" error={usage.error} onRetry={() => void usage.refetch()} /> : null}
        {pending ? (
          <div className="space-y-3" data-testid="attention-loading">
            <Skeleton className="h-5 w-full max-w-md" />
            <Skeleton className="h-5 w-full max-w-sm" />
          </div>
        ) : nothing ? (
          <p className="flex items-center gap-2 text-sm" data-testid="all-clear">
            <CheckCircle2 className="size-5 shrink-0 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />
            <span>
              <span className="font-medium">All clear.</span> <span className="text-muted-foreground">No open invoices, and usage is within its limits.</span>
            </span>
          </p>
        ) : (
          <ul className="divide-y" aria-label="Things that need attention">
            {deletion ? (
              <Item testId="attention-deletion" tone="critical" icon={<Trash2 />}>
                <p className="text-sm font-medium">This organization is scheduled for deletion on {formatDate(deletion)}</p>
                <p className="text-sm text-muted-foreground">
                  Everything is removed then.{' '}
                  <Link to="/organization" className={linkClasses}>
                    Review or cancel
                  </Link>
                </p>
              </Item>
            ) : null}
            {open.map((invoice, index) => (
              <Item key={invoice.id} testId="attention-invoice" tone={pastDue ? 'critical' : 'warning'} icon={<AlertTriangle />}>
                <OpenInvoiceRow invoice={invoice} canPay={access.payInvoices} card={card} paymentFailed={pastDue && index === 0} />
              </Item>
            ))}
            <UsageItems statuses={overLimit} />
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
