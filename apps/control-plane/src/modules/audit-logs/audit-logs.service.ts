import type { AuditChainVerification, AuditLog, AuditLogFilters, AuditLogQuery } from '@cbp/contracts';
import { withTenant, type AppDb } from '../../platform/db.js';
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
  return withTenant(db, tenantId, async (tx) => {
    const [rows, total] = await Promise.all([
      findAuditLogs(tx, tenantId, filters, { limit, offset: (page - 1) * limit }),
      countAuditLogs(tx, tenantId, filters),
    ]);
    return { data: rows.map(auditLogFrom), total };
  });
}

export function countMatching(db: AppDb, tenantId: string, filters: AuditLogFilters) {
  return withTenant(db, tenantId, async (tx) => ({ count: await countAuditLogs(tx, tenantId, filters) }));
}

export async function auditLogOf(db: AppDb, tenantId: string, id: string): Promise<AuditLog> {
  const row = await withTenant(db, tenantId, (tx) => auditLogById(tx, tenantId, id));
  if (!row) throw notFound('Audit log entry');
  return auditLogFrom(row);
}

export async function verifyAuditChain(db: AppDb, tenantId: string): Promise<AuditChainVerification> {
  const { checked, broken } = await withTenant(db, tenantId, (tx) => verifyChain(tx, tenantId));
  return {
    valid: !broken,
    checked,
    firstBroken: broken ? { id: broken.id, createdAt: new Date(broken.created_at).toISOString(), reason: broken.reason } : null,
    verifiedAt: new Date().toISOString(),
  };
}
