import { useQuery } from '@tanstack/react-query';
import { useSession } from '@/hooks/use-session';
import { getExports } from '@/services/organization.service';
import { getWorkflowStatus } from '@/services/workflows.service';

/** Under the tenant, so a tenant switch reloads them. */
export const exportsKey = (tenantId: string | null) => ['tenant', tenantId, 'organization', 'exports'] as const;

/** The archives; polled every 2 s while one is being prepared. */
export function useExports(enabled: boolean) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: exportsKey(tenantId),
    queryFn: getExports,
    enabled: enabled && tenantId !== null,
    refetchInterval: (query) => (query.state.data?.some((e) => e.status === 'running') ? 2_000 : false),
  });
}

/** The steps of the export's workflow run (progress), polled while it runs. */
export function useExportProgress(runId: string | null) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: ['tenant', tenantId, 'workflows', runId, 'status'] as const,
    queryFn: () => getWorkflowStatus(runId ?? ''),
    enabled: runId !== null && tenantId !== null,
    refetchInterval: 1_000,
  });
}
