import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, OctagonX } from 'lucide-react';
import { Link } from 'react-router';
import { toast } from 'sonner';
import { QueryError } from '@/components/billing/query-error';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Skeleton } from '@/components/ui/skeleton';
import { billingKeys, invalidateAfterSubscriptionChange, usePlanChangePreview } from '@/hooks/use-billing';
import { useSession } from '@/hooks/use-session';
import { errorMessage, problemFromError } from '@/lib/axios';
import { formatDate } from '@/lib/dates';
import { formatMoney } from '@/lib/money';
import { changePlan } from '@/services/billing.service';
import type { Plan, PlanChangePreview, PlanLimitImpact, Subscription } from '@/types/billing';

interface ChangePlanDialogProps {
  currentPlan: Plan;
  /** The plan to switch to; the dialog is open while this is set. */
  targetPlan: Plan | null;
  onClose: () => void;
  onChanged: (subscription: Subscription) => void;
}

const perMonth = (plan: Plan) => `${formatMoney(plan.priceMonthly, plan.currency)}/month`;

function netSentence(preview: PlanChangePreview): string {
  const amount = formatMoney(Math.abs(preview.prorationAmount), preview.currency);
  if (preview.prorationAmount < 0) return `You'll get a credit of ${amount} on your next invoice.`;
  if (preview.prorationAmount > 0) return `${amount} will be added to your next invoice.`;
  return 'Your next invoice does not change.';
}

const outcomeLabel: Record<PlanLimitImpact['outcome'], string> = {
  refused: 'Blocks the change',
  blocked: 'Capped',
  overage: 'Overage',
};

/** The target plan's limits the organization is above now, and what happens to each (decision 004). */
function LimitImpacts({ preview }: { preview: PlanChangePreview }) {
  if (preview.limitImpacts.length === 0) return null;
  const refused = !preview.allowed;
  return (
    <Alert
      variant={refused ? 'destructive' : 'default'}
      className={refused ? undefined : 'border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-100'}
      data-testid="limit-impacts"
    >
      {refused ? <OctagonX aria-hidden="true" /> : <AlertTriangle aria-hidden="true" />}
      <div className="space-y-2">
        <AlertTitle>
          {refused ? `Your team does not fit the ${preview.newPlan.name} plan` : `Your usage is above the ${preview.newPlan.name} plan's limits`}
        </AlertTitle>
        <ul className="space-y-1.5">
          {preview.limitImpacts.map((impact) => (
            <li key={impact.metricType}>
              <span className="font-medium">{outcomeLabel[impact.outcome]}:</span> {impact.message}
            </li>
          ))}
        </ul>
        {refused ? (
          <p>
            <Link to="/team" className="font-medium underline underline-offset-4">
              Manage members
            </Link>{' '}
            to make room, then change the plan.
          </p>
        ) : (
          <p>This billing period keeps your current limits; the new ones apply from the next period.</p>
        )}
      </div>
    </Alert>
  );
}

