import { and, count, desc, eq, gte, ilike, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { AuditLogFilters } from '@cbp/contracts';
import { queryRows, type Tx } from '../../platform/db.js';
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

/** Recomputes the tenant's chain in the database; the first entry whose hash or link is wrong. */
export async function verifyChain(tx: Tx, tenantId: string) {
  const [summary] = await queryRows<{ checked: number }>(tx, sql`SELECT count(*)::int AS checked FROM audit_logs WHERE tenant_id = ${tenantId}`);
  const [broken] = await queryRows<{ id: string; created_at: string | Date; reason: 'content_changed' | 'chain_broken' }>(
    tx,
    sql`WITH chain AS (
          SELECT a.id, a.seq, a.created_at, a.hash, a.prev_hash,
                 lag(a.hash) OVER (ORDER BY a.seq) AS expected_prev,
                 audit_entry_hash(a, a.prev_hash) AS recomputed
          FROM audit_logs a WHERE a.tenant_id = ${tenantId}
        )
        SELECT id, created_at,
               CASE WHEN hash IS DISTINCT FROM recomputed THEN 'content_changed' ELSE 'chain_broken' END AS reason
        FROM chain
        WHERE hash IS DISTINCT FROM recomputed OR prev_hash IS DISTINCT FROM expected_prev
        ORDER BY seq LIMIT 1`,
  );
  return { checked: summary?.checked ?? 0, broken };
}

/** A batch of entries strictly older than `before` (newest first): keyset paging for exports. */
export function auditLogsBefore(tx: Tx, tenantId: string, f: AuditLogFilters, before: { createdAt: Date; id: string } | null, limit: number) {
  return tx
    .select()
    .from(auditLogs)
    .where(
      and(
        whereOf(tenantId, f),
        before ? or(lt(auditLogs.createdAt, before.createdAt), and(eq(auditLogs.createdAt, before.createdAt), lt(auditLogs.id, before.id))) : undefined,
      ),
    )
    .orderBy(desc(auditLogs.createdAt), desc(auditLogs.id))
    .limit(limit);
}
