import { and, count, desc, eq, gte, ilike, lte, or, type SQL } from 'drizzle-orm';
import type { AuditLogFilters } from '@cbp/contracts';
import type { Tx } from '../../platform/db.js';
import { auditLogs } from '../../platform/schema.js';

export type AuditLogRow = typeof auditLogs.$inferSelect;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function whereOf(tenantId: string, f: AuditLogFilters): SQL | undefined {
  const text = f.q ? `%${escapeLike(f.q)}%` : null;
  return and(
    eq(auditLogs.tenantId, tenantId),
    f.action ? eq(auditLogs.action, f.action) : undefined,
    f.actorId ? eq(auditLogs.actorId, f.actorId) : undefined,
    f.targetType ? eq(auditLogs.targetType, f.targetType) : undefined,
    f.targetId ? eq(auditLogs.targetId, f.targetId) : undefined,
    f.from ? gte(auditLogs.createdAt, new Date(f.from)) : undefined,
    f.to ? lte(auditLogs.createdAt, new Date(f.to)) : undefined,
    text
      ? or(ilike(auditLogs.action, text), ilike(auditLogs.targetName, text), ilike(auditLogs.actorEmail, text), ilike(auditLogs.targetId, text))
      : undefined,
  );
}

export function findAuditLogs(tx: Tx, tenantId: string, f: AuditLogFilters, page: { limit: number; offset: number }) {
  return tx
    .select()
    .from(auditLogs)
    .where(whereOf(tenantId, f))
    .orderBy(desc(auditLogs.createdAt), desc(auditLogs.id))
    .limit(page.limit)
    .offset(page.offset);
}

export async function countAuditLogs(tx: Tx, tenantId: string, f: AuditLogFilters): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(auditLogs).where(whereOf(tenantId, f));
  return row?.n ?? 0;
}

export async function auditLogById(tx: Tx, tenantId: string, id: string): Promise<AuditLogRow | undefined> {
  const [row] = await tx
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.tenantId, tenantId), eq(auditLogs.id, id)))
    .limit(1);
  return row;
}
