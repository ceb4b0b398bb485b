import { useQuery } from '@tanstack/react-query';
import { currentMembership, meQuery } from '@/lib/session';
import { useSelectedTenantId } from '@/lib/tenant';

/** The signed-in user, their memberships and the one the portal currently acts in. */
export function useSession() {
  const query = useQuery(meQuery);
  const selectedTenantId = useSelectedTenantId();
  const me = query.data ?? null;
  const membership = me ? currentMembership(me, selectedTenantId) : null;
  return {
    me,
    membership,
    role: membership?.role ?? null,
    tenantId: membership?.id ?? null,
    isLoading: query.isPending,
    error: query.error,
    refetch: query.refetch,
  };
}
