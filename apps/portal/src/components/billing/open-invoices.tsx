import { AlertTriangle } from 'lucide-react';
import { OpenInvoiceRow } from '@/components/billing/pay-invoice';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { useInvoicePage, useSubscription } from '@/hooks/use-billing';
import { usePaymentMethods } from '@/hooks/use-payment-methods';
import { useSession } from '@/hooks/use-session';
import { canAccess } from '@/lib/role-parser';

/**
 * Open invoices to pay, above the billing overview: each with Pay (owners with a card), a warning
 * and a link to add a card (owners without one), or who can pay it. Nothing when none is open
 * (or while loading: the recent invoices card below shows the list and its errors).
 */
export function OpenInvoicesCard() {
  const { role } = useSession();
  const canPay = canAccess(role, 'invoices', 'edit');
  const seeMethods = canAccess(role, 'payment-methods', 'list');
  const invoices = useInvoicePage({ page: 1, limit: 5, status: 'open' });
  const subscription = useSubscription();
  const methods = usePaymentMethods({ enabled: seeMethods });
  const open = invoices.data?.data ?? [];
  if (open.length === 0) return null;
  const card = seeMethods ? (methods.data ? (methods.data.find((m) => m.isDefault) ?? methods.data[0] ?? null) : undefined) : undefined;
  const pastDue = subscription.data?.status === 'past_due';
  return (
    <Card
      aria-labelledby="open-invoices-title"
      className="mb-4 border-amber-300 bg-amber-50/60 dark:border-amber-400/30 dark:bg-amber-400/5"
      data-testid="open-invoices"
    >
      <CardHeader>
        <CardTitle id="open-invoices-title" className="flex items-center gap-2 text-base font-semibold text-foreground">
          <AlertTriangle className="size-4 text-amber-700 dark:text-amber-300" aria-hidden="true" />
          {open.length === 1 ? 'An invoice is waiting to be paid' : `${open.length} invoices are waiting to be paid`}
        </CardTitle>
      </CardHeader>
      <CardContent>
        <ul className="divide-y divide-amber-200 dark:divide-amber-400/20">
          {open.map((invoice, index) => (
            <li key={invoice.id} className="py-3 first:pt-0 last:pb-0">
              <OpenInvoiceRow invoice={invoice} canPay={canPay} card={card} paymentFailed={pastDue && index === 0} />
            </li>
          ))}
        </ul>
      </CardContent>
    </Card>
  );
}
