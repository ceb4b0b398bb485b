import { useMemo, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
import { loadStripe } from '@stripe/stripe-js/pure';
import { AlertTriangle, Lock } from 'lucide-react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button, buttonVariants } from '@/components/ui/button';
import type { AddPaymentMethodHandle } from '@/hooks/use-payment-methods';
import { errorMessage } from '@/lib/axios';
import type { SetupIntent } from '@/types/payment-method';

export interface StripeElementsFormProps {
  /** The intent to confirm, with the publishable key of the Stripe account that created it. */
  setupIntent: SetupIntent & { publishableKey: string };
  /** Saves the confirmed PaymentMethod id with the per-attempt Idempotency-Key (the same hook the local form uses). */
  save: AddPaymentMethodHandle;
  /** The first method is always the default, so the "Make this my default" choice is settled. */
  isFirstMethod: boolean;
}

/**
 * Stripe Elements: the card goes from the browser to Stripe only. Stripe.js is loaded from the
 * `pure` entry, so nothing is fetched from Stripe unless this form is shown.
 */
export function StripeElementsForm({ setupIntent, save, isFirstMethod }: StripeElementsFormProps) {
  const stripe = useMemo(() => loadStripe(setupIntent.publishableKey), [setupIntent.publishableKey]);
  const dark = typeof document !== 'undefined' && document.documentElement.classList.contains('dark');
  return (
    <Elements stripe={stripe} options={{ clientSecret: setupIntent.clientSecret, appearance: { theme: dark ? 'night' : 'stripe' } }}>
      <ConfirmSetupForm save={save} isFirstMethod={isFirstMethod} />
    </Elements>
  );
}

function ConfirmSetupForm({ save, isFirstMethod }: Omit<StripeElementsFormProps, 'setupIntent'>) {
  const stripe = useStripe();
  const elements = useElements();
  const [makeDefault, setMakeDefault] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!stripe || !elements) return;
    setRefusal(null);
    save.add(
      {
        setAsDefault: isFirstMethod || makeDefault,
        obtainPaymentMethodId: async () => {
          // Declines and 3-D Secure happen here, between the browser and Stripe.
          const { error, setupIntent } = await stripe.confirmSetup({ elements, redirect: 'if_required' });
          if (error) throw new Error(error.message ?? 'Your card could not be verified.');
          const method = setupIntent?.payment_method;
          const id = typeof method === 'string' ? method : method?.id;
          if (!id) throw new Error('Stripe did not return a payment method.');
          return id;
        },
      },
      { onError: (error) => setRefusal(errorMessage(error)) },
    );
  };

  return (
    <form noValidate onSubmit={submit} className="space-y-5" aria-label="Card details">
      {refusal ? (
        <Alert variant="destructive" role="alert" data-testid="card-refusal">
          <AlertTriangle aria-hidden="true" />
          <div>
            <AlertTitle>Your card was not added</AlertTitle>
            <AlertDescription>{refusal}</AlertDescription>
          </div>
        </Alert>
      ) : null}
      <PaymentElement />
      <div className="flex items-start gap-3">
        <input
          id="make-default"
          type="checkbox"
          className="mt-0.5 size-4"
          checked={isFirstMethod || makeDefault}
          disabled={isFirstMethod}
          onChange={(event) => setMakeDefault(event.target.checked)}
        />
        <label htmlFor="make-default" className="text-sm font-medium">
          Make this my default payment method
        </label>
      </div>
      <p className="flex gap-2 text-xs text-muted-foreground">
        <Lock className="mt-px size-3.5 shrink-0" aria-hidden="true" />
        Card details go to Stripe only. CBP keeps the brand, the last 4 digits and the expiry date.
      </p>
      <div className="flex flex-col-reverse gap-2 border-t pt-5 sm:flex-row sm:justify-end">
        <Link to="/billing/payment-methods" className={buttonVariants({ variant: 'outline' })}>
          Cancel
        </Link>
        <Button type="submit" disabled={!stripe || !elements || save.isPending} aria-busy={save.isPending}>
          {save.isPending ? 'Saving card…' : 'Save card'}
        </Button>
      </div>
    </form>
  );
}
