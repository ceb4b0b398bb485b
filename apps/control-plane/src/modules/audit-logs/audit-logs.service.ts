import type { AuditChainVerification, AuditLog, AuditLogFilters, AuditLogQuery } from '@cbp/contracts';
import { readTenant, withTenant, type AppDb } from '../../platform/db.js';
import { notFound } from '../../platform/errors.js';
import { auditLogById, countAuditLogs, findAuditLogs, verifyChain, type AuditLogRow } from './audit-logs.repo.js';

export function auditLogFrom(row: AuditLogRow): AuditLog {
  return {
    id: row.id,
    tenantId: row.tenantId,
    action: row.action,
    actorId: row.actorId,
    actorEmail: row.actorEmail,
    actorType: row.actorType,
    targetType: row.targetType,
    targetId: row.targetId,
    targetName: row.targetName,
    before: row.before ?? null,
    after: row.after ?? null,
    metadata: row.metadata,
    ipAddress: row.ipAddress,
    userAgent: row.userAgent,
    createdAt: row.createdAt.toISOString(),
  };
}

/** One page of the tenant's trail, newest first, with the total for the same filters. */
export function searchAuditLogs(db: AppDb, tenantId: string, { page, limit, ...filters }: AuditLogQuery) {
  return readTenant(db, tenantId, async (tx) => {
    const offset = (page - 1) * limit;
    const rows = await findAuditLogs(tx, tenantId, filters, { limit, offset });
    // A short page holds the last matches: the total needs no count.
    const { count, capped } = rows.length < limit && (rows.length > 0 || page === 1) ? { count: offset + rows.length, capped: false } : await countAuditLogs(tx, tenantId, filters);
    return { data: rows.map(auditLogFrom), total: count, totalCapped: capped };
  });
}

export function countMatching(db: AppDb, tenantId: string, filters: AuditLogFilters) {
  return readTenant(db, tenantId, (tx) => countAuditLogs(tx, tenantId, filters));
}

export async function auditLogOf(db: AppDb, tenantId: string, id: string): Promise<AuditLog> {
  const row = await withTenant(db, tenantId, (tx) => auditLogById(tx, tenantId, id));
  if (!row) throw notFound('Audit log entry');
  return auditLogFrom(row);
}

export async function verifyAuditChain(db: AppDb, tenantId: string): Promise<AuditChainVerification> {
  const { checked, broken, head, retention } = await withTenant(db, tenantId, (tx) => verifyChain(tx, tenantId));
  return {
    valid: !broken,
    checked,
    firstBroken: broken ? { id: broken.id, createdAt: new Date(broken.created_at).toISOString(), reason: broken.reason } : null,
    head: head ? { id: head.id, hash: head.hash, createdAt: new Date(head.created_at).toISOString() } : null,
    retention: {
      days: retention?.days ?? 365,
      purgedTotal: Number(retention?.purged_total ?? 0),
      lastPurgedAt: retention?.purged_at ? new Date(retention.purged_at).toISOString() : null,
    },
    verifiedAt: new Date().toISOString(),
  };
}
