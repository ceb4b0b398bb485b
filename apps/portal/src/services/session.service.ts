import { Me, Plan, Tenant } from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';

/** Who is signed in and which tenants they belong to. Not tenant-scoped. */
export async function getMe(): Promise<Me> {
  const { data } = await platformApi.get<unknown>('/me', { tenantScoped: false });
  return parseResponse(Me, data, 'GET /me');
}

/** The tenant selected by `X-Tenant-Id`. */
export async function getCurrentTenant(): Promise<Tenant> {
  const { data } = await platformApi.get<unknown>('/tenants/current');
  return parseResponse(Tenant, data, 'GET /tenants/current');
}

/** The plan catalogue (a bare array, not a page). */
export async function getPlans(): Promise<Plan[]> {
  const { data } = await platformApi.get<unknown>('/plans');
  return parseResponse(Plan.array(), data, 'GET /plans');
}
