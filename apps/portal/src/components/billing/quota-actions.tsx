import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { metricNames } from '@cbp/contracts';
import { CalendarSync, ListPlus } from 'lucide-react';
import { toast } from 'sonner';
import { listNames } from '@/components/billing/usage-format';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { Button } from '@/components/ui/button';
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { useInvalidateUsage } from '@/hooks/use-usage';
import { formatDate } from '@/lib/dates';
import { initializeQuotas, resetQuotas } from '@/services/usage.service';
import type { MetricType, ResetQuotasResult } from '@/types/usage';

interface QuotaActionProps {
  /** Null when allowed; otherwise why not, shown beside the disabled button. */
  refusal: string | null;
  /** Id of the element that carries `refusal`, for `aria-describedby`. */
  refusalId?: string;
  variant?: 'default' | 'outline';
}

/**
 * Admin. Sets up the quotas of the tenant's current plan that are missing, after saying what
 * that does (POST /usage/quotas/initialize; worded for customers, issue 17).
 */
export function InitializeQuotasButton({ refusal, refusalId, variant = 'default' }: QuotaActionProps) {
  const [open, setOpen] = useState(false);
  const refresh = useInvalidateUsage();
  const initialize = useMutation({
    mutationFn: () => initializeQuotas(),
    onSuccess: async (result) => {
      setOpen(false);
      toast.success(
        result.quotasCreated === 0
          ? `Every quota of the ${result.planTier} plan is already set up.`
          : result.quotasCreated === 1
            ? `Set up 1 quota from the ${result.planTier} plan.`
            : `Set up ${result.quotasCreated} quotas from the ${result.planTier} plan.`,
      );
      await refresh();
    },
  });
  return (
    <>
      <Button variant={variant} onClick={() => setOpen(true)} disabled={refusal !== null} aria-describedby={refusal ? refusalId : undefined}>
        <ListPlus aria-hidden="true" />
        Set up quotas from plan
      </Button>
      <ConfirmDialog
        open={open}
        onOpenChange={setOpen}
        title="Set up the quotas of the plan?"
        description="Adds the quotas the organization's current plan defines that are missing, with the plan's included quantity, soft limit, hard limit and overage price. Quotas that already exist, and the usage counted against them, are left as they are."
        confirmLabel="Set up quotas"
        pendingLabel="Setting up…"
        keepLabel="Not now"
        failureTitle="The quotas were not set up"
        destructive={false}
        action={{ run: () => initialize.mutate(), isPending: initialize.isPending, error: initialize.error, reset: initialize.reset }}
      />
    </>
  );
}

const nameOf = (metric: MetricType) => metricNames[metric]?.name ?? metric;

function ResetOutcome({ result }: { result: ResetQuotasResult }) {
  return (
    <div role="status" className="mt-4 space-y-3 text-sm" data-testid="reset-outcome">
      <div>
        <p className="font-medium">Closed</p>
        <p className="text-muted-foreground" data-testid="reset-metrics">
          {result.reset.length > 0
            ? `${listNames(result.reset.map(nameOf))}: a new period started${result.periodStart ? ` on ${formatDate(result.periodStart)}` : ''}.`
            : 'None: no quota had reached the end of its period.'}
        </p>
      </div>
      <div>
        <p className="font-medium">Still open</p>
        <p className="text-muted-foreground" data-testid="skipped-metrics">
          {result.skipped.length > 0 ? `${listNames(result.skipped.map(nameOf))}: still inside the current period.` : 'None.'}
        </p>
      </div>
      {result.invoiced.length > 0 || result.invoicePending.length > 0 ? (
        <div>
          <p className="font-medium">Overage</p>
          <p className="text-muted-foreground" data-testid="invoiced-metrics">
            {result.invoiced.length > 0 ? `${listNames(result.invoiced.map(nameOf))}: added to the next invoice. ` : ''}
            {result.invoicePending.length > 0
              ? `${listNames(result.invoicePending.map(nameOf))}: not on the invoice yet; it is retried automatically.`
              : ''}
          </p>
        </div>
      ) : null}
    </div>
  );
}

/**
 * Admin. Closes the periods that have ended and starts the next ones; quotas still inside their
 * period are left and reported (POST /usage/quotas/reset). Periods also close on their own.
 */
export function ResetQuotasButton({ refusal, refusalId, variant = 'outline' }: QuotaActionProps) {
  const [open, setOpen] = useState(false);
  const refresh = useInvalidateUsage();
  const reset = useMutation({ mutationFn: () => resetQuotas(), onSuccess: () => refresh() });
  const close = (next: boolean) => {
    setOpen(next);
    if (!next) reset.reset();
  };
  return (
    <>
      <Button variant={variant} onClick={() => setOpen(true)} disabled={refusal !== null} aria-describedby={refusal ? refusalId : undefined}>
        <CalendarSync aria-hidden="true" />
        Close ended periods
      </Button>
      {reset.data ? (
        <Dialog open={open} onOpenChange={close}>
          <DialogContent>
            <DialogHeader className="pr-6">
              <DialogTitle>Ended periods closed</DialogTitle>
              <DialogDescription>Quotas still inside their period were left as they are.</DialogDescription>
            </DialogHeader>
            <ResetOutcome result={reset.data} />
            <div className="mt-6 flex justify-end">
              <DialogClose asChild>
                <Button>Done</Button>
              </DialogClose>
            </div>
          </DialogContent>
        </Dialog>
      ) : (
        <ConfirmDialog
          open={open}
          onOpenChange={close}
          title="Close the periods that have ended?"
          description="Periods close on their own when they end; do this only if an ended period still shows as open. The usage of each ended period is closed (its summary frozen and any overage added to the next invoice) and a new period starts at zero. Quotas still inside their period are left as they are, so unbilled usage is never erased."
          confirmLabel="Close ended periods"
          pendingLabel="Closing…"
          keepLabel="Cancel"
          failureTitle="No period was closed"
          destructive={false}
          action={{ run: () => reset.mutate(), isPending: reset.isPending, error: reset.error, reset: reset.reset }}
        />
      )}
    </>
  );
}
