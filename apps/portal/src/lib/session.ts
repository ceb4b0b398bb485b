import { queryOptions } from '@tanstack/react-query';
import { getMe } from '@/services/session.service';
import { reconcileTenantSelection } from '@/lib/tenant';
import type { Me, MembershipSummary } from '@/types/session';

/** GET /me, shared by the layout, the auth provider and access control through one cache entry. */
export const meQuery = queryOptions({
  queryKey: ['me'],
  queryFn: async (): Promise<Me> => {
    const me = await getMe();
    reconcileTenantSelection(me.tenants);
    return me;
  },
  staleTime: 5 * 60_000,
});

/** The membership the portal acts in, given /me and the stored selection. */
export function currentMembership(me: Me, selectedTenantId: string | null): MembershipSummary | null {
  return me.tenants.find((t) => t.id === selectedTenantId) ?? me.tenants[0] ?? null;
}
