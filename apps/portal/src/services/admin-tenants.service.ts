import {
  AdminTenantDetail,
  AdminTenantPage,
  CreateAdminTenantResult,
  type AdminTenantListItem,
  type CreateAdminTenantBody,
  type TenantStatus,
  type TenantUsageStatus,
} from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';

/*
 * The staff console (platform staff only): every tenant of the platform
 * (GET/POST /admin/tenants...). Not about the selected tenant: no X-Tenant-Id. Reads are
 * `silent` (the pages show their errors in place); changes show theirs in their dialogs.
 */

export type { AdminTenantDetail, AdminTenantListItem, AdminTenantPage, CreateAdminTenantBody, CreateAdminTenantResult, TenantStatus, TenantUsageStatus };

export const ADMIN_TENANTS_PER_PAGE = 20;

export interface AdminTenantFilters {
  page: number;
  search?: string;
  status?: TenantStatus;
  plan?: string;
}

export async function listAdminTenants({ page, search, status, plan }: AdminTenantFilters): Promise<AdminTenantPage> {
  const { data } = await platformApi.get<unknown>('/admin/tenants', {
    params: { page, limit: ADMIN_TENANTS_PER_PAGE, ...(search ? { search } : {}), ...(status ? { status } : {}), ...(plan ? { plan } : {}) },
    tenantScoped: false,
    silent: true,
  });
  return parseResponse(AdminTenantPage, data, 'GET /admin/tenants');
}

export async function getAdminTenant(id: string): Promise<AdminTenantDetail> {
  const { data } = await platformApi.get<unknown>(`/admin/tenants/${encodeURIComponent(id)}`, { tenantScoped: false, silent: true });
  return parseResponse(AdminTenantDetail, data, 'GET /admin/tenants/:id');
}

/** Creates the tenant and starts its provisioning workflow (202). */
export async function createAdminTenant(body: CreateAdminTenantBody): Promise<CreateAdminTenantResult> {
  const { data } = await platformApi.post<unknown>('/admin/tenants', body, { tenantScoped: false, silent: true });
  return parseResponse(CreateAdminTenantResult, data, 'POST /admin/tenants');
}

export async function suspendAdminTenant(id: string, reason: string): Promise<AdminTenantDetail> {
  const { data } = await platformApi.post<unknown>(`/admin/tenants/${encodeURIComponent(id)}/suspend`, { reason }, { tenantScoped: false, silent: true });
  return parseResponse(AdminTenantDetail, data, 'POST /admin/tenants/:id/suspend');
}

export async function reactivateAdminTenant(id: string): Promise<AdminTenantDetail> {
  const { data } = await platformApi.post<unknown>(`/admin/tenants/${encodeURIComponent(id)}/reactivate`, undefined, { tenantScoped: false, silent: true });
  return parseResponse(AdminTenantDetail, data, 'POST /admin/tenants/:id/reactivate');
}
