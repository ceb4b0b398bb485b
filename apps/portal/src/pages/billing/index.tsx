import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ArrowRight, CalendarClock } from 'lucide-react';
import { toast } from 'sonner';
import { BillingNav } from '@/components/billing/billing-nav';
import { CancelSubscriptionDialog } from '@/components/billing/cancel-subscription-dialog';
import { OpenInvoicesCard } from '@/components/billing/open-invoices';
import { PlanLimits } from '@/components/billing/plan-limits';
import { QueryError } from '@/components/billing/query-error';
import { InvoiceStatusBadge, SubscriptionStatusBadge } from '@/components/billing/status-badges';
import { PageHeader } from '@/components/layout/page-header';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import {
  billingKeys,
  invalidateAfterSubscriptionChange,
  useInvoicePage,
  useSubscription,
  useUpcomingInvoice,
} from '@/hooks/use-billing';
import { useSession } from '@/hooks/use-session';
import { useSubscriptionEditAccess } from '@/hooks/use-subscription-edit-access';
import { ApiError } from '@/lib/axios';
import { formatDate, formatPeriod, formatShortDate } from '@/lib/dates';
import { formatMoney } from '@/lib/money';
import { resumeSubscription } from '@/services/billing.service';
import type { Subscription, UpcomingInvoice } from '@/types/billing';

const linkClasses = 'inline-flex items-center gap-1 text-sm font-medium text-primary underline-offset-4 hover:underline';

function CardSkeleton({ lines = 3 }: { lines?: number }) {
  return (
    <div className="space-y-3">
      <Skeleton className="h-7 w-40" />
      {Array.from({ length: lines }, (_, i) => (
        <Skeleton key={i} className="h-4 w-full max-w-64" />
      ))}
    </div>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-4 py-1.5 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 text-right">{children}</dd>
    </div>
  );
}

function ResumeNotice({ subscription }: { subscription: Subscription }) {
  const access = useSubscriptionEditAccess();
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const resume = useMutation({
    mutationFn: resumeSubscription,
    onSuccess: async (updated) => {
      queryClient.setQueryData(billingKeys.subscription(tenantId), updated);
      toast.success(`Your subscription will renew on ${formatDate(updated.currentPeriodEnd)}.`);
      await invalidateAfterSubscriptionChange(queryClient, tenantId);
    },
  });
  const explanation = access.explain('resume the subscription');
  return (
    <div className="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-100">
      <p className="flex items-center gap-2 font-medium" data-testid="cancels-on">
        <CalendarClock className="size-4 shrink-0" aria-hidden="true" />
        Cancels on {formatDate(subscription.currentPeriodEnd)}
      </p>
      <p className="mt-1">You keep access to {subscription.plan.name} until then. Resume to keep your plan.</p>
      <Button
        size="sm"
        className="mt-3"
        onClick={() => resume.mutate()}
        disabled={!access.allowed || resume.isPending}
        aria-busy={resume.isPending}
        aria-describedby={explanation ? 'resume-explanation' : undefined}
      >
        {resume.isPending ? 'Resuming…' : 'Resume subscription'}
      </Button>
      {explanation ? (
        <p id="resume-explanation" className="mt-2 text-xs">
          {explanation}
        </p>
      ) : null}
    </div>
  );
}

