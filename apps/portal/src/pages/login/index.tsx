import { useSearchParams } from 'react-router';
import { useLogin } from '@refinedev/core';
import { AlertTriangle, LogIn } from 'lucide-react';
import { BrandMark } from '@/components/layout/brand';
import { ThemeToggle } from '@/components/layout/theme-toggle';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { usePageTitle } from '@/lib/page-title';
import type { LoginParams } from '@/providers/auth-provider';

export default function LoginPage() {
  usePageTitle('Sign in');
  const [searchParams] = useSearchParams();
  const { mutate: login, isPending, data } = useLogin<LoginParams>();
  const error = searchParams.get('error') ?? data?.error?.message ?? null;

  return (
    <div className="flex min-h-dvh flex-col bg-muted/40">
      <header className="flex justify-end p-4">
        <ThemeToggle />
      </header>
      <main className="flex flex-1 items-start justify-center px-4 pt-[12vh]">
        <div className="w-full max-w-sm">
          <div className="rounded-xl border bg-card p-8 shadow-sm dark:shadow-none">
            <BrandMark className="size-10" />
            <h1 className="mt-6 text-2xl font-semibold tracking-tight">CBP Portal</h1>
            <p className="mt-2 text-sm text-muted-foreground">
              Manage your organization's subscription, usage, team and settings in one place.
            </p>
            {error ? (
              <Alert variant="destructive" role="alert" className="mt-6">
                <AlertTriangle aria-hidden="true" />
                <div>
                  <AlertTitle>Sign-in failed</AlertTitle>
                  <AlertDescription>{error}</AlertDescription>
                </div>
              </Alert>
            ) : null}
            <Button
              size="lg"
              className="mt-6 w-full"
              disabled={isPending}
              onClick={() => login({ returnTo: searchParams.get('to') })}
            >
              <LogIn aria-hidden="true" />
              {isPending ? 'Redirecting…' : 'Sign in'}
            </Button>
            <p className="mt-4 text-center text-xs text-muted-foreground">
              You will continue to your organization's sign-in page.
            </p>
          </div>
        </div>
      </main>
    </div>
  );
}
