import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { ArrowRight, CheckCircle2, Circle } from 'lucide-react';
import { actionLabel, formatDateTimeUtc } from '@/components/admin/audit-log-format';
import { QueryError } from '@/components/billing/query-error';
import { levelLooks } from '@/components/billing/UsageMetricCard';
import { byMetricOrder, formatQuantity, percentOfLimit, usageLevel, type UsageLevel } from '@/components/billing/usage-format';
import { Badge, type BadgeProps } from '@/components/ui/badge';
import { Card, CardContent, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { Sparkline } from '@/components/ui/sparkline';
import { StatusBadge } from '@/components/ui/status-badge';
import { useSession } from '@/hooks/use-session';
import { ApiError } from '@/lib/axios';
import { cn } from '@/lib/cn';
import { formatDate } from '@/lib/dates';
import { formatMoney } from '@/lib/money';
import { roleName } from '@/lib/role-parser';
import type { TenantStatus } from '@/types/session';
import type { UsageStatus } from '@/types/usage';
import {
  knownMetric,
  useAuditLogPage,
  useCurrentTenant,
  useDashboardAccess,
  useDomainsIf,
  useMemberCount,
  usePendingInvitationCount,
  usePaymentMethods,
  usePlans,
  useSubscription,
  useUpcomingInvoice,
  useUsageStatus,
  useUsageTrends,
} from '@/pages/dashboard/dashboard-data';

export const linkClasses = 'inline-flex items-center gap-1 text-sm font-medium text-primary underline-offset-4 hover:underline';

export function Lines({ count = 3 }: { count?: number }) {
  return (
    <div className="space-y-3" data-testid="card-loading">
      <Skeleton className="h-6 w-32" />
      {Array.from({ length: count }, (_, i) => (
        <Skeleton key={i} className="h-4 w-full max-w-64" />
      ))}
    </div>
  );
}

function FooterLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <CardFooter>
      <Link to={to} className={linkClasses}>
        {children} <ArrowRight className="size-3.5" aria-hidden="true" />
      </Link>
    </CardFooter>
  );
}

const barClasses: Record<UsageLevel, string> = {
  ok: 'bg-primary',
  approaching: 'bg-amber-500 dark:bg-amber-400',
  warning: 'bg-amber-500 dark:bg-amber-400',
  critical: 'bg-red-600 dark:bg-red-400',
};
const lineClasses: Record<UsageLevel, string> = {
  ok: 'text-primary',
  approaching: 'text-amber-600 dark:text-amber-400',
  warning: 'text-amber-600 dark:text-amber-400',
  critical: 'text-red-600 dark:text-red-400',
};

function UsageRow({ status, trend }: { status: UsageStatus; trend: number[] | undefined }) {
  const level = usageLevel(status);
  const limit = status.softLimit ?? status.includedQuantity;
  const percent = percentOfLimit(status);
  const limitName = status.softLimit !== null ? 'soft limit' : 'included';
  return (
    <li className="py-3 first:pt-0 last:pb-0" data-testid="dashboard-usage" data-metric={status.metricType}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm font-medium">{status.metricName}</p>
        <StatusBadge look={levelLooks[level]} data-testid="usage-level" />
      </div>
      <div className="mt-1 grid grid-cols-[minmax(0,1fr)_auto] items-end gap-3 sm:grid-cols-[minmax(0,1fr)_8rem]">
        <div className="min-w-0">
          <p className="text-sm tabular-nums">
            <span className="font-medium">{formatQuantity(status.currentUsage, status.unit)}</span>
            <span className="text-muted-foreground">
              {' '}
              of {formatQuantity(limit, status.unit)} {limitName}
              {percent !== null ? ` (${percent}\u00a0%)` : ''}
            </span>
          </p>
          <div className="mt-1.5 h-1.5 overflow-hidden rounded-full bg-muted" aria-hidden="true">
            <div className={cn('h-full rounded-full', barClasses[level])} style={{ width: `${Math.min(100, percent ?? 0)}%` }} />
          </div>
        </div>
        <div className={cn('w-20 sm:w-32', lineClasses[level])}>
          {trend && trend.length > 1 ? (
            <Sparkline values={trend} label={`${status.metricName}, last ${trend.length} months: ${trend.map((v) => formatQuantity(v, status.unit)).join(', ')}`} />
          ) : trend ? null : (
            <Skeleton className="h-8 w-full" />
          )}
        </div>
      </div>
    </li>
  );
}

