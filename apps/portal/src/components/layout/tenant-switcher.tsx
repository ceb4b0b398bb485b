import { Building2, ChevronsUpDown } from 'lucide-react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { useSession } from '@/hooks/use-session';
import { roleName } from '@/lib/role-parser';
import { setSelectedTenantId } from '@/lib/tenant';

/**
 * The organization the portal acts in. A menu only when there is a choice; with one
 * tenant its name is shown as plain text. Data reloads via the layout's tenant sync.
 */
export function TenantSwitcher() {
  const { me, membership } = useSession();
  if (!me || !membership) return null;

  if (me.tenants.length < 2) {
    return (
      <span className="flex min-w-0 items-center gap-2 text-sm font-medium">
        <Building2 className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
        <span className="truncate">{membership.name}</span>
      </span>
    );
  }

  const switchTo = (tenantId: string) => {
    const target = me.tenants.find((t) => t.id === tenantId);
    if (!target || target.id === membership.id) return;
    setSelectedTenantId(target.id);
    toast.success(`Switched to ${target.name}`);
  };

  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" className="min-w-0 gap-2 px-2" aria-label={`Switch organization (current: ${membership.name})`}>
          <Building2 className="text-muted-foreground" aria-hidden="true" />
          <span className="truncate">{membership.name}</span>
          <ChevronsUpDown className="text-muted-foreground" aria-hidden="true" />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="start" className="w-64">
        <DropdownMenuLabel>Organizations</DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuRadioGroup value={membership.id} onValueChange={switchTo}>
          {me.tenants.map((tenant) => (
            <DropdownMenuRadioItem key={tenant.id} value={tenant.id}>
              <span className="flex min-w-0 flex-1 flex-col">
                <span className="truncate">{tenant.name}</span>
                <span className="text-xs text-muted-foreground">{roleName(tenant.role)}</span>
              </span>
            </DropdownMenuRadioItem>
          ))}
        </DropdownMenuRadioGroup>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
