import type { AuditLog, AuditLogFilters } from '@cbp/contracts';
import { withTenant, type AppDb } from '../../platform/db.js';
import { auditLogsBefore, type AuditLogRow } from './audit-logs.repo.js';
import { auditLogFrom } from './audit-logs.service.js';

const batchSize = 1_000;

const columns: (keyof AuditLog)[] = [
  'id', 'createdAt', 'action', 'actorType', 'actorId', 'actorEmail', 'targetType', 'targetId', 'targetName',
  'ipAddress', 'userAgent', 'before', 'after', 'metadata',
];

/** RFC 4180 cell; a leading = + - @ is neutralised so spreadsheets never run it as a formula. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The filtered trail as CSV or JSON lines, newest first (in the order entries were recorded),
 * produced batch by batch (keyset paging on `seq`, each batch its own short transaction) so
 * an export of any size keeps memory flat.
 */
export async function* exportAuditLogs(db: AppDb, tenantId: string, filters: AuditLogFilters, format: 'csv' | 'jsonl'): AsyncGenerator<string> {
  if (format === 'csv') yield `${columns.join(',')}\n`;
  let cursor: number | null = null;
  for (;;) {
    const before: number | null = cursor;
    const rows: AuditLogRow[] = await withTenant(db, tenantId, (tx) => auditLogsBefore(tx, tenantId, filters, before, batchSize));
    if (rows.length === 0) return;
    const entries = rows.map(auditLogFrom);
    yield entries
      .map((e) => (format === 'csv' ? columns.map((c) => csvCell(e[c])).join(',') : JSON.stringify(e)))
      .join('\n')
      .concat('\n');
    const last: AuditLogRow | undefined = rows[rows.length - 1];
    if (!last || rows.length < batchSize) return;
    cursor = last.seq;
  }
}
