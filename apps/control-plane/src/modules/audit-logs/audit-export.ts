import { Readable } from 'node:stream';
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
 *
 * A failed export never looks like a finished file: the first batch is read before this
 * resolves, so a refused filter or an unavailable database rejects here and the route answers
 * a problem before the first byte; a batch that fails later errors the stream, and Fastify
 * then destroys the response instead of ending it (no final chunk of the chunked encoding:
 * the client sees an aborted download, audit-export-failure.test.ts).
 */
export async function openAuditExport(db: AppDb, tenantId: string, filters: AuditLogFilters, format: 'csv' | 'jsonl'): Promise<Readable> {
  const batch = (before: number | null): Promise<AuditLogRow[]> =>
    withTenant(db, tenantId, (tx) => auditLogsBefore(tx, tenantId, filters, before, batchSize));
  const render = (rows: AuditLogRow[]) =>
    rows
      .map(auditLogFrom)
      .map((e) => (format === 'csv' ? columns.map((c) => csvCell(e[c])).join(',') : JSON.stringify(e)))
      .join('\n')
      .concat('\n');
  let rows = await batch(null);
  const opening = (format === 'csv' ? `${columns.join(',')}\n` : '') + (rows.length > 0 ? render(rows) : '');

  async function* chunks(): AsyncGenerator<string> {
    if (opening) yield opening;
    for (;;) {
      const last: AuditLogRow | undefined = rows[rows.length - 1];
      if (!last || rows.length < batchSize) return;
      rows = await batch(last.seq);
      if (rows.length === 0) return;
      yield render(rows);
    }
  }
  return Readable.from(chunks());
}
