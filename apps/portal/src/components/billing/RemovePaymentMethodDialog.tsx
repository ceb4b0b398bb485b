import { useRef, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, Trash2 } from 'lucide-react';
import { toast } from 'sonner';
import { paymentMethodLabel, paymentMethodNoun, paymentMethodSpokenLabel } from '@/components/billing/card-brands';
import { formatCardExpiry } from '@/components/billing/card-expiry';
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
import { updatePaymentMethodList, withoutPaymentMethod } from '@/hooks/use-payment-methods';
import { useSession } from '@/hooks/use-session';
import { errorMessage } from '@/lib/axios';
import { removePaymentMethod } from '@/services/payment-methods.service';
import type { PaymentMethod } from '@/types/payment-method';

/**
 * Asks before removing, naming the method. The API decides whether it may go (a paid plan keeps
 * its default and its last method); a refusal stays in the dialog with the API's sentence.
 */
export function RemovePaymentMethodDialog({ method }: { method: PaymentMethod }) {
  const [open, setOpen] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const label = paymentMethodLabel(method);
  const noun = paymentMethodNoun(method);
  const remove = useMutation({
    mutationFn: () => removePaymentMethod(method.id),
    onSuccess: async () => {
      setOpen(false);
      toast.success(`${label} was removed.`);
      await updatePaymentMethodList(queryClient, tenantId, (list) => withoutPaymentMethod(list, method.id));
    },
  });

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) remove.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button ref={trigger} variant="ghost" size="sm" className="text-red-700 hover:text-red-800 dark:text-red-300 dark:hover:text-red-200">
          <Trash2 aria-hidden="true" />
          Remove <span className="sr-only">{paymentMethodSpokenLabel(method)}</span>
        </Button>
      </DialogTrigger>
      <DialogContent
        onCloseAutoFocus={(event) => {
          // Removed along with its card, the trigger cannot take the focus back: keep it in the page.
          if (trigger.current?.isConnected) return;
          event.preventDefault();
          document.getElementById('main-content')?.focus();
        }}
      >
        <DialogHeader className="pr-6">
          <DialogTitle>Remove {label}?</DialogTitle>
          <DialogDescription>
            {method.card ? `The ${noun} expiring ${formatCardExpiry(method.card)}` : `This ${noun}`} will no longer be used to pay
            your invoices. You can add it again later.
          </DialogDescription>
        </DialogHeader>
        {method.isDefault ? (
          <p className="mt-4 text-sm">It is your default payment method, charged for each invoice.</p>
        ) : null}
        {remove.error ? (
          <Alert variant="destructive" role="alert" className="mt-4" data-testid="remove-refusal">
            <AlertTriangle aria-hidden="true" />
            <div>
              <AlertTitle>The {noun} was not removed</AlertTitle>
              <AlertDescription>{errorMessage(remove.error)}</AlertDescription>
            </div>
          </Alert>
        ) : null}
        <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <DialogClose asChild>
            <Button variant="outline">Keep {noun}</Button>
          </DialogClose>
          <Button variant="destructive" onClick={() => remove.mutate()} disabled={remove.isPending} aria-busy={remove.isPending}>
            {remove.isPending ? 'Removing…' : `Remove ${noun}`}
          </Button>
        </div>
      </DialogContent>
    </Dialog>
  );
}
