import { Building2 } from 'lucide-react';
import { Button, type ButtonProps } from '@/components/ui/button';
import { useSession } from '@/hooks/use-session';
import { roleName } from '@/lib/role-parser';
import { setSelectedTenantId } from '@/lib/tenant';

/**
 * "Your other organizations" on a full-page notice that stands in for an organization's pages
 * (suspended, two-step verification required): the signed-in user's other memberships, each
 * with a button that switches to it. Nothing when there are none.
 */
export function OtherOrganizations({ switchVariant }: { switchVariant?: ButtonProps['variant'] }) {
  const { me, membership } = useSession();
  const others = (me?.tenants ?? []).filter((t) => t.id !== membership?.id);
  if (others.length === 0) return null;
  return (
    <nav aria-label="Your other organizations" className="mt-10 text-left">
      <h2 className="text-sm font-semibold">Your other organizations</h2>
      <ul className="mt-2 divide-y rounded-lg border bg-card">
        {others.map((tenant) => (
          <li key={tenant.id} className="flex items-center justify-between gap-3 px-4 py-3">
            <span className="flex min-w-0 items-center gap-2">
              <Building2 className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
              <span className="truncate text-sm font-medium">{tenant.name}</span>
              <span className="text-xs text-muted-foreground">{roleName(tenant.role)}</span>
            </span>
            <Button size="sm" variant={switchVariant} onClick={() => setSelectedTenantId(tenant.id)} aria-label={`Switch to ${tenant.name}`}>
              Switch
            </Button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
