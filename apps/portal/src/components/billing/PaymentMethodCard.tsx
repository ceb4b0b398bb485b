import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, Clock, Star, XCircle } from 'lucide-react';
import { toast } from 'sonner';
import { paymentMethodLabel, paymentMethodName, paymentMethodSpokenLabel } from '@/components/billing/card-brands';
import { cardExpiryStatus, formatCardExpiry } from '@/components/billing/card-expiry';
import { CardBrandMark } from '@/components/billing/CardBrandMark';
import { RemovePaymentMethodDialog } from '@/components/billing/RemovePaymentMethodDialog';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardFooter } from '@/components/ui/card';
import { updatePaymentMethodList, withPaymentMethod } from '@/hooks/use-payment-methods';
import { useSession } from '@/hooks/use-session';
import { cn } from '@/lib/cn';
import { setAsDefault } from '@/services/payment-methods.service';
import type { CardDetails, PaymentMethod } from '@/types/payment-method';

const fundingNames: Record<CardDetails['funding'], string | null> = {
  credit: 'Credit',
  debit: 'Debit',
  prepaid: 'Prepaid',
  unknown: null,
};

function MakeDefaultButton({ method }: { method: PaymentMethod }) {
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const makeDefault = useMutation({
    mutationFn: () => setAsDefault(method.id),
    onSuccess: async (updated) => {
      toast.success(`${paymentMethodLabel(updated)} is now your default payment method.`);
      await updatePaymentMethodList(queryClient, tenantId, (list) => withPaymentMethod(list, updated));
    },
  });
  return (
    <Button variant="outline" size="sm" onClick={() => makeDefault.mutate()} disabled={makeDefault.isPending} aria-busy={makeDefault.isPending}>
      <Star aria-hidden="true" />
      {makeDefault.isPending ? 'Making default…' : 'Make default'}{' '}
      <span className="sr-only">{paymentMethodSpokenLabel(method)}</span>
    </Button>
  );
}

interface PaymentMethodCardProps {
  method: PaymentMethod;
  /** What the caller's role may do (from the RBAC table); without either, the card has no actions. */
  canMakeDefault: boolean;
  canRemove: boolean;
}

/** One saved method: brand, last digits, expiry and its state (default, expired, expiring soon). */
export function PaymentMethodCard({ method, canMakeDefault, canRemove }: PaymentMethodCardProps) {
  const titleId = `payment-method-${method.id}`;
  const card = method.card;
  const expiry = card ? cardExpiryStatus(card) : 'valid';
  const funding = card ? fundingNames[card.funding] : null;
  const last4 = card?.last4 ?? method.bankAccount?.last4 ?? '';
  const showMakeDefault = canMakeDefault && !method.isDefault;

  return (
    <Card
      aria-labelledby={titleId}
      data-testid="payment-method-card"
      className={cn('flex h-full flex-col', method.isDefault && 'border-primary/60 ring-1 ring-primary/60')}
    >
      <div className="flex flex-1 items-start gap-4 p-5">
        <CardBrandMark brand={card?.brand ?? null} type={method.type} />
        <div className="min-w-0 flex-1">
          <h2 id={titleId} className="font-semibold">
            {paymentMethodName(method)} <span aria-hidden="true">•••• {last4}</span>
            <span className="sr-only">ending in {last4}</span>
          </h2>
          <p className={cn('mt-0.5 text-sm text-muted-foreground', expiry === 'expired' && 'text-red-700 dark:text-red-300')}>
            {card ? `${expiry === 'expired' ? 'Expired' : 'Expires'} ${formatCardExpiry(card)}` : 'Bank account'}
            {method.billingDetails.name ? ` · ${method.billingDetails.name}` : null}
          </p>
          <div className="mt-3 flex flex-wrap gap-1.5">
            {method.isDefault ? (
              <Badge data-testid="default-badge">
                <Star className="size-3" aria-hidden="true" />
                Default
              </Badge>
            ) : null}
            {expiry === 'expired' ? (
              <Badge variant="destructive" data-testid="expired-badge">
                <XCircle className="size-3" aria-hidden="true" />
                Expired
              </Badge>
            ) : expiry === 'expiring-soon' ? (
              <Badge variant="warning" data-testid="expiring-soon-badge">
                <Clock className="size-3" aria-hidden="true" />
                Expires soon
              </Badge>
            ) : null}
            {funding ? <Badge variant="secondary">{funding}</Badge> : null}
          </div>
          {expiry === 'expired' && method.isDefault ? (
            <p className="mt-3 flex gap-1.5 text-sm text-red-700 dark:text-red-300">
              <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
              Invoices can't be charged to an expired card. Add a new card and make it the default.
            </p>
          ) : null}
        </div>
      </div>
      {showMakeDefault || canRemove ? (
        <CardFooter className="justify-end gap-2 py-2.5">
          {showMakeDefault ? <MakeDefaultButton method={method} /> : null}
          {canRemove ? <RemovePaymentMethodDialog method={method} /> : null}
        </CardFooter>
      ) : null}
    </Card>
  );
}
