import { useQuery } from '@tanstack/react-query';
import { useSession } from '@/hooks/use-session';
import { getDomains, getOrganization, getOrganizationSettings } from '@/services/organization.service';

/** Under the tenant, so a tenant switch (or any tenant-wide refresh) reloads them. */
export const organizationKeys = {
  profile: (tenantId: string | null) => ['tenant', tenantId, 'organization', 'profile'] as const,
  settings: (tenantId: string | null) => ['tenant', tenantId, 'organization', 'settings'] as const,
  domains: (tenantId: string | null) => ['tenant', tenantId, 'organization', 'domains'] as const,
};

export function useOrganizationProfile() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: organizationKeys.profile(tenantId), queryFn: getOrganization, enabled: tenantId !== null });
}

export function useOrganizationSettings() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: organizationKeys.settings(tenantId), queryFn: getOrganizationSettings, enabled: tenantId !== null });
}

export function useDomains() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: organizationKeys.domains(tenantId), queryFn: getDomains, enabled: tenantId !== null });
}