function PreviewDetails({ preview }: { preview: PlanChangePreview }) {
  const money = (amount: number) => formatMoney(amount, preview.currency);
  return (
    <div className="space-y-4">
      <LimitImpacts preview={preview} />
      <table className="w-full text-sm" data-testid="proration-lines">
        <caption className="sr-only">Proration for the rest of this billing period</caption>
        <thead className="text-left text-xs text-muted-foreground">
          <tr className="border-b">
            <th scope="col" className="py-2 pr-4 font-medium">
              Item
            </th>
            <th scope="col" className="py-2 text-right font-medium">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {preview.lines.map((line) => (
            <tr key={line.description} className="border-b">
              <td className="py-2 pr-4">
                {line.description}
                {line.amount < 0 ? <span className="text-muted-foreground"> (credit)</span> : null}
              </td>
              <td
                className={
                  line.amount < 0
                    ? 'py-2 text-right tabular-nums text-emerald-700 dark:text-emerald-400'
                    : 'py-2 text-right tabular-nums'
                }
              >
                {money(line.amount)}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" className="py-2 pr-4 text-left font-medium">
              Net change
            </th>
            <td className="py-2 text-right font-semibold tabular-nums" data-testid="proration-amount">
              {money(preview.prorationAmount)}
            </td>
          </tr>
        </tfoot>
      </table>
      <p role="status" className="rounded-lg bg-muted px-3 py-2.5 text-sm font-medium" data-testid="proration-summary">
        {netSentence(preview)}
      </p>
      <dl className="grid grid-cols-[1fr_auto] gap-x-4 gap-y-1 text-sm">
        <dt className="text-muted-foreground">Next invoice (estimate)</dt>
        <dd className="text-right font-medium tabular-nums" data-testid="next-invoice-amount">
          {money(preview.nextInvoiceAmount)}
        </dd>
        <dt className="text-muted-foreground">Next invoice date</dt>
        <dd className="text-right">{formatDate(preview.nextInvoiceDate)}</dd>
      </dl>
      {preview.prorationAmount < 0 && preview.nextInvoiceAmount === 0 ? (
        <p className="text-xs text-muted-foreground">Credit beyond the next invoice carries over to later invoices.</p>
      ) : null}
    </div>
  );
}

function ChangePlanBody({ currentPlan, targetPlan, onChanged }: Omit<ChangePlanDialogProps, 'targetPlan' | 'onClose'> & { targetPlan: Plan }) {
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const preview = usePlanChangePreview(targetPlan.id);
  const change = useMutation({
    mutationFn: (prorationDate: string) => changePlan(targetPlan.id, prorationDate),
    onError: (error) => {
      // The confirmed price is too old to honour: show the current one to confirm again.
      if (problemFromError(error)?.code === 'PRORATION_DATE_OUT_OF_RANGE') void preview.refetch();
    },
    onSuccess: async (subscription) => {
      queryClient.setQueryData(billingKeys.subscription(tenantId), subscription);
      toast.success(`You're now on the ${subscription.plan.name} plan.`);
      onChanged(subscription);
      await invalidateAfterSubscriptionChange(queryClient, tenantId);
    },
  });
  const direction = targetPlan.priceMonthly >= currentPlan.priceMonthly ? 'Upgrade' : 'Downgrade';

  return (
    <>
      <DialogHeader className="pr-6">
        <DialogTitle>Switch to {targetPlan.name}?</DialogTitle>
        <DialogDescription>
          {direction} from {currentPlan.name} ({perMonth(currentPlan)}) to {targetPlan.name} ({perMonth(targetPlan)}). The
          change applies right away; the rest of this billing period is prorated on your next invoice.
        </DialogDescription>
      </DialogHeader>

      <div className="mt-5" aria-busy={preview.isPending}>
        {preview.data ? (
          <PreviewDetails preview={preview.data} />
        ) : preview.error ? (
          <QueryError title="We couldn't calculate the change" error={preview.error} onRetry={() => void preview.refetch()} />
        ) : (
          <div className="space-y-3">
            <p role="status" className="text-sm text-muted-foreground">
              Calculating what changes on your next invoice…
            </p>
            <Skeleton className="h-5 w-full" />
            <Skeleton className="h-5 w-full" />
            <Skeleton className="h-9 w-full" />
          </div>
        )}
      </div>

      {change.error ? (
        <Alert variant="destructive" role="alert" className="mt-4">
          <AlertTriangle aria-hidden="true" />
          <div>
            <AlertTitle>The plan was not changed</AlertTitle>
            <AlertDescription>{errorMessage(change.error)}</AlertDescription>
          </div>
        </Alert>
      ) : null}

      <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <DialogClose asChild>
          <Button variant="outline">Keep {currentPlan.name}</Button>
        </DialogClose>
        <Button
          onClick={() => (preview.data ? change.mutate(preview.data.prorationDate) : undefined)}
          disabled={!preview.data || !preview.data.allowed || preview.isFetching || change.isPending}
          aria-busy={change.isPending}
        >
          {change.isPending ? 'Changing plan…' : 'Confirm change'}
        </Button>
      </div>
    </>
  );
}

/** Confirms a plan change after showing its proration: the confirm button waits for the preview. */
export function ChangePlanDialog({ currentPlan, targetPlan, onClose, onChanged }: ChangePlanDialogProps) {
  return (
    <Dialog open={targetPlan !== null} onOpenChange={(open) => (open ? undefined : onClose())}>
      {targetPlan ? (
        <DialogContent>
          <ChangePlanBody key={targetPlan.id} currentPlan={currentPlan} targetPlan={targetPlan} onChanged={onChanged} />
        </DialogContent>
      ) : null}
    </Dialog>
  );
}
