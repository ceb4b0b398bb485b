import { AlertTriangle, Ban, CheckCircle2, CircleDashed, Clock, Gauge, OctagonAlert } from 'lucide-react';
import { PlanTier, type TenantStatus, type TenantUsageStatus } from '@cbp/contracts';
import type { BadgeProps } from '@/components/ui/badge';
import { StatusBadge, type StatusLook } from '@/components/ui/status-badge';

/** How a tenant's status reads in the staff console (a word and an icon, not colour alone). */
export const tenantStatusLooks: Record<TenantStatus, StatusLook> = {
  active: { label: 'Active', variant: 'success', icon: CheckCircle2 },
  suspended: { label: 'Suspended', variant: 'destructive', icon: Ban },
  pending_deletion: { label: 'Pending deletion', variant: 'warning', icon: Clock },
};
export const tenantStatuses = Object.keys(tenantStatusLooks) as TenantStatus[];

export function TenantStatusBadge({ status, ...props }: { status: TenantStatus } & BadgeProps) {
  return <StatusBadge look={tenantStatusLooks[status]} data-testid="tenant-status" {...props} />;
}

/** The worst quota state of the tenant's current period. */
export const usageStatusLooks: Record<TenantUsageStatus, StatusLook> = {
  none: { label: 'No quotas', variant: 'secondary', icon: CircleDashed },
  ok: { label: 'Within limits', variant: 'success', icon: Gauge },
  approaching_limit: { label: 'Approaching limit', variant: 'warning', icon: Gauge },
  over_soft_limit: { label: 'Over soft limit', variant: 'warning', icon: AlertTriangle },
  over_hard_limit: { label: 'Over hard limit', variant: 'destructive', icon: OctagonAlert },
};

export function UsageStatusBadge({ status, ...props }: { status: TenantUsageStatus } & BadgeProps) {
  return <StatusBadge look={usageStatusLooks[status]} {...props} />;
}

/** The catalog's plans, by key (the create dialog's choices and the plan filter). */
export const planOptions = PlanTier.options.map((key) => ({ value: key, label: key.charAt(0).toUpperCase() + key.slice(1) }));
