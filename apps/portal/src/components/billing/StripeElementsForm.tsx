import { AlertTriangle } from 'lucide-react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import type { AddPaymentMethodHandle } from '@/hooks/use-payment-methods';
import type { SetupIntent } from '@/types/payment-method';

export interface StripeElementsFormProps {
  /** The intent to confirm, with the publishable key of the Stripe account that created it. */
  setupIntent: SetupIntent & { publishableKey: string };
  /** Saves the confirmed PaymentMethod id with the per-attempt Idempotency-Key (the same hook the local form uses). */
  save: AddPaymentMethodHandle;
  /** The first method is always the default, so the "Make this my default" choice is settled. */
  isFirstMethod: boolean;
}

/*
 * The Stripe side of the add form, kept to this one file so that adding Stripe is a contained
 * change. This build does not include @stripe/stripe-js and @stripe/react-stripe-js, so it says
 * so instead of collecting a card. With them installed, this component becomes:
 * `loadStripe(publishableKey)` from '@stripe/stripe-js/pure' (nothing loads from Stripe unless
 * this form is shown), `<Elements stripe={…} options={{ clientSecret }}>` around a
 * `<PaymentElement />` and the default checkbox, and on submit
 * `save.add({ setAsDefault, obtainPaymentMethodId })` where obtainPaymentMethodId runs
 * `stripe.confirmSetup({ elements, redirect: 'if_required' })` and returns
 * `setupIntent.payment_method`. Stripe's own errors (declines) are shown in the same top alert
 * as the local form's.
 */
export function StripeElementsForm(_props: StripeElementsFormProps) {
  return (
    <Alert role="alert" data-testid="stripe-elements-unavailable">
      <AlertTriangle aria-hidden="true" className="text-amber-600 dark:text-amber-400" />
      <div>
        <AlertTitle>Stripe Elements is not available in this build</AlertTitle>
        <AlertDescription>
          This organization's cards are collected by Stripe, but this version of the portal was built without Stripe's card
          form, so a card can't be added here yet. Your saved payment methods are unchanged. Please contact your CBP
          administrator.
        </AlertDescription>
      </div>
    </Alert>
  );
}
