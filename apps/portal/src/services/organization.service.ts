import {
  OrganizationDeletion,
  OrganizationExportList,
  OrganizationExportStarted,
  type OrganizationExport,
  OrganizationDomain,
  OrganizationDomainList,
  OrganizationLogo,
  OrganizationProfile,
  OrganizationSettings,
  VerifyDomainResult,
  type OrganizationProfileUpdateInput,
  type OrganizationSettingsUpdate,
} from '@cbp/contracts';
import { ApiError, parseResponse, platformApi } from '@/lib/axios';
import { saveBlob } from '@/lib/download';

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

/**
 * The logo as a Blob, or null when the organization has none (404). GET needs the token, so the
 * header shows it through an object URL rather than a plain <img src>.
 */
export async function getLogo(): Promise<Blob | null> {
  try {
    const { data } = await platformApi.get<Blob>('/organization/logo', { responseType: 'blob', silent: true });
    return data;
  } catch (error) {
    if (error instanceof ApiError && error.statusCode === 404) return null;
    throw error;
  }
}

/** PNG, JPEG or WebP up to 1 MB (checked by content on the server); stored as a 256x256 PNG. */
export async function uploadLogo(file: File): Promise<OrganizationLogo> {
  const form = new FormData();
  form.append('file', file, file.name);
  const { data } = await platformApi.put<unknown>('/organization/logo', form, { silent: true });
  return parseResponse(OrganizationLogo, data, 'PUT /organization/logo');
}

export async function removeLogo(): Promise<void> {
  await platformApi.delete('/organization/logo', { silent: true });
}

/** GDPR export (owner): starts the workflow that builds the zip. */
export async function requestExport(): Promise<OrganizationExportStarted> {
  const { data } = await platformApi.post<unknown>('/organization/export', undefined, { silent: true });
  return parseResponse(OrganizationExportStarted, data, 'POST /organization/export');
}

export async function getExports(): Promise<OrganizationExport[]> {
  const { data } = await platformApi.get<unknown>('/organization/exports', { silent: true });
  return parseResponse(OrganizationExportList, data, 'GET /organization/exports').data;
}

/** Downloads a ready archive (authenticated, so through a Blob) and hands it to the browser. */
export async function downloadExport(item: Pick<OrganizationExport, 'id' | 'createdAt'>): Promise<void> {
  const { data } = await platformApi.get<Blob>(`/organization/exports/${encodeURIComponent(item.id)}/download`, { responseType: 'blob', silent: true });
  saveBlob(data, `organization-export-${item.createdAt.slice(0, 10)}.zip`);
}

/** Schedules the organization's deletion after the grace period; `confirmName` must be its exact name. */
export async function scheduleDeletion(confirmName: string): Promise<OrganizationDeletion> {
  const { data } = await platformApi.delete<unknown>('/organization', { data: { confirmName }, silent: true });
  return parseResponse(OrganizationDeletion, data, 'DELETE /organization');
}

export async function cancelDeletion(): Promise<OrganizationDeletion> {
  const { data } = await platformApi.post<unknown>('/organization/deletion/cancel', undefined, { silent: true });
  return parseResponse(OrganizationDeletion, data, 'POST /organization/deletion/cancel');
}
