import { and, count, desc, eq, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { AuditLogFilters } from '@cbp/contracts';
import { escapeLike, preparedQueries, queryRows, type ScopedTx } from '../../platform/db.js';
import { auditLogs } from '../../platform/schema.js';

export type AuditLogRow = typeof auditLogs.$inferSelect;


/** Filters other than free text (text goes through audit_log_search, see below). */
function whereOf(tenantId: string, f: AuditLogFilters): SQL | undefined {
  return and(
    eq(auditLogs.tenantId, tenantId),
    f.action ? eq(auditLogs.action, f.action) : undefined,
    f.actorId ? eq(auditLogs.actorId, f.actorId) : undefined,
    f.targetType ? eq(auditLogs.targetType, f.targetType) : undefined,
    f.targetId ? eq(auditLogs.targetId, f.targetId) : undefined,
    f.from ? gte(auditLogs.createdAt, new Date(f.from)) : undefined,
    f.to ? lte(auditLogs.createdAt, new Date(f.to)) : undefined,
  );
}


/**
 * Free-text search (action, actor email, target name and id) with the other filters, through
 * the SECURITY DEFINER function of migrations 0010/0016, which reads the word index (or the
 * trigram index) as the owner: under RLS an index could not serve ILIKE (decision 005).
 * The function scopes to the transaction's tenant (`app.tenant_id`).
 */
async function searchText(tx: ScopedTx, f: AuditLogFilters & { q: string }, page: { limit: number; offset: number; beforeSeq?: number | null }): Promise<AuditLogRow[]> {
  const rows = await queryRows<RawAuditRow>(
    tx,
    sql`SELECT * FROM audit_log_search(${`%${escapeLike(f.q)}%`}, ${f.action ?? null}, ${f.actorId ?? null}::uuid, ${f.targetType ?? null},
          ${f.targetId ?? null}, ${f.from ?? null}::timestamptz, ${f.to ?? null}::timestamptz,
          ${page.beforeSeq ?? null}::bigint, ${page.limit}::int, ${page.offset}::int)`,
  );
  return rows.map(fromRaw);
}

type RawAuditRow = {
  id: string; tenant_id: string | null; actor_type: AuditLogRow['actorType']; actor_id: string | null; actor_email: string | null;
  action: string; target_type: string; target_id: string | null; target_name: string | null;
  before: Record<string, unknown> | null; after: Record<string, unknown> | null; metadata: Record<string, unknown>;
  ip_address: string | null; user_agent: string | null; created_at: string | Date; seq: string | number; prev_hash: string | null; hash: string | null;
};

const fromRaw = (r: RawAuditRow): AuditLogRow => ({
  id: r.id, tenantId: r.tenant_id, actorType: r.actor_type, actorId: r.actor_id, actorEmail: r.actor_email,
  action: r.action, targetType: r.target_type, targetId: r.target_id, targetName: r.target_name,
  before: r.before, after: r.after, metadata: r.metadata, ipAddress: r.ip_address, userAgent: r.user_agent,
  createdAt: new Date(r.created_at), seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash,
});

/** A page of entries, prepared once per combination of filters (values as placeholders). */
const entryPage = preparedQueries(
  'cbp_audit_entries',
  (shape: { action: boolean; actorId: boolean; targetType: boolean; targetId: boolean; from: boolean; to: boolean }, q) => {
    const p = sql.placeholder;
    return q
      .select()
      .from(auditLogs)
      .where(
        and(
          eq(auditLogs.tenantId, p('tenantId')),
          shape.action ? eq(auditLogs.action, p('action')) : undefined,
          shape.actorId ? eq(auditLogs.actorId, p('actorId')) : undefined,
          shape.targetType ? eq(auditLogs.targetType, p('targetType')) : undefined,
          shape.targetId ? eq(auditLogs.targetId, p('targetId')) : undefined,
          shape.from ? gte(auditLogs.createdAt, p('from')) : undefined,
          shape.to ? lte(auditLogs.createdAt, p('to')) : undefined,
        ),
      )
      .orderBy(desc(auditLogs.createdAt), desc(auditLogs.id))
      .limit(p('limit'))
      .offset(p('offset'));
  },
);

export async function findAuditLogs(tx: ScopedTx, tenantId: string, f: AuditLogFilters, page: { limit: number; offset: number }): Promise<AuditLogRow[]> {
  if (f.q) return searchText(tx, { ...f, q: f.q }, page);
  const entries = entryPage({ action: !!f.action, actorId: !!f.actorId, targetType: !!f.targetType, targetId: !!f.targetId, from: !!f.from, to: !!f.to });
  return entries(tx, {
    tenantId,
    action: f.action,
    actorId: f.actorId,
    targetType: f.targetType,
    targetId: f.targetId,
    from: f.from ? new Date(f.from) : undefined,
    to: f.to ? new Date(f.to) : undefined,
    limit: page.limit,
    offset: page.offset,
  });
}

/** Free-text counts stop here ("1,000+"): counting a common word would read most of the trail. */
export const textCountCap = 1_000;

/**
 * How many entries match. Free text is counted up to `textCountCap`. Without a target or
 * text filter, and with at most one of action/actor, the answer comes from the per-day
 * rollups (migration 0010): whole days inside the range are summed, and only the partial
 * days at its edges are counted entry by entry.
 */
export async function countAuditLogs(tx: ScopedTx, tenantId: string, f: AuditLogFilters): Promise<{ count: number; capped: boolean }> {
  if (f.q) {
    const [row] = await queryRows<{ n: string | number }>(
      tx,
      sql`SELECT audit_log_search_count(${`%${escapeLike(f.q)}%`}, ${f.action ?? null}, ${f.actorId ?? null}::uuid, ${f.targetType ?? null},
            ${f.targetId ?? null}, ${f.from ?? null}::timestamptz, ${f.to ?? null}::timestamptz, ${textCountCap}::int) AS n`,
    );
    const n = Number(row?.n ?? 0);
    return { count: Math.min(n, textCountCap), capped: n > textCountCap };
  }
  const exact = (count: number) => ({ count, capped: false });
  if (f.targetType || f.targetId || (f.actorId && f.action)) return exact(await countEntries(tx, tenantId, f));
  const from = f.from ? new Date(f.from) : null;
  const to = f.to ? new Date(f.to) : null;
  // Whole UTC days in [from, to]: from the first midnight at or after `from`, to the midnight before `to`.
  const firstDay = from ? startOfUtcDay(from, from.getTime() !== startOfUtcDay(from, 0).getTime() ? 1 : 0) : null;
  const endDay = to ? startOfUtcDay(to, 0) : null;
  if (firstDay && endDay && firstDay >= endDay) return exact(await countEntries(tx, tenantId, f));
  const days = sql`${firstDay ? sql`AND day >= ${isoDay(firstDay)}::date` : sql``} ${endDay ? sql`AND day < ${isoDay(endDay)}::date` : sql``}`;
  const [rollup] = await queryRows<{ n: string | number | null }>(
    tx,
    f.actorId
      ? sql`SELECT sum(n) AS n FROM audit_log_actor_counts WHERE tenant_id = ${tenantId} AND actor_id = ${f.actorId} ${days}`
      : sql`SELECT sum(n) AS n FROM audit_log_counts WHERE tenant_id = ${tenantId} ${f.action ? sql`AND action = ${f.action}` : sql``} ${days}`,
  );
  const edge = { action: f.action, actorId: f.actorId };
  const head = from && firstDay && firstDay > from ? await countEntries(tx, tenantId, { ...edge, from: f.from, to: firstDay.toISOString() }, true) : 0;
  const tail = to && endDay ? await countEntries(tx, tenantId, { ...edge, from: endDay.toISOString(), to: f.to }) : 0;
  return exact(Number(rollup?.n ?? 0) + head + tail);
}

/** Counts matching entries one by one (index range scans); `before` makes `to` exclusive. */
async function countEntries(tx: ScopedTx, tenantId: string, f: AuditLogFilters, before = false): Promise<number> {
  const where = before && f.to ? and(whereOf(tenantId, { ...f, to: undefined }), lt(auditLogs.createdAt, new Date(f.to))) : whereOf(tenantId, f);
  const [row] = await tx.select({ n: count() }).from(auditLogs).where(where);
  return row?.n ?? 0;
}

function startOfUtcDay(d: Date, plusDays: number): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + plusDays));
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export async function auditLogById(tx: ScopedTx, tenantId: string, id: string): Promise<AuditLogRow | undefined> {
  const [row] = await tx
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.tenantId, tenantId), eq(auditLogs.id, id)))
    .limit(1);
  return row;
}

