import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useSession } from '@/hooks/use-session';
import { canAccess, missingRoleExplanation, type Role } from '@/lib/role-parser';
import {
  getApiKeys,
  getUsageAnalytics,
  getUsagePeriods,
  getUsageQuotas,
  getUsageStatus,
  getUsageSummaries,
  getUsageTrend,
  type UsageTrendRequest,
} from '@/services/usage.service';

/** Under the tenant, so a tenant switch (or any tenant-wide refresh) reloads them. */
export const usageKeys = {
  all: (tenantId: string | null) => ['tenant', tenantId, 'usage'] as const,
  status: (tenantId: string | null) => ['tenant', tenantId, 'usage', 'status'] as const,
  quotas: (tenantId: string | null) => ['tenant', tenantId, 'usage', 'quotas'] as const,
  analytics: (tenantId: string | null, billingPeriod: string | undefined) =>
    ['tenant', tenantId, 'usage', 'analytics', billingPeriod ?? 'current'] as const,
  summaries: (tenantId: string | null, billingPeriod: string | undefined) =>
    ['tenant', tenantId, 'usage', 'summaries', billingPeriod ?? 'all'] as const,
  periods: (tenantId: string | null) => ['tenant', tenantId, 'usage', 'periods'] as const,
  trend: (tenantId: string | null, request: UsageTrendRequest) => ['tenant', tenantId, 'usage', 'trend', request] as const,
  apiKeys: (tenantId: string | null) => ['tenant', tenantId, 'api-keys'] as const,
};

/** After a soft limit, an initialization or a reset: status, quotas, summaries and the banner may all have moved. */
export function invalidateUsage(queryClient: QueryClient, tenantId: string | null): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: usageKeys.all(tenantId) });
}

export function useInvalidateUsage(): () => Promise<void> {
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  return () => invalidateUsage(queryClient, tenantId);
}

/** Shared by the dashboard and the quota banner; the banner also asks again when the window regains focus. */
export function useUsageStatus({ refetchOnWindowFocus = false }: { refetchOnWindowFocus?: boolean } = {}) {
  const { tenantId, role } = useSession();
  return useQuery({
    queryKey: usageKeys.status(tenantId),
    queryFn: getUsageStatus,
    enabled: tenantId !== null && canAccess(role, 'usage', 'list'),
    refetchOnWindowFocus,
    staleTime: 30_000,
  });
}

export function useUsageQuotas() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: usageKeys.quotas(tenantId), queryFn: getUsageQuotas, enabled: tenantId !== null });
}

/** `undefined`: the current period, with its projection. */
export function useUsageAnalytics(billingPeriod: string | undefined) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: usageKeys.analytics(tenantId, billingPeriod),
    queryFn: () => getUsageAnalytics(billingPeriod),
    enabled: tenantId !== null,
  });
}

/** `undefined`: every period's summaries (the dashboard's list of past periods). */
export function useUsageSummaries(billingPeriod: string | undefined, { enabled = true }: { enabled?: boolean } = {}) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: usageKeys.summaries(tenantId, billingPeriod),
    queryFn: () => getUsageSummaries(billingPeriod),
    enabled: enabled && tenantId !== null,
  });
}

/** The periods the dashboard's picker offers (GET /usage/periods). */
export function useUsagePeriods() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: usageKeys.periods(tenantId), queryFn: getUsagePeriods, enabled: tenantId !== null });
}

export function useUsageTrend(request: UsageTrendRequest) {
  const { tenantId } = useSession();
  return useQuery({ queryKey: usageKeys.trend(tenantId, request), queryFn: () => getUsageTrend(request), enabled: tenantId !== null });
}

/** Pass `enabled: false` for roles that may not list keys, so nothing is asked. */
export function useApiKeys({ enabled }: { enabled: boolean }) {
  const { tenantId } = useSession();
  return useQuery({ queryKey: usageKeys.apiKeys(tenantId), queryFn: getApiKeys, enabled: enabled && tenantId !== null });
}

export interface UsageAccess {
  role: Role | null;
  /** usage:edit: soft limits, initialize and reset (admin and above). */
  canEdit: boolean;
  /** Why `doWhat` is not allowed ("Only an admin or a higher role can change soft limits; your role is Analyst."), null when it is. */
  editRefusal: (doWhat: string) => string | null;
}

/** The usage decisions of the shared RBAC table for the caller's role. */
export function useUsageAccess(): UsageAccess {
  const { role } = useSession();
  const canEdit = canAccess(role, 'usage', 'edit');
  return {
    role,
    canEdit,
    editRefusal: (doWhat) => (canEdit ? null : missingRoleExplanation(role, 'usage', 'edit', doWhat)),
  };
}