/** Each metric against its limit with a six-month trend line. */
export function UsageCard({ className }: { className?: string }) {
  const usage = useUsageStatus();
  const statuses = byMetricOrder(usage.data ?? []);
  const metrics = statuses.map((s) => s.metricType).filter(knownMetric);
  const trends = useUsageTrends(metrics, statuses.length > 0);
  const trendOf = (metric: string) => {
    const index = metrics.indexOf(metric as (typeof metrics)[number]);
    const result = index === -1 ? undefined : trends[index];
    if (!result) return undefined;
    // A failed trend draws no line (the numbers still show).
    if (result.error) return [];
    return result.data?.map((p) => p.quantity);
  };
  return (
    <Card aria-labelledby="usage-card-title" aria-busy={usage.isPending} className={cn('flex flex-col', className)}>
      <CardHeader>
        <CardTitle id="usage-card-title" className="text-base font-semibold text-foreground">
          Usage this period
        </CardTitle>
      </CardHeader>
      <CardContent className="flex-1">
        {usage.error ? (
          <QueryError title="We couldn't load your usage" error={usage.error} onRetry={() => void usage.refetch()} />
        ) : usage.data ? (
          statuses.length > 0 ? (
            <ul className="divide-y">
              {statuses.map((status) => (
                <UsageRow key={status.metricType} status={status} trend={trendOf(status.metricType)} />
              ))}
            </ul>
          ) : (
            <p className="text-sm text-muted-foreground">No usage limits are set up for this organization yet.</p>
          )
        ) : (
          <Lines count={4} />
        )}
      </CardContent>
      <FooterLink to="/usage">Usage details</FooterLink>
    </Card>
  );
}

/** The next invoice as it stands: projected amount and the date it is billed. */
export function NextInvoiceCard({ className }: { className?: string }) {
  const upcoming = useUpcomingInvoice();
  const subscription = useSubscription();
  const invoice = upcoming.data;
  const ended = subscription.data?.status === 'canceled' || (upcoming.error instanceof ApiError && upcoming.error.statusCode === 404);
  return (
    <Card aria-labelledby="next-invoice-card-title" aria-busy={upcoming.isPending && !ended} className={className}>
      <CardHeader>
        <CardTitle id="next-invoice-card-title">Next invoice</CardTitle>
      </CardHeader>
      <CardContent>
        {ended ? (
          <p className="text-sm text-muted-foreground">The subscription has ended, so no further invoice is planned.</p>
        ) : invoice ? (
          <>
            <p className="text-2xl font-semibold tracking-tight tabular-nums" data-testid="next-invoice-amount">
              {formatMoney(invoice.amountDue, invoice.currency)}
            </p>
            <p className="mt-1 text-sm text-muted-foreground" data-testid="next-invoice-date">
              Projected, billed on {formatDate(invoice.periodStart)}
            </p>
          </>
        ) : upcoming.error ? (
          <QueryError title="We couldn't estimate your next invoice" error={upcoming.error} onRetry={() => void upcoming.refetch()} />
        ) : (
          <Lines count={1} />
        )}
      </CardContent>
      <FooterLink to="/billing">Billing</FooterLink>
    </Card>
  );
}

const statusBadges: Record<TenantStatus, { label: string; variant: BadgeProps['variant'] }> = {
  active: { label: 'Active', variant: 'success' },
  suspended: { label: 'Suspended', variant: 'warning' },
  pending_deletion: { label: 'Pending deletion', variant: 'destructive' },
};

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-4 py-1.5 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 truncate text-right">{children}</dd>
    </div>
  );
}

