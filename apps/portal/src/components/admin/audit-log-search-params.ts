import { AuditLog, AuditLogFilters as FiltersSchema, AuditLogQuery } from '@cbp/contracts';
import type { AuditLogFilters } from '@/types/audit-log';

/** Rows per page of the audit log. */
export const AUDIT_LOGS_PER_PAGE = 20;

/** The filters in the order they appear in the URL. */
const filterKeys = ['q', 'action', 'actorId', 'targetType', 'targetId', 'from', 'to'] as const satisfies readonly (keyof AuditLogFilters)[];

export interface AuditLogView {
  filters: AuditLogFilters;
  page: number;
  /** The entry open in the detail drawer. */
  entryId: string | undefined;
}

export const emptyView: AuditLogView = { filters: {}, page: 1, entryId: undefined };

/**
 * The audit log's view lives in the URL (`?action=invoice.paid&from=…&page=2&entry=…`); each
 * filter is parsed with the schema the API validates it with, and a value it would refuse is
 * dropped rather than sent.
 */
export function readAuditLogView(params: URLSearchParams): AuditLogView {
  const filters: AuditLogFilters = {};
  for (const key of filterKeys) {
    const parsed = FiltersSchema.shape[key].safeParse(params.get(key) ?? undefined);
    if (parsed.success && parsed.data) filters[key] = parsed.data;
  }
  const page = AuditLogQuery.shape.page.safeParse(params.get('page') ?? undefined);
  const entry = AuditLog.shape.id.safeParse(params.get('entry') ?? undefined);
  return { filters, page: page.success ? page.data : 1, entryId: entry.success ? entry.data : undefined };
}

/** Defaults are left out, so the plain list stays at `/admin/audit-logs`. */
export function auditLogViewParams({ filters, page, entryId }: AuditLogView): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of filterKeys) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (page > 1) params.set('page', String(page));
  if (entryId) params.set('entry', entryId);
  return params;
}

/** A link to the audit log showing only these filters. */
export function auditLogHref(filters: AuditLogFilters): string {
  const search = auditLogViewParams({ ...emptyView, filters }).toString();
  return search ? `/admin/audit-logs?${search}` : '/admin/audit-logs';
}

export function hasFilters(filters: AuditLogFilters): boolean {
  return filterKeys.some((key) => Boolean(filters[key]));
}
