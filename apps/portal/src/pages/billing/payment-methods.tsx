import { Link } from 'react-router';
import { CreditCard, Plus } from 'lucide-react';
import { BillingNav } from '@/components/billing/billing-nav';
import { PaymentMethodCard } from '@/components/billing/PaymentMethodCard';
import { PaymentMethodsOwnerOnly } from '@/components/billing/PaymentMethodsOwnerOnly';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { usePaymentMethodAccess, usePaymentMethods } from '@/hooks/use-payment-methods';
import { useSession } from '@/hooks/use-session';

const ADD_PATH = '/billing/payment-methods/new';

function AddButton() {
  return (
    <Button asChild>
      <Link to={ADD_PATH}>
        <Plus aria-hidden="true" />
        Add payment method
      </Link>
    </Button>
  );
}

function ListSkeleton() {
  return (
    <div className="grid gap-4 md:grid-cols-2" data-testid="payment-methods-loading">
      <p role="status" className="sr-only">
        Loading payment methods…
      </p>
      {[0, 1].map((i) => (
        <div key={i} className="flex gap-4 rounded-xl border bg-card p-5">
          <Skeleton className="h-8 w-12" />
          <div className="flex-1 space-y-2.5">
            <Skeleton className="h-5 w-40" />
            <Skeleton className="h-4 w-28" />
            <Skeleton className="h-5 w-32" />
          </div>
        </div>
      ))}
    </div>
  );
}

function EmptyState({ canCreate }: { canCreate: boolean }) {
  return (
    <div className="rounded-xl border bg-card px-6 py-12 text-center" data-testid="payment-methods-empty">
      <span className="mx-auto flex size-10 items-center justify-center rounded-full bg-muted">
        <CreditCard className="size-5 text-muted-foreground" aria-hidden="true" />
      </span>
      <h2 className="mt-3 text-sm font-semibold">No payment method yet</h2>
      <p className="mt-1 text-sm text-muted-foreground">
        Add a card to pay your invoices automatically. The first one you add becomes your default.
      </p>
      {canCreate ? (
        <div className="mt-4">
          <AddButton />
        </div>
      ) : null}
    </div>
  );
}

export default function PaymentMethodsPage() {
  const { membership } = useSession();
  const access = usePaymentMethodAccess();
  const methods = usePaymentMethods({ enabled: access.canList });
  const list = methods.data;

  return (
    <>
      <BillingNav />
      <PageHeader
        title="Payment methods"
        description={
          membership
            ? `The cards ${membership.name} pays its invoices with. The default one is charged for each invoice.`
            : 'The cards your organization pays its invoices with.'
        }
        actions={access.canCreate && list && list.length > 0 ? <AddButton /> : null}
      />
      {!access.decided ? (
        <ListSkeleton />
      ) : access.explanation ? (
        <PaymentMethodsOwnerOnly explanation={access.explanation} />
      ) : methods.error ? (
        <QueryError title="We couldn't load your payment methods" error={methods.error} onRetry={() => void methods.refetch()} />
      ) : !list ? (
        <ListSkeleton />
      ) : list.length === 0 ? (
        <EmptyState canCreate={access.canCreate} />
      ) : (
        <ul className="grid gap-4 md:grid-cols-2" aria-label="Payment methods">
          {list.map((method) => (
            <li key={method.id}>
              <PaymentMethodCard method={method} canMakeDefault={access.canEdit} canRemove={access.canDelete} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
