import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle } from 'lucide-react';
import { toast } from 'sonner';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import {
  Dialog,
  DialogClose,
  DialogContent,
  DialogDescription,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog';
import { billingKeys, invalidateAfterSubscriptionChange } from '@/hooks/use-billing';
import { useSession } from '@/hooks/use-session';
import { errorMessage } from '@/lib/axios';
import { formatDate } from '@/lib/dates';
import { cancelSubscription } from '@/services/billing.service';
import type { Subscription } from '@/types/billing';

interface CancelSubscriptionDialogProps {
  subscription: Subscription;
  disabled: boolean;
  /** Id of the text explaining why the button is disabled. */
  describedBy?: string;
}

/** Cancels at period end, after saying plainly what that means. */
export function CancelSubscriptionDialog({ subscription, disabled, describedBy }: CancelSubscriptionDialogProps) {
  const [open, setOpen] = useState(false);
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const endsOn = formatDate(subscription.currentPeriodEnd);
  const cancel = useMutation({
    mutationFn: cancelSubscription,
    onSuccess: async (updated) => {
      queryClient.setQueryData(billingKeys.subscription(tenantId), updated);
      setOpen(false);
      toast.success(`Your subscription will end on ${formatDate(updated.currentPeriodEnd)}.`);
      await invalidateAfterSubscriptionChange(queryClient, tenantId);
    },
  });

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) cancel.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" disabled={disabled} aria-describedby={describedBy}>
          Cancel subscription
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader className="pr-6">
          <DialogTitle>Cancel your subscription?</DialogTitle>
          <DialogDescription>
            Your {subscription.plan.name} plan stays active until the end of the current billing period, {endsOn}.
          </DialogDescription>
        </DialogHeader>
        <ul className="mt-4 list-disc space-y-1.5 pl-5 text-sm">
          <li>You and your team keep full access to everything in {subscription.plan.name} until {endsOn}.</li>
          <li>No new billing period starts after that, so nothing more is charged for the plan.</li>
          <li>You can resume the subscription any time before {endsOn}.</li>
        </ul>
        {cancel.error ? (
          <Alert variant="destructive" role="alert" className="mt-4">
            <AlertTriangle aria-hidden="true" />
            <div>
              <AlertTitle>The subscription was not canceled</AlertTitle>
              <AlertDescription>{errorMessage(cancel.error)}</AlertDescription>
            </div>
          </Alert>
        ) : null}
        <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <DialogClose asChild>
            <Button variant="outline">Keep subscription</Button>
          </DialogClose>
          <Button variant="destructive" onClick={() => cancel.mutate()} disabled={cancel.isPending} aria-busy={cancel.isPending}>
            {cancel.isPending ? 'Canceling…' : 'Cancel at period end'}
          </Button>
        </div>
      </DialogContent>
    </Dialog>
  );
}