function CurrentPlanCard() {
  const subscription = useSubscription();
  const sub = subscription.data;
  return (
    <Card aria-labelledby="current-plan-title" aria-busy={subscription.isPending} className="flex flex-col">
      <CardHeader>
        <CardTitle id="current-plan-title">Current plan</CardTitle>
      </CardHeader>
      <CardContent className="flex-1">
        {sub ? (
          <>
            <div className="flex flex-wrap items-center gap-2">
              <p className="text-xl font-semibold tracking-tight" data-testid="billing-plan-name">
                {sub.plan.name}
              </p>
              <SubscriptionStatusBadge status={sub.status} data-testid="subscription-status" />
            </div>
            <p className="mt-1 text-sm" data-testid="billing-plan-price">
              <span className="font-medium">{formatMoney(sub.plan.priceMonthly, sub.plan.currency)}</span>
              <span className="text-muted-foreground"> per month{sub.plan.interval === 'year' ? ', billed yearly' : ''}</span>
            </p>
            {sub.status === 'trialing' && sub.trialEnd ? (
              <p className="mt-1 text-sm text-muted-foreground" data-testid="trial-end">
                Trial ends {formatDate(sub.trialEnd)}
              </p>
            ) : null}
            <dl className="mt-3 divide-y">
              <Field label="Current period">{formatPeriod(sub.currentPeriodStart, sub.currentPeriodEnd)}</Field>
              <Field label={sub.cancelAtPeriodEnd ? 'Ends on' : 'Renews on'}>{formatDate(sub.currentPeriodEnd)}</Field>
            </dl>
            {sub.cancelAtPeriodEnd ? <ResumeNotice subscription={sub} /> : null}
          </>
        ) : subscription.error ? (
          <QueryError
            title="We couldn't load your subscription"
            error={subscription.error}
            onRetry={() => void subscription.refetch()}
          />
        ) : (
          <CardSkeleton />
        )}
      </CardContent>
      <CardFooter>
        <Link to="/billing/plans" className={linkClasses}>
          Compare plans <ArrowRight className="size-3.5" aria-hidden="true" />
        </Link>
      </CardFooter>
    </Card>
  );
}

