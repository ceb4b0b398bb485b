import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSession } from '@/hooks/use-session';
import { getAuditLogById, getAuditLogs } from '@/services/audit-logs.service';
import type { AuditLogQuery } from '@/types/audit-log';

/** Under the tenant, so a tenant switch (or any tenant-wide refresh) reloads them. */
export const auditLogKeys = {
  page: (tenantId: string | null, query: AuditLogQuery) => ['tenant', tenantId, 'audit-logs', 'page', query] as const,
  entry: (tenantId: string | null, id: string) => ['tenant', tenantId, 'audit-logs', 'entry', id] as const,
};

export function useAuditLogPage(query: AuditLogQuery) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: auditLogKeys.page(tenantId, query),
    queryFn: () => getAuditLogs(query),
    enabled: tenantId !== null,
    // A new filter or page keeps the old rows on screen (dimmed) instead of flashing skeletons.
    placeholderData: keepPreviousData,
  });
}

/** One entry, for a drawer opened from a shared link when the entry is not on the page shown. */
export function useAuditLog(id: string | undefined, enabled: boolean) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: auditLogKeys.entry(tenantId, id ?? ''),
    queryFn: () => getAuditLogById(id ?? ''),
    enabled: tenantId !== null && id !== undefined && enabled,
  });
}
