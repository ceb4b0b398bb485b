import { AuditChainVerification, AuditLog, AuditLogCount, AuditLogPage } from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';
import { saveBlob } from '@/lib/download';
import type { AuditLogFilters, AuditLogQuery } from '@/types/audit-log';

export type { AuditLogPage };

/** Page and size of the shortcut lists (by action, target or actor). */
export interface AuditLogPageRequest {
  page?: number;
  limit?: number;
}

/*
 * Admin and above (403 otherwise). Every read is `silent`: the audit log page shows its errors
 * in place, with a retry.
 */

/** Only the filters that are set, so the request (and the cache key) stays minimal. */
function paramsOf(query: Partial<AuditLogQuery>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== '')) as Record<
    string,
    string | number
  >;
}

/** A page of the tenant's audit trail, newest first, with the total for the same filters. */
export async function getAuditLogs(query: AuditLogQuery): Promise<AuditLogPage> {
  const { data } = await platformApi.get<unknown>('/audit-logs', { params: paramsOf(query), silent: true });
  return parseResponse(AuditLogPage, data, 'GET /audit-logs');
}

/** One entry; 404 when it does not exist or belongs to another tenant. */
export async function getAuditLogById(id: string): Promise<AuditLog> {
  const { data } = await platformApi.get<unknown>(`/audit-logs/${encodeURIComponent(id)}`, { silent: true });
  return parseResponse(AuditLog, data, 'GET /audit-logs/:id');
}

/** How many entries match the filters (free-text counts stop at 1,000: `capped`). */
export async function countAuditLogs(filters: AuditLogFilters): Promise<AuditLogCount> {
  const { data } = await platformApi.get<unknown>('/audit-logs/count', { params: paramsOf(filters), silent: true });
  return parseResponse(AuditLogCount, data, 'GET /audit-logs/count');
}

export async function getAuditLogsByAction(action: string, page: AuditLogPageRequest = {}): Promise<AuditLogPage> {
  const { data } = await platformApi.get<unknown>(`/audit-logs/by-action/${encodeURIComponent(action)}`, {
    params: paramsOf(page),
    silent: true,
  });
  return parseResponse(AuditLogPage, data, 'GET /audit-logs/by-action/:action');
}

export async function getAuditLogsByTarget(targetType: string, targetId: string, page: AuditLogPageRequest = {}): Promise<AuditLogPage> {
  const path = `/audit-logs/by-target/${encodeURIComponent(targetType)}/${encodeURIComponent(targetId)}`;
  const { data } = await platformApi.get<unknown>(path, { params: paramsOf(page), silent: true });
  return parseResponse(AuditLogPage, data, 'GET /audit-logs/by-target/:targetType/:targetId');
}

export async function getAuditLogsByActor(actorId: string, page: AuditLogPageRequest = {}): Promise<AuditLogPage> {
  const { data } = await platformApi.get<unknown>(`/audit-logs/by-actor/${encodeURIComponent(actorId)}`, {
    params: paramsOf(page),
    silent: true,
  });
  return parseResponse(AuditLogPage, data, 'GET /audit-logs/by-actor/:actorId');
}

/** Recomputes the tenant's hash chain on the server: the first entry edited or cut out, if any. */
export async function verifyAuditChain(): Promise<AuditChainVerification> {
  const { data } = await platformApi.get<unknown>('/audit-logs/verify', { silent: true });
  return parseResponse(AuditChainVerification, data, 'GET /audit-logs/verify');
}

/** Downloads the filtered trail (all pages) as CSV, streamed by the server. */
export async function exportAuditLogs(filters: AuditLogFilters): Promise<void> {
  const { data } = await platformApi.get<Blob>('/audit-logs/export', {
    params: { ...paramsOf(filters), format: 'csv' },
    responseType: 'blob',
    headers: { Accept: 'text/csv' },
  });
  saveBlob(data, `audit-log-${new Date().toISOString().slice(0, 10)}.csv`);
}
