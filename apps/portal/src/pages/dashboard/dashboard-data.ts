import { useQueries, useQuery } from '@tanstack/react-query';
import { metricTypes, type MetricType } from '@cbp/contracts';
import { useAuditLogPage } from '@/hooks/use-audit-logs';
import { useInvoicePage, usePlans, useSubscription, useUpcomingInvoice } from '@/hooks/use-billing';
import { usePaymentMethods } from '@/hooks/use-payment-methods';
import { useSession } from '@/hooks/use-session';
import { usageKeys, useUsageStatus } from '@/hooks/use-usage';
import { canAccess } from '@/lib/role-parser';
import { organizationKeys, useOrganizationProfile } from '@/pages/organization/queries';
import { getDomains } from '@/services/organization.service';
import { getCurrentTenant } from '@/services/session.service';
import { getInvitations, getMembers } from '@/services/team.service';
import { getUsageTrend, type UsageTrendRequest } from '@/services/usage.service';

/**
 * What the caller's role may read, from the shared RBAC table: the dashboard asks only for
 * what the API would answer (no 403s), and shows only those parts.
 */
export function useDashboardAccess() {
  const { role } = useSession();
  return {
    usage: canAccess(role, 'usage', 'list'),
    invoices: canAccess(role, 'invoices', 'list'),
    payInvoices: canAccess(role, 'invoices', 'edit'),
    paymentMethods: canAccess(role, 'payment-methods', 'list'),
    auditLog: canAccess(role, 'audit-logs', 'list'),
    invite: canAccess(role, 'user-invitations', 'create'),
    editOrganization: canAccess(role, 'organization', 'edit'),
    members: canAccess(role, 'users', 'list'),
  };
}

export function useCurrentTenant() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: ['tenant', tenantId, 'current'], queryFn: getCurrentTenant, enabled: tenantId !== null });
}

export { useAuditLogPage, useInvoicePage, useOrganizationProfile, usePaymentMethods, usePlans, useSubscription, useUpcomingInvoice, useUsageStatus };

/** How many members the organization has (the page's total); keyed like the team pages' queries (hooks/use-team.ts), so their changes refresh it. */
export function useMemberCount({ enabled }: { enabled: boolean }) {
  const { tenantId } = useSession();
  const query = { page: 1, limit: 1 };
  return useQuery({ queryKey: ['tenant', tenantId, 'team', 'members', query], queryFn: () => getMembers(query), enabled: enabled && tenantId !== null });
}

/** How many invitations are pending (admins and owners only). */
export function usePendingInvitationCount({ enabled }: { enabled: boolean }) {
  const { tenantId } = useSession();
  const query = { page: 1, limit: 1, status: 'pending' as const };
  return useQuery({ queryKey: ['tenant', tenantId, 'team', 'invitations', query], queryFn: () => getInvitations(query), enabled: enabled && tenantId !== null });
}

export function useDomainsIf({ enabled }: { enabled: boolean }) {
  const { tenantId } = useSession();
  return useQuery({ queryKey: organizationKeys.domains(tenantId), queryFn: getDomains, enabled: enabled && tenantId !== null });
}

/** Monthly totals of the last six months per metric, for the sparklines (the metrics the status lists). */
export function useUsageTrends(metrics: readonly MetricType[], enabled: boolean) {
  const { tenantId } = useSession();
  const requests: UsageTrendRequest[] = metrics.map((metricType) => ({ metricType, months: 6, granularity: 'month' }));
  return useQueries({
    queries: requests.map((request) => ({
      queryKey: usageKeys.trend(tenantId, request),
      queryFn: () => getUsageTrend(request),
      enabled: enabled && tenantId !== null,
      staleTime: 60_000,
    })),
  });
}

export const knownMetric = (metric: string): metric is MetricType => (metricTypes as readonly string[]).includes(metric);
