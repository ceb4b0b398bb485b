import { keepPreviousData, useQuery, type QueryClient } from '@tanstack/react-query';
import { useSession } from '@/hooks/use-session';
import {
  getInvoice,
  getInvoices,
  getSubscription,
  getUpcomingInvoice,
  previewPlanChange,
  type InvoicePageRequest,
} from '@/services/billing.service';
import { getPlans } from '@/services/session.service';

/** Query keys of the billing area; all sit under the tenant, so a tenant switch refreshes them. */
export const billingKeys = {
  subscription: (tenantId: string | null) => ['tenant', tenantId, 'subscription'] as const,
  preview: (tenantId: string | null, planId: string) => ['tenant', tenantId, 'subscription', 'preview', planId] as const,
  plans: (tenantId: string | null) => ['tenant', tenantId, 'plans'] as const,
  invoices: (tenantId: string | null) => ['tenant', tenantId, 'invoices'] as const,
  invoicePage: (tenantId: string | null, request: InvoicePageRequest) =>
    ['tenant', tenantId, 'invoices', 'page', request] as const,
  invoice: (tenantId: string | null, id: string) => ['tenant', tenantId, 'invoices', 'detail', id] as const,
  upcoming: (tenantId: string | null) => ['tenant', tenantId, 'invoices', 'upcoming'] as const,
};

export function useSubscription() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: billingKeys.subscription(tenantId), queryFn: getSubscription, enabled: tenantId !== null });
}

/** Shares its cache entry with the dashboard's plan card. */
export function usePlans() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: billingKeys.plans(tenantId), queryFn: getPlans, enabled: tenantId !== null });
}

export function useUpcomingInvoice() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: billingKeys.upcoming(tenantId), queryFn: getUpcomingInvoice, enabled: tenantId !== null });
}

export function useInvoicePage(request: InvoicePageRequest) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: billingKeys.invoicePage(tenantId, request),
    queryFn: () => getInvoices(request),
    enabled: tenantId !== null,
    // Paging keeps the old rows on screen (dimmed) instead of flashing skeletons.
    placeholderData: keepPreviousData,
  });
}

export function useInvoice(id: string) {
  const { tenantId } = useSession();
  return useQuery({ queryKey: billingKeys.invoice(tenantId, id), queryFn: () => getInvoice(id), enabled: tenantId !== null });
}

/** A proration is priced to the second: always ask again rather than show a cached one. */
export function usePlanChangePreview(planId: string | null) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: billingKeys.preview(tenantId, planId ?? ''),
    queryFn: () => previewPlanChange(planId ?? ''),
    enabled: tenantId !== null && planId !== null,
    staleTime: 0,
    gcTime: 0,
  });
}

/**
 * After a plan change, cancel or resume: the subscription, the upcoming invoice, the invoices
 * and the tenant (whose plan the dashboard shows) may all have changed.
 */
export function invalidateAfterSubscriptionChange(queryClient: QueryClient, tenantId: string | null): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: ['tenant', tenantId] });
}
