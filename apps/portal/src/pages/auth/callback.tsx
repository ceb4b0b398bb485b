import { useEffect } from 'react';
import { useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { Loader2 } from 'lucide-react';
import { completeLogin, safeReturnPath, type SigninState } from '@/lib/oidc';
import { usePageTitle } from '@/lib/page-title';

/** The identity provider sends the browser here with `?code=&state=`. */
export default function AuthCallbackPage() {
  usePageTitle('Signing in');
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  useEffect(() => {
    let cancelled = false;
    completeLogin()
      .then((user) => {
        if (cancelled) return;
        // Another person may have signed in: nothing cached may carry over.
        queryClient.clear();
        navigate(safeReturnPath((user.state as SigninState | undefined)?.returnTo) ?? '/', { replace: true });
      })
      .catch((error: unknown) => {
        if (cancelled) return;
        const message = error instanceof Error ? error.message : 'The sign-in could not be completed.';
        navigate(`/login?error=${encodeURIComponent(message)}`, { replace: true });
      });
    return () => {
      cancelled = true;
    };
  }, [navigate, queryClient]);

  return (
    <main className="flex min-h-dvh items-center justify-center">
      <p role="status" className="flex items-center gap-2 text-sm text-muted-foreground">
        <Loader2 className="size-4 animate-spin" aria-hidden="true" />
        Signing you in…
      </p>
    </main>
  );
}
