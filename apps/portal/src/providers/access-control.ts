import type { AccessControlProvider } from '@refinedev/core';
import type { QueryClient } from '@tanstack/react-query';
import { decideAccess } from '@/lib/role-parser';
import { currentMembership, meQuery } from '@/lib/session';
import { getSelectedTenantId } from '@/lib/tenant';

/** Refine access control from the shared RBAC table and the role in the selected tenant. */
export function createAccessControlProvider(queryClient: QueryClient): AccessControlProvider {
  return {
    can: async ({ resource, action }) => {
      if (!resource) return { can: false, reason: 'No resource was named.' };
      const me = await queryClient.fetchQuery(meQuery);
      const role = currentMembership(me, getSelectedTenantId())?.role ?? null;
      return decideAccess(role, resource, action);
    },
    options: { buttons: { enableAccessControl: true, hideIfUnauthorized: true } },
  };
}
