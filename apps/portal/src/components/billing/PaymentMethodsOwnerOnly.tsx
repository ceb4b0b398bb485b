import { Lock } from 'lucide-react';
import { useSession } from '@/hooks/use-session';

/** Shown instead of payment methods to roles that may not see them; nothing is asked of the API for them. */
export function PaymentMethodsOwnerOnly({ explanation }: { explanation: string }) {
  const { membership } = useSession();
  return (
    <div className="rounded-xl border bg-card px-6 py-12 text-center" data-testid="payment-methods-owner-only">
      <span className="mx-auto flex size-10 items-center justify-center rounded-full bg-muted">
        <Lock className="size-5 text-muted-foreground" aria-hidden="true" />
      </span>
      <h2 className="mt-3 text-sm font-semibold">Payment methods are managed by owners</h2>
      <p className="mt-1 text-sm" data-testid="payment-methods-explanation">
        {explanation}
      </p>
      <p className="mt-1 text-sm text-muted-foreground">
        {membership ? `Ask an owner of ${membership.name} to add or change a card.` : 'Ask an owner to add or change a card.'}
      </p>
    </div>
  );
}
