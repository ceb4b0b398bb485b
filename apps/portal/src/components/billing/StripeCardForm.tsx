import { AlertTriangle } from 'lucide-react';
import { LocalCardForm } from '@/components/billing/LocalCardForm';
import { QueryError } from '@/components/billing/query-error';
import { StripeElementsForm } from '@/components/billing/StripeElementsForm';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Skeleton } from '@/components/ui/skeleton';
import { useAddPaymentMethod, useSetupIntent } from '@/hooks/use-payment-methods';
import type { PaymentMethod } from '@/types/payment-method';

function CardFormSkeleton() {
  return (
    <div className="space-y-5">
      <p role="status" className="sr-only">
        Preparing the card form…
      </p>
      <Skeleton className="h-11 w-full" />
      <div className="grid gap-4 sm:grid-cols-2">
        {[0, 1, 2, 3, 4].map((i) => (
          <div key={i} className={i === 0 ? 'space-y-2 sm:col-span-2' : 'space-y-2'}>
            <Skeleton className="h-4 w-28" />
            <Skeleton className="h-9 w-full" />
          </div>
        ))}
      </div>
      <Skeleton className="ml-auto h-9 w-28" />
    </div>
  );
}

interface StripeCardFormProps {
  /** No method is saved yet: the new one becomes the default whatever is chosen. */
  isFirstMethod: boolean;
  onAdded: (saved: PaymentMethod) => void;
}

/**
 * Starts a SetupIntent, then collects the card with whatever the API's gateway needs: Stripe
 * Elements for Stripe, the local card form for CBP's local gateway. Both save through the same
 * idempotent add.
 */
export function StripeCardForm({ isFirstMethod, onAdded }: StripeCardFormProps) {
  const setupIntent = useSetupIntent();
  const save = useAddPaymentMethod({ onAdded });
  const intent = setupIntent.data;

  if (setupIntent.error) {
    return <QueryError title="We couldn't prepare the card form" error={setupIntent.error} onRetry={() => void setupIntent.refetch()} />;
  }
  if (!intent) return <CardFormSkeleton />;
  if (intent.gateway === 'local') return <LocalCardForm save={save} isFirstMethod={isFirstMethod} />;
  const { publishableKey } = intent;
  if (publishableKey) return <StripeElementsForm setupIntent={{ ...intent, publishableKey }} save={save} isFirstMethod={isFirstMethod} />;
  return (
    <Alert variant="destructive" role="alert">
      <AlertTriangle aria-hidden="true" />
      <div>
        <AlertTitle>Card payments are not set up on this server</AlertTitle>
        <AlertDescription>
          The server collects cards with Stripe but has no Stripe publishable key, so the card form can't load. Please contact
          your CBP administrator.
        </AlertDescription>
      </div>
    </Alert>
  );
}
