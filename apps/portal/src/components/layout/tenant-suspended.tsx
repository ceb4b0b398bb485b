import type { ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useLogout } from '@refinedev/core';
import { Ban, LogOut, RefreshCw } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { OtherOrganizations } from '@/components/layout/other-organizations';
import { useSession } from '@/hooks/use-session';
import { invalidateTenantData } from '@/lib/query-client';
import { forgetTenantSuspension, useTenantSuspended } from '@/lib/tenant-suspension';

/**
 * The page members of a suspended organization see instead of its pages (the API answers its
 * every call 403 TENANT_SUSPENDED): what it means, whom to contact, a way to sign out, and the
 * other organizations they belong to.
 */
export function TenantSuspendedPage() {
  const { membership } = useSession();
  const queryClient = useQueryClient();
  const { mutate: logout, isPending } = useLogout();
  const name = membership?.name ?? 'This organization';
  const checkAgain = () => {
    if (membership) forgetTenantSuspension(membership.id);
    void invalidateTenantData(queryClient);
  };
  return (
    <section aria-labelledby="tenant-suspended-title" className="mx-auto max-w-xl py-12 text-center" data-testid="tenant-suspended">
      <Ban className="mx-auto size-10 text-red-600 dark:text-red-400" aria-hidden="true" />
      <h1 id="tenant-suspended-title" className="mt-4 text-2xl font-semibold tracking-tight">
        {name} is suspended
      </h1>
      <p className="mt-3 text-sm text-muted-foreground">
        Platform staff have suspended this organization. While it is suspended nobody can use it: its pages, its data and its API keys are unavailable, and
        nothing has been deleted.
      </p>
      <p className="mt-2 text-sm text-muted-foreground">
        To find out why or to have it reactivated, contact your organization's owner or the platform's support team.
      </p>
      <div className="mt-6 flex flex-col-reverse justify-center gap-2 sm:flex-row">
        <Button variant="outline" onClick={() => logout()} disabled={isPending}>
          <LogOut aria-hidden="true" />
          Sign out
        </Button>
        <Button variant="outline" onClick={checkAgain}>
          <RefreshCw aria-hidden="true" />
          Check again
        </Button>
      </div>
      <OtherOrganizations />
    </section>
  );
}

/** The tenant's pages, or the suspended page once the API has refused the tenant as suspended. */
export function TenantSuspendedGate({ children }: { children: ReactNode }) {
  const { tenantId } = useSession();
  const suspended = useTenantSuspended(tenantId);
  return suspended ? <TenantSuspendedPage /> : children;
}