/** Organization, plan and the caller's role in one compact card. */
export function OrganizationCard({ className }: { className?: string }) {
  const tenant = useCurrentTenant();
  const plans = usePlans();
  const { role, me } = useSession();
  const t = tenant.data;
  const plan = t?.planId ? plans.data?.find((p) => p.id === t.planId) : undefined;
  return (
    <Card aria-labelledby="organization-card-title" aria-busy={tenant.isPending} className={className}>
      <CardHeader>
        <CardTitle id="organization-card-title">Organization</CardTitle>
      </CardHeader>
      <CardContent>
        {tenant.error ? (
          <QueryError title="We couldn't load your organization" error={tenant.error} onRetry={() => void tenant.refetch()} />
        ) : t ? (
          <>
            <div className="flex min-w-0 items-center justify-between gap-2">
              <p className="truncate text-lg font-semibold tracking-tight" data-testid="tenant-name">
                {t.name}
              </p>
              <Badge variant={statusBadges[t.status].variant} data-testid="tenant-status">
                {statusBadges[t.status].label}
              </Badge>
            </div>
            <dl className="mt-2 divide-y">
              <Field label="Slug">
                <code className="font-mono text-xs" data-testid="tenant-slug">
                  {t.slug}
                </code>
              </Field>
              <Field label="Plan">
                {plans.error ? (
                  <span className="text-muted-foreground">Unavailable</span>
                ) : !t.planId ? (
                  <span data-testid="plan-name">No plan</span>
                ) : plans.data ? (
                  <span>
                    <span className="font-medium" data-testid="plan-name">
                      {plan?.name ?? 'Unknown plan'}
                    </span>
                    {plan ? (
                      <span className="text-muted-foreground" data-testid="plan-price">
                        {' '}
                        · {formatMoney(plan.priceMonthly, plan.currency)} per month
                      </span>
                    ) : null}
                  </span>
                ) : (
                  <Skeleton className="ml-auto h-4 w-24" />
                )}
              </Field>
              <Field label="Your role">
                <span data-testid="user-role">{role ? roleName(role) : 'None'}</span>
              </Field>
              {me ? <Field label="Signed in as">{me.user.email}</Field> : null}
            </dl>
          </>
        ) : (
          <Lines />
        )}
      </CardContent>
    </Card>
  );
}

interface Task {
  key: string;
  label: string;
  doneLabel: string;
  done: boolean | undefined;
  to: string;
  action: string;
}

function TaskRow({ task }: { task: Task }) {
  return (
    <li className="flex items-start gap-3 py-2.5 first:pt-0 last:pb-0" data-testid="setup-task" data-task={task.key} data-done={task.done === true}>
      {task.done === undefined ? (
        <Skeleton className="mt-0.5 size-5 shrink-0 rounded-full" />
      ) : task.done ? (
        <CheckCircle2 className="mt-0.5 size-5 shrink-0 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />
      ) : (
        <Circle className="mt-0.5 size-5 shrink-0 text-muted-foreground" aria-hidden="true" />
      )}
      <div className="min-w-0 flex-1 text-sm">
        <p className={cn('font-medium', task.done && 'text-muted-foreground line-through')}>
          {task.label}
          <span className="sr-only">{task.done === undefined ? ' (checking)' : task.done ? ' (done)' : ' (to do)'}</span>
        </p>
        {task.done === false ? (
          <Link to={task.to} className={linkClasses}>
            {task.action}
          </Link>
        ) : task.done ? (
          <p className="text-muted-foreground">{task.doneLabel}</p>
        ) : null}
      </div>
    </li>
  );
}

