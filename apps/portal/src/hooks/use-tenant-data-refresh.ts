import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { invalidateTenantData } from '@/lib/query-client';
import { subscribeToTenantSelection } from '@/lib/tenant';

/** Reloads tenant data whenever the selected tenant changes, here or in another tab. */
export function useTenantDataRefresh(): void {
  const queryClient = useQueryClient();
  useEffect(
    () =>
      subscribeToTenantSelection(() => {
        void invalidateTenantData(queryClient);
      }),
    [queryClient],
  );
}
