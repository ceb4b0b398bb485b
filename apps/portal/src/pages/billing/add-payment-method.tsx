import { Link, useNavigate } from 'react-router';
import { ArrowLeft } from 'lucide-react';
import { toast } from 'sonner';
import { BillingNav } from '@/components/billing/billing-nav';
import { paymentMethodLabel } from '@/components/billing/card-brands';
import { PaymentMethodsOwnerOnly } from '@/components/billing/PaymentMethodsOwnerOnly';
import { StripeCardForm } from '@/components/billing/StripeCardForm';
import { PageHeader } from '@/components/layout/page-header';
import { Card, CardContent } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { usePaymentMethodAccess, usePaymentMethods } from '@/hooks/use-payment-methods';
import { useSession } from '@/hooks/use-session';
import { missingRoleExplanation } from '@/lib/role-parser';
import type { PaymentMethod } from '@/types/payment-method';

function BackLink() {
  return (
    <Link
      to="/billing/payment-methods"
      className="mb-3 inline-flex items-center gap-1 text-sm text-muted-foreground underline-offset-4 hover:text-foreground hover:underline"
    >
      <ArrowLeft className="size-3.5" aria-hidden="true" />
      Payment methods
    </Link>
  );
}

export default function AddPaymentMethodPage() {
  const access = usePaymentMethodAccess();
  const { role } = useSession();
  // Only to tell whether this will be the first method (and so the default).
  const methods = usePaymentMethods({ enabled: access.canList });
  const navigate = useNavigate();

  const added = (saved: PaymentMethod) => {
    toast.success(`${paymentMethodLabel(saved)} was added${saved.isDefault ? ' as your default payment method' : ''}.`);
    void navigate('/billing/payment-methods');
  };

  return (
    <>
      <BillingNav />
      <BackLink />
      <PageHeader title="Add a payment method" description="Add a card to pay your invoices with." />
      {!access.decided ? (
        <Skeleton className="h-96 max-w-2xl rounded-xl" />
      ) : access.explanation || !access.canCreate ? (
        <PaymentMethodsOwnerOnly
          explanation={access.explanation ?? missingRoleExplanation(role, 'payment-methods', 'create', 'add payment methods')}
        />
      ) : (
        <Card className="max-w-2xl">
          <CardContent className="p-6">
            <StripeCardForm isFirstMethod={methods.data?.length === 0} onAdded={added} />
          </CardContent>
        </Card>
      )}
    </>
  );
}
