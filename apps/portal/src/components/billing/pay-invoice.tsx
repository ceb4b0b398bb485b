import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, CreditCard } from 'lucide-react';
import { toast } from 'sonner';
import { paymentMethodLabel, paymentMethodSpokenLabel } from '@/components/billing/card-brands';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { isRetryableAddError } from '@/hooks/use-payment-methods';
import { useSession } from '@/hooks/use-session';
import { errorMessage, problemFromError } from '@/lib/axios';
import { formatDate } from '@/lib/dates';
import { formatMoney } from '@/lib/money';
import { payInvoice } from '@/services/billing.service';
import type { Invoice } from '@/types/billing';
import type { PaymentMethod } from '@/types/payment-method';

const linkClasses = 'font-medium text-primary underline-offset-4 hover:underline';

/** Overdue once its due date has passed. */
export function isOverdue(invoice: Pick<Invoice, 'status' | 'dueDate'>, now = new Date()): boolean {
  return invoice.status === 'open' && invoice.dueDate !== null && new Date(invoice.dueDate) < now;
}

/** A declined card in words the customer can act on. */
function failureOf(error: unknown): { title: string; detail: string } {
  const problem = problemFromError(error);
  if (problem?.code === 'CARD_DECLINED') {
    // The gateway's sentence only when it says more than the title ("Your card has insufficient funds.").
    const reason = problem.detail && !/^your card was declined\.?$/i.test(problem.detail) ? `${problem.detail} ` : '';
    return { title: 'Your card was declined', detail: `${reason}Nothing was charged. Try another card, or ask your bank.` };
  }
  if (problem?.code === 'INVOICE_ALREADY_PAID') return { title: 'This invoice is already paid', detail: errorMessage(error) };
  if (problem?.code === 'NO_PAYMENT_METHOD') return { title: 'No card on file', detail: errorMessage(error) };
  return { title: 'The payment did not go through', detail: errorMessage(error) };
}

interface PayInvoiceDialogProps {
  invoice: Invoice;
  /** The default payment method the invoice is charged to. */
  card: PaymentMethod;
  size?: 'sm' | 'default';
}

/** "Pay" with a confirmation that says what is charged to which card; one charge per attempt (Idempotency-Key). */
export function PayInvoiceDialog({ invoice, card, size = 'sm' }: PayInvoiceDialogProps) {
  const [open, setOpen] = useState(false);
  const attempt = useRef<string>(crypto.randomUUID());
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const amount = formatMoney(invoice.amountDue, invoice.currency);
  const label = paymentMethodLabel(card);
  const pay = useMutation({
    mutationFn: () => payInvoice(invoice.id, attempt.current),
    onSuccess: async (paid) => {
      setOpen(false);
      toast.success(`Invoice ${paid.number} is paid: ${amount} was charged to ${label}.`);
      // The invoice lists, the subscription (past due no more) and the dashboard all change.
      await queryClient.invalidateQueries({ queryKey: ['tenant', tenantId] });
    },
    onError: (error) => {
      const failure = failureOf(error);
      toast.error(`${failure.title}. ${failure.detail}`);
      // Lost on the way (network, 5xx, still in progress): paying again resends the same key, so
      // the invoice cannot be charged twice. After a refusal (a decline, say) the key would only
      // replay it: the next attempt is a new payment.
      if (!isRetryableAddError(error)) attempt.current = crypto.randomUUID();
    },
  });
  const failure = pay.error ? failureOf(pay.error) : null;
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) pay.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button size={size} aria-label={`Pay ${amount} for invoice ${invoice.number}`}>
          <CreditCard aria-hidden="true" />
          Pay {amount}
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader className="pr-6">
          <DialogTitle>Pay invoice {invoice.number}?</DialogTitle>
          <DialogDescription>
            {amount} will be charged now to your default card, <span className="sr-only">{paymentMethodSpokenLabel(card)}</span>
            <span aria-hidden="true">{label}</span>.
          </DialogDescription>
        </DialogHeader>
        <dl className="mt-4 divide-y rounded-md border text-sm" data-testid="pay-summary">
          <div className="flex justify-between gap-4 px-3 py-2">
            <dt className="text-muted-foreground">Amount</dt>
            <dd className="font-medium tabular-nums">{amount}</dd>
          </div>
          <div className="flex justify-between gap-4 px-3 py-2">
            <dt className="text-muted-foreground">Card</dt>
            <dd>{label}</dd>
          </div>
          {invoice.dueDate ? (
            <div className="flex justify-between gap-4 px-3 py-2">
              <dt className="text-muted-foreground">{isOverdue(invoice) ? 'Was due' : 'Due'}</dt>
              <dd>{formatDate(invoice.dueDate)}</dd>
            </div>
          ) : null}
        </dl>
        {failure ? (
          <Alert variant="destructive" role="alert" className="mt-4">
            <AlertTriangle aria-hidden="true" />
            <div>
              <AlertTitle>{failure.title}</AlertTitle>
              <AlertDescription>
                {failure.detail}{' '}
                <Link to="/billing/payment-methods" className={linkClasses}>
                  Manage payment methods
                </Link>
              </AlertDescription>
            </div>
          </Alert>
        ) : null}
        <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <DialogClose asChild>
            <Button variant="outline">Cancel</Button>
          </DialogClose>
          <Button onClick={() => pay.mutate()} disabled={pay.isPending} aria-busy={pay.isPending}>
            {pay.isPending ? 'Paying…' : `Pay ${amount}`}
          </Button>
        </div>
      </DialogContent>
    </Dialog>
  );
}

interface OpenInvoiceRowProps {
  invoice: Invoice;
  /** The caller may pay invoices (owner). */
  canPay: boolean;
  /** The default method: undefined while loading (or for roles that cannot see methods), null when there is none. */
  card: PaymentMethod | null | undefined;
  /** The subscription is past due: the last charge failed. */
  paymentFailed?: boolean;
}

/**
 * One open invoice as something to act on: what is due and by when, then Pay (owner with a
 * card), a warning with a link to add a card (owner without one), or who can pay it.
 */
export function OpenInvoiceRow({ invoice, canPay, card, paymentFailed = false }: OpenInvoiceRowProps) {
  const amount = formatMoney(invoice.amountDue, invoice.currency);
  const overdue = isOverdue(invoice);
  const headline = paymentFailed ? `Payment failed for invoice ${invoice.number}` : `Invoice ${invoice.number} is ${overdue ? 'overdue' : 'open'}`;
  return (
    <div className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between" data-testid="open-invoice" data-invoice={invoice.number}>
      <div className="min-w-0 text-sm">
        <p className="font-medium">
          <Link to={`/billing/invoices/${invoice.id}`} className="underline-offset-4 hover:underline">
            {headline}
          </Link>
        </p>
        <p className="text-muted-foreground">
          {amount} due{invoice.dueDate ? ` ${overdue ? 'since' : 'by'} ${formatDate(invoice.dueDate)}` : ''}
        </p>
        {canPay && card === null ? (
          <p className="mt-1 flex items-start gap-1.5 text-amber-800 dark:text-amber-200" data-testid="no-card-warning">
            <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
            <span>
              No card on file, so this invoice cannot be paid.{' '}
              <Link to="/billing/payment-methods/new" className={linkClasses}>
                Add a card
              </Link>
            </span>
          </p>
        ) : null}
        {!canPay ? <p className="mt-1 text-muted-foreground">An owner of the organization can pay it.</p> : null}
      </div>
      {canPay && card ? (
        <div className="shrink-0">
          <PayInvoiceDialog invoice={invoice} card={card} />
        </div>
      ) : null}
    </div>
  );
}
