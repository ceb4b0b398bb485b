import type { ReactNode } from 'react';
import { useLogout } from '@refinedev/core';
import { useLocation } from 'react-router';
import { LogOut, ShieldCheck } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { OtherOrganizations } from '@/components/layout/other-organizations';
import { useSession } from '@/hooks/use-session';
import { useMfaRequired } from '@/lib/mfa-required';
import { startSecondFactorSignIn } from '@/lib/oidc';

/**
 * The page members see instead of an organization's pages when it requires two-step
 * verification and they signed in without it (the API answers 403 MFA_REQUIRED): what it means
 * and one button that signs in again, where the identity provider asks for the authenticator
 * code, or sets one up first.
 */
export function MfaRequiredPage() {
  const { membership } = useSession();
  const location = useLocation();
  const { mutate: logout, isPending } = useLogout();
  const name = membership?.name ?? 'Your organization';
  const signInAgain = () => void startSecondFactorSignIn('verify', location.pathname + location.search);
  return (
    <section aria-labelledby="mfa-required-title" className="mx-auto max-w-xl py-12 text-center" data-testid="mfa-required">
      <ShieldCheck className="mx-auto size-10 text-primary" aria-hidden="true" />
      <h1 id="mfa-required-title" className="mt-4 text-2xl font-semibold tracking-tight">
        Your organization requires two-step verification
      </h1>
      <p className="mt-3 text-sm text-muted-foreground">
        {name} asks every member to sign in with a code from an authenticator app as well as their password. This session was signed in with the password
        only.
      </p>
      <p className="mt-2 text-sm text-muted-foreground">
        Sign in again: you will be asked for the code, or shown how to set up an authenticator app (about a minute) if you have none yet.
      </p>
      <div className="mt-6 flex flex-col-reverse justify-center gap-2 sm:flex-row">
        <Button variant="outline" onClick={() => logout()} disabled={isPending}>
          <LogOut aria-hidden="true" />
          Sign out
        </Button>
        <Button onClick={signInAgain}>
          <ShieldCheck aria-hidden="true" />
          Sign in with two-step verification
        </Button>
      </div>
      <OtherOrganizations switchVariant="outline" />
    </section>
  );
}

/** The tenant's pages, or the "requires two-step verification" page once the API refused the tenant so. */
export function MfaRequiredGate({ children }: { children: ReactNode }) {
  const { tenantId } = useSession();
  const required = useMfaRequired(tenantId);
  return required ? <MfaRequiredPage /> : children;
}
