import { Suspense } from 'react';
import { Outlet, useLocation } from 'react-router';
import { useLogout } from '@refinedev/core';
import { AlertTriangle, Building2 } from 'lucide-react';
import { QuotaWarning } from '@/components/billing/QuotaWarning';
import { AppHeader } from '@/components/layout/app-header';
import { Brand } from '@/components/layout/brand';
import { DeletionBanner } from '@/components/layout/deletion-banner';
import { PageErrorBoundary } from '@/components/layout/error-boundary';
import { PageLoading } from '@/components/layout/page-loading';
import { SidebarNav } from '@/components/layout/sidebar-nav';
import { StaffBanner } from '@/components/layout/staff-banner';
import { TenantSuspendedGate } from '@/components/layout/tenant-suspended';
import { MfaRequiredGate } from '@/components/layout/mfa-required';
import { Button } from '@/components/ui/button';
import { useSession } from '@/hooks/use-session';
import { useTenantDataRefresh } from '@/hooks/use-tenant-data-refresh';
import { errorMessage } from '@/lib/axios';

function SessionProblem({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const { mutate: logout } = useLogout();
  return (
    <div role="alert" className="mx-auto max-w-md py-16 text-center">
      <AlertTriangle className="mx-auto size-8 text-amber-600 dark:text-amber-400" aria-hidden="true" />
      <h1 className="mt-4 text-xl font-semibold">We couldn't load your account</h1>
      <p className="mt-2 text-sm text-muted-foreground">{errorMessage(error)}</p>
      <div className="mt-6 flex justify-center gap-2">
        <Button onClick={onRetry}>Try again</Button>
        <Button variant="outline" onClick={() => logout()}>
          Log out
        </Button>
      </div>
    </div>
  );
}

function NoOrganization({ email }: { email: string }) {
  return (
    <div className="mx-auto max-w-md py-16 text-center">
      <Building2 className="mx-auto size-8 text-muted-foreground" aria-hidden="true" />
      <h1 className="mt-4 text-xl font-semibold">You're not in an organization yet</h1>
      <p className="mt-2 text-sm text-muted-foreground">
        {email} is signed in but is not a member of any organization. Ask an admin of your organization to invite you.
      </p>
    </div>
  );
}

function MainContent() {
  const { me, isLoading, error, refetch } = useSession();
  const location = useLocation();
  if (isLoading) return <PageLoading label="Loading your account…" />;
  if (error || !me) return <SessionProblem error={error} onRetry={() => void refetch()} />;
  if (me.tenants.length === 0) return <NoOrganization email={me.user.email} />;
  return (
    <TenantSuspendedGate>
      <MfaRequiredGate>
        <PageErrorBoundary key={location.pathname}>
          <Suspense fallback={<PageLoading />}>
            <Outlet />
          </Suspense>
        </PageErrorBoundary>
      </MfaRequiredGate>
    </TenantSuspendedGate>
  );
}

/** Sidebar, header and the page; every signed-in route renders inside it. */
export function AppLayout() {
  useTenantDataRefresh();
  return (
    <div className="min-h-dvh">
      <a
        href="#main-content"
        className="sr-only focus:not-sr-only focus:fixed focus:left-4 focus:top-3 focus:z-50 focus:rounded-md focus:bg-primary focus:px-3 focus:py-2 focus:text-sm focus:text-primary-foreground"
      >
        Skip to content
      </a>
      <aside aria-label="Sidebar" className="fixed inset-y-0 left-0 z-20 hidden w-60 flex-col border-r bg-sidebar lg:flex">
        <div className="flex h-14 items-center border-b px-5">
          <Brand />
        </div>
        <SidebarNav />
      </aside>
      <div className="flex min-h-dvh flex-col lg:pl-60">
        <AppHeader />
        <StaffBanner />
        <DeletionBanner />
        <QuotaWarning />
        <main id="main-content" tabIndex={-1} className="mx-auto w-full max-w-6xl flex-1 px-4 py-8 outline-none sm:px-6 lg:px-8">
          <MainContent />
        </main>
      </div>
    </div>
  );
}
