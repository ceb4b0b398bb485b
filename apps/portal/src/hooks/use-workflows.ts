import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { WORKFLOW_REFRESH_MS } from '@/components/admin/workflow-format';
import { useSession } from '@/hooks/use-session';
import { getWorkflowStatus, getWorkflows } from '@/services/workflows.service';
import type { WorkflowListQuery, WorkflowStatusDetail } from '@/types/workflow';

/** Under the tenant, so a tenant switch (or any tenant-wide refresh) reloads them. */
export const workflowKeys = {
  all: (tenantId: string | null) => ['tenant', tenantId, 'workflows'] as const,
  page: (tenantId: string | null, query: Partial<WorkflowListQuery>) => ['tenant', tenantId, 'workflows', 'page', query] as const,
  run: (tenantId: string | null, id: string) => ['tenant', tenantId, 'workflows', 'run', id] as const,
};

/** A page of runs; refreshed every few seconds while any run on it is running, and only then. */
export function useWorkflowPage(query: Partial<WorkflowListQuery>) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: workflowKeys.page(tenantId, query),
    queryFn: () => getWorkflows(query),
    enabled: tenantId !== null,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.data.some((run) => run.status === 'running') ? WORKFLOW_REFRESH_MS : false),
  });
}

/** One run with its steps; refreshed while it runs. */
export function useWorkflowRun(id: string) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: workflowKeys.run(tenantId, id),
    queryFn: () => getWorkflowStatus(id),
    enabled: tenantId !== null,
    refetchInterval: (q) => (q.state.data?.status === 'running' ? WORKFLOW_REFRESH_MS : false),
  });
}

/** After cancel or retry: the run's answer in place, and every list of runs reloaded. */
export function useWorkflowChanged() {
  const queryClient = useQueryClient();
  const { tenantId } = useSession();
  return async (run: WorkflowStatusDetail) => {
    queryClient.setQueryData(workflowKeys.run(tenantId, run.id), run);
    await queryClient.invalidateQueries({ queryKey: workflowKeys.all(tenantId) });
  };
}