/** Setup steps the caller's role can take, each done or not from the organization's data. Null when the role can take none. */
export function SetupTasksCard({ className }: { className?: string }) {
  const access = useDashboardAccess();
  const methods = usePaymentMethods({ enabled: access.paymentMethods });
  const members = useMemberCount({ enabled: access.invite });
  const invitations = usePendingInvitationCount({ enabled: access.invite });
  const domains = useDomainsIf({ enabled: access.editOrganization });
  const tasks: Task[] = [];
  if (access.paymentMethods) {
    tasks.push({
      key: 'card',
      label: 'Add a card',
      doneLabel: 'A card is on file for your invoices.',
      done: methods.error ? undefined : methods.data ? methods.data.length > 0 : undefined,
      to: '/billing/payment-methods/new',
      action: 'Add a payment method',
    });
  }
  if (access.invite) {
    const invited = (invitations.data?.total ?? 0) > 0;
    const joined = (members.data?.total ?? 0) > 1;
    tasks.push({
      key: 'team',
      label: 'Invite your team',
      doneLabel: joined ? `${members.data?.total ?? 0} members have joined.` : 'Invitations are on their way.',
      done: members.data && invitations.data ? joined || invited : undefined,
      to: '/team/invitations',
      action: 'Invite people',
    });
  }
  if (access.editOrganization) {
    tasks.push({
      key: 'domain',
      label: 'Verify a domain',
      doneLabel: 'Your domain is verified.',
      done: domains.data ? domains.data.some((d) => d.status === 'verified') : undefined,
      to: '/organization',
      action: 'Add and verify a domain',
    });
  }
  if (tasks.length === 0) return null;
  const done = tasks.filter((t) => t.done).length;
  return (
    <Card aria-labelledby="setup-card-title" data-testid="setup-tasks" className={className}>
      <CardHeader className="flex-row items-center justify-between gap-2 space-y-0">
        <CardTitle id="setup-card-title">Setup</CardTitle>
        <span className="text-xs text-muted-foreground" data-testid="setup-progress">
          {done} of {tasks.length} done
        </span>
      </CardHeader>
      <CardContent>
        <ul className="divide-y">
          {tasks.map((task) => (
            <TaskRow key={task.key} task={task} />
          ))}
        </ul>
      </CardContent>
    </Card>
  );
}

/** The last five audit entries (admins and owners: the roles that may read the audit log). */
export function RecentActivityCard({ className }: { className?: string }) {
  const page = useAuditLogPage({ page: 1, limit: 5 });
  const entries = page.data?.data;
  return (
    <Card aria-labelledby="activity-card-title" aria-busy={page.isPending} className={cn('flex flex-col', className)}>
      <CardHeader>
        <CardTitle id="activity-card-title">Recent activity</CardTitle>
      </CardHeader>
      <CardContent className="flex-1">
        {page.error ? (
          <QueryError title="We couldn't load recent activity" error={page.error} onRetry={() => void page.refetch()} />
        ) : entries ? (
          entries.length > 0 ? (
            <ol className="divide-y" aria-label="Latest audit log entries">
              {entries.map((entry) => (
                <li key={entry.id} className="py-2 text-sm first:pt-0 last:pb-0" data-testid="activity-entry">
                  <p className="min-w-0 break-words">
                    <span className="font-medium">{actionLabel(entry.action)}</span>
                    {entry.targetName ? <span className="text-muted-foreground"> · {entry.targetName}</span> : null}
                  </p>
                  <p className="min-w-0 break-words text-xs text-muted-foreground">
                    {entry.actorEmail ?? (entry.actorType === 'system' ? 'System' : 'API key')} · <time dateTime={entry.createdAt}>{formatDateTimeUtc(entry.createdAt)}</time>
                  </p>
                </li>
              ))}
            </ol>
          ) : (
            <p className="text-sm text-muted-foreground">Nothing has happened here yet.</p>
          )
        ) : (
          <Lines count={4} />
        )}
      </CardContent>
      <FooterLink to="/admin/audit-logs">Audit log</FooterLink>
    </Card>
  );
}