function UpcomingLines({ invoice }: { invoice: UpcomingInvoice }) {
  const net = invoice.lines.reduce((sum, line) => sum + line.amount, 0);
  return (
    <>
      {invoice.lines.length > 0 ? (
        <table className="mt-3 w-full text-sm" data-testid="upcoming-lines">
          <caption className="sr-only">Lines of the next invoice</caption>
          <thead className="sr-only">
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Amount</th>
            </tr>
          </thead>
          <tbody className="divide-y">
            {invoice.lines.map((line, index) => (
              <tr key={`${index}-${line.description}`}>
                <td className="py-1.5 pr-4">{line.description}</td>
                <td className="py-1.5 text-right tabular-nums whitespace-nowrap">{formatMoney(line.amount, invoice.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {net < invoice.amountDue ? (
        <p className="mt-3 text-sm text-muted-foreground">
          The remaining credit of {formatMoney(invoice.amountDue - net, invoice.currency)} carries over to later invoices.
        </p>
      ) : null}
    </>
  );
}

function NextInvoiceCard({ subscription }: { subscription: Subscription | undefined }) {
  const upcoming = useUpcomingInvoice();
  const invoice = upcoming.data;
  const ended = subscription?.status === 'canceled' || (upcoming.error instanceof ApiError && upcoming.error.statusCode === 404);
  return (
    <Card aria-labelledby="next-invoice-title" aria-busy={upcoming.isPending && !ended}>
      <CardHeader>
        <CardTitle id="next-invoice-title">Next invoice</CardTitle>
      </CardHeader>
      <CardContent>
        {ended ? (
          <p className="text-sm text-muted-foreground">This subscription has ended, so no further invoice is planned.</p>
        ) : invoice ? (
          <>
            <p className="text-xl font-semibold tracking-tight tabular-nums" data-testid="upcoming-amount">
              {formatMoney(invoice.amountDue, invoice.currency)}
            </p>
            <p className="mt-1 text-sm text-muted-foreground">
              {subscription?.cancelAtPeriodEnd
                ? `Estimate, billed on ${formatDate(invoice.periodStart)}. The plan is not renewed, so only pending charges and credits remain.`
                : `Estimate, billed on ${formatDate(invoice.periodStart)}`}
            </p>
            <UpcomingLines invoice={invoice} />
          </>
        ) : upcoming.error ? (
          <QueryError title="We couldn't estimate your next invoice" error={upcoming.error} onRetry={() => void upcoming.refetch()} />
        ) : (
          <CardSkeleton />
        )}
      </CardContent>
    </Card>
  );
}

function PlanIncludesCard() {
  const subscription = useSubscription();
  const plan = subscription.data?.plan;
  return (
    <Card aria-labelledby="plan-includes-title" aria-busy={subscription.isPending}>
      <CardHeader>
        <CardTitle id="plan-includes-title">What your plan includes</CardTitle>
        {plan ? <CardDescription>Per billing period, on the {plan.name} plan.</CardDescription> : null}
      </CardHeader>
      <CardContent>
        {plan ? (
          <PlanLimits plan={plan} />
        ) : subscription.error ? (
          <p className="text-sm text-muted-foreground">Shown once your subscription loads.</p>
        ) : (
          <CardSkeleton lines={4} />
        )}
      </CardContent>
    </Card>
  );
}

function RecentInvoicesCard() {
  const invoices = useInvoicePage({ page: 1, limit: 3 });
  return (
    <Card aria-labelledby="recent-invoices-title" aria-busy={invoices.isPending} className="flex flex-col">
      <CardHeader>
        <CardTitle id="recent-invoices-title">Recent invoices</CardTitle>
      </CardHeader>
      <CardContent className="flex-1">
        {invoices.data ? (
          invoices.data.data.length > 0 ? (
            <table className="w-full text-sm" data-testid="recent-invoices">
              <caption className="sr-only">Your latest invoices</caption>
              <thead className="text-left text-xs text-muted-foreground">
                <tr className="border-b">
                  <th scope="col" className="pb-2 pr-3 font-medium">
                    Invoice
                  </th>
                  <th scope="col" className="pb-2 pr-3 font-medium">
                    Date
                  </th>
                  <th scope="col" className="pb-2 pr-3 font-medium">
                    Status
                  </th>
                  <th scope="col" className="pb-2 text-right font-medium">
                    Amount
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y">
                {invoices.data.data.map((invoice) => (
                  <tr key={invoice.id}>
                    <td className="py-2 pr-3">
                      <Link to={`/billing/invoices/${invoice.id}`} className="font-medium text-primary underline-offset-4 hover:underline">
                        {invoice.number}
                      </Link>
                    </td>
                    <td className="py-2 pr-3 whitespace-nowrap">{formatShortDate(invoice.createdAt)}</td>
                    <td className="py-2 pr-3">
                      <InvoiceStatusBadge status={invoice.status} />
                    </td>
                    <td className="py-2 text-right tabular-nums">{formatMoney(invoice.total, invoice.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="text-sm text-muted-foreground">No invoices yet. Your first one is issued at the end of this billing period.</p>
          )
        ) : invoices.error ? (
          <QueryError title="We couldn't load your invoices" error={invoices.error} onRetry={() => void invoices.refetch()} />
        ) : (
          <CardSkeleton />
        )}
      </CardContent>
      <CardFooter>
        <Link to="/billing/invoices" className={linkClasses}>
          All invoices <ArrowRight className="size-3.5" aria-hidden="true" />
        </Link>
      </CardFooter>
    </Card>
  );
}

function CancelSection({ subscription }: { subscription: Subscription }) {
  const access = useSubscriptionEditAccess();
  const explanation = access.explain('cancel the subscription');
  return (
    <Card aria-labelledby="cancel-title" className="mt-4">
      <CardHeader>
        <CardTitle id="cancel-title" className="text-base font-semibold text-foreground">
          Cancel subscription
        </CardTitle>
        <CardDescription>
          The plan stays active until the end of the current period ({formatDate(subscription.currentPeriodEnd)}); nothing
          more is charged after that.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <CancelSubscriptionDialog
          subscription={subscription}
          disabled={!access.allowed}
          describedBy={explanation ? 'cancel-explanation' : undefined}
        />
        {explanation ? (
          <p id="cancel-explanation" className="text-sm text-muted-foreground">
            {explanation}
          </p>
        ) : null}
      </CardContent>
    </Card>
  );
}

export default function BillingOverviewPage() {
  const { membership } = useSession();
  const subscription = useSubscription();
  const sub = subscription.data;
  return (
    <>
      <BillingNav />
      <PageHeader
        title="Billing"
        description={membership ? `Plan, charges and invoices of ${membership.name}` : 'Plan, charges and invoices'}
      />
      {subscription.isPending ? (
        <p role="status" className="sr-only">
          Loading your subscription…
        </p>
      ) : null}
      <OpenInvoicesCard />
      <div className="grid gap-4 md:grid-cols-2">
        <CurrentPlanCard />
        <NextInvoiceCard subscription={sub} />
        <PlanIncludesCard />
        <RecentInvoicesCard />
      </div>
      {sub && !sub.cancelAtPeriodEnd && sub.status !== 'canceled' ? <CancelSection subscription={sub} /> : null}
    </>
  );
}
