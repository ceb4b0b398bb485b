import {
  OrganizationDomain,
  OrganizationDomainList,
  OrganizationProfile,
  OrganizationSettings,
  VerifyDomainResult,
  type OrganizationProfileUpdateInput,
  type OrganizationSettingsUpdate,
} from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';

/*
 * The organization's profile, settings and domains (API.md, Organization). Every call is
 * `silent`: the forms show the API's field errors on their fields and its sentence in place.
 */

const domain = (id: string) => `/organization/domains/${encodeURIComponent(id)}`;

export async function getOrganization(): Promise<OrganizationProfile> {
  const { data } = await platformApi.get<unknown>('/organization', { silent: true });
  return parseResponse(OrganizationProfile, data, 'GET /organization');
}

/** Only the fields given change; null clears one. */
export async function updateOrganization(patch: OrganizationProfileUpdateInput): Promise<OrganizationProfile> {
  const { data } = await platformApi.patch<unknown>('/organization', patch, { silent: true });
  return parseResponse(OrganizationProfile, data, 'PATCH /organization');
}

export async function getOrganizationSettings(): Promise<OrganizationSettings> {
  const { data } = await platformApi.get<unknown>('/settings', { silent: true });
  return parseResponse(OrganizationSettings, data, 'GET /settings');
}

export async function updateOrganizationSettings(patch: OrganizationSettingsUpdate): Promise<OrganizationSettings> {
  const { data } = await platformApi.patch<unknown>('/settings', patch, { silent: true });
  return parseResponse(OrganizationSettings, data, 'PATCH /settings');
}

export async function getDomains(): Promise<OrganizationDomain[]> {
  const { data } = await platformApi.get<unknown>('/organization/domains', { silent: true });
  return parseResponse(OrganizationDomainList, data, 'GET /organization/domains').data;
}

export async function addDomain(name: string): Promise<OrganizationDomain> {
  const { data } = await platformApi.post<unknown>('/organization/domains', { domain: name }, { silent: true });
  return parseResponse(OrganizationDomain, data, 'POST /organization/domains');
}

/** Looks the TXT record up now; `verified` false keeps the domain pending with the reason in `message`. */
export async function verifyDomain(id: string): Promise<VerifyDomainResult> {
  const { data } = await platformApi.post<unknown>(`${domain(id)}/verify`, undefined, { silent: true });
  return parseResponse(VerifyDomainResult, data, 'POST /organization/domains/:id/verify');
}

export async function removeDomain(id: string): Promise<void> {
  await platformApi.delete(domain(id), { silent: true });
}