/**
 * Recomputes the tenant's chain in the database; the first entry whose hash or link is wrong.
 * After a retention purge the first remaining entry links to the anchor (the last purged hash).
 */
export async function verifyChain(tx: ScopedTx, tenantId: string) {
  const [summary] = await queryRows<{ checked: number }>(tx, sql`SELECT count(*)::int AS checked FROM audit_logs WHERE tenant_id = ${tenantId}`);
  const [broken] = await queryRows<{ id: string; created_at: string | Date; reason: 'content_changed' | 'chain_broken' }>(
    tx,
    sql`WITH chain AS (
          SELECT a.id, a.seq, a.created_at, a.hash, a.prev_hash,
                 lag(a.hash, 1, (SELECT hash FROM audit_log_anchors WHERE tenant_id = ${tenantId})) OVER (ORDER BY a.seq) AS expected_prev,
                 audit_entry_hash(a, a.prev_hash) AS recomputed
          FROM audit_logs a WHERE a.tenant_id = ${tenantId}
        )
        SELECT id, created_at,
               CASE WHEN hash IS DISTINCT FROM recomputed THEN 'content_changed' ELSE 'chain_broken' END AS reason
        FROM chain
        WHERE hash IS DISTINCT FROM recomputed OR prev_hash IS DISTINCT FROM expected_prev
        ORDER BY seq LIMIT 1`,
  );
  const [head] = await queryRows<{ id: string; hash: string; created_at: string | Date }>(
    tx,
    sql`SELECT id, hash, created_at FROM audit_logs WHERE tenant_id = ${tenantId} ORDER BY seq DESC LIMIT 1`,
  );
  const [retention] = await queryRows<{ days: number; purged_total: string | number | null; purged_at: string | Date | null }>(
    tx,
    sql`SELECT p.audit_retention_days AS days, a.purged_total, a.purged_at
        FROM tenants t JOIN plans p ON p.id = t.plan_id
        LEFT JOIN audit_log_anchors a ON a.tenant_id = t.id
        WHERE t.id = ${tenantId}`,
  );
  return { checked: summary?.checked ?? 0, broken, head, retention };
}

/**
 * A batch of entries recorded before `beforeSeq` (newest first, by the chain's `seq`): keyset
 * paging for exports, exact even for entries written in one transaction.
 */
export async function auditLogsBefore(tx: ScopedTx, tenantId: string, f: AuditLogFilters, beforeSeq: number | null, limit: number): Promise<AuditLogRow[]> {
  if (f.q) return searchText(tx, { ...f, q: f.q }, { limit, offset: 0, beforeSeq });
  return tx
    .select()
    .from(auditLogs)
    .where(and(whereOf(tenantId, f), beforeSeq !== null ? lt(auditLogs.seq, beforeSeq) : undefined))
    .orderBy(desc(auditLogs.seq))
    .limit(limit);
}
