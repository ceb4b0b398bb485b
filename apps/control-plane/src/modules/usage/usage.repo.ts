import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { MetricLimit, MetricType } from '@cbp/contracts';
import { preparedQuery, queryRows, type ScopedTx } from '../../platform/db.js';
import { plans, subscriptions, tenants, usageQuotas } from '../../platform/schema.js';

export type QuotaRow = typeof usageQuotas.$inferSelect;

export interface NewEvent {
  metricType: MetricType;
  quantity: number;
  occurredAt: Date;
  idempotencyKey: string;
}

/**
 * Records a batch in one statement chain: the keys first (a key already seen is a duplicate),
 * then the new events, their per-day rollup and the quota counters, all from the same arrays.
 * Returns how many events were new.
 */
export async function insertEvents(tx: ScopedTx, tenantId: string, source: { type: 'user' | 'api_key'; id: string | null }, events: NewEvent[]): Promise<number> {
  const [row] = await queryRows<{ accepted: number }>(
    tx,
    sql`WITH input AS (
          SELECT * FROM jsonb_to_recordset(${JSON.stringify(
            events.map((e) => ({ metric_type: e.metricType, quantity: e.quantity, occurred_at: e.occurredAt.toISOString(), idempotency_key: e.idempotencyKey })),
          )}::jsonb) AS t(metric_type text, quantity bigint, occurred_at timestamptz, idempotency_key text)
        ), fresh AS (
          INSERT INTO usage_event_keys (tenant_id, idempotency_key)
          SELECT ${tenantId}::uuid, idempotency_key FROM input
          ON CONFLICT DO NOTHING
          RETURNING idempotency_key
        ), accepted AS (
          SELECT i.* FROM input i JOIN fresh f USING (idempotency_key)
        ), stored AS (
          INSERT INTO usage_events (tenant_id, metric_type, quantity, occurred_at, idempotency_key, source_type, source_id)
          SELECT ${tenantId}::uuid, metric_type, quantity, occurred_at, idempotency_key, ${source.type}, ${source.id}::uuid FROM accepted
          RETURNING 1
        ), rolled AS (
          INSERT INTO usage_daily AS d (tenant_id, metric_type, day, quantity, event_count)
          SELECT ${tenantId}::uuid, metric_type, (occurred_at AT TIME ZONE 'UTC')::date, sum(quantity), count(*)
          FROM accepted GROUP BY 2, 3
          ON CONFLICT (tenant_id, metric_type, day) DO UPDATE
            SET quantity = d.quantity + excluded.quantity, event_count = d.event_count + excluded.event_count
          RETURNING 1
        ), counted AS (
          -- only what falls inside each quota's current period counts against it
          UPDATE usage_quotas q SET current_usage = q.current_usage + a.quantity, current_events = q.current_events + a.events, updated_at = now()
          FROM (SELECT p.id, sum(ac.quantity) AS quantity, count(*) AS events FROM accepted ac
                JOIN usage_quotas p ON p.tenant_id = ${tenantId}::uuid AND p.metric_type = ac.metric_type
                  AND ac.occurred_at >= p.period_start AND ac.occurred_at < p.period_end
                GROUP BY p.id) a
          WHERE q.id = a.id
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM stored)::int AS accepted, (SELECT count(*) FROM rolled) AS r, (SELECT count(*) FROM counted) AS c`,
  );
  return row?.accepted ?? 0;
}

const quotasOfTenant = preparedQuery('cbp_usage_quotas', (q) =>
  q.select().from(usageQuotas).where(eq(usageQuotas.tenantId, sql.placeholder('tenantId'))).orderBy(asc(usageQuotas.metricType)),
);

export function quotasOf(tx: ScopedTx, tenantId: string): Promise<QuotaRow[]> {
  return quotasOfTenant(tx, { tenantId });
}

/** The quotas of several tenants in one read (a platform-scoped transaction), by tenant then metric. */
export function quotasOfTenants(tx: ScopedTx, tenantIds: readonly string[]): Promise<QuotaRow[]> {
  if (tenantIds.length === 0) return Promise.resolve([]);
  return tx.select().from(usageQuotas).where(inArray(usageQuotas.tenantId, [...tenantIds])).orderBy(asc(usageQuotas.tenantId), asc(usageQuotas.metricType));
}

/** The tenant's plan limits and current billing period (from its subscription). */
export async function planAndPeriod(tx: ScopedTx, tenantId: string) {
  const [row] = await tx
    .select({
      limits: plans.limits,
      tier: plans.tier,
      currency: plans.currency,
      periodStart: subscriptions.currentPeriodStart,
      periodEnd: subscriptions.currentPeriodEnd,
    })
    .from(tenants)
    .innerJoin(plans, eq(plans.id, tenants.planId))
    .leftJoin(subscriptions, eq(subscriptions.tenantId, tenants.id))
    .where(eq(tenants.id, tenantId))
    .limit(1);
  return row as { limits: Record<string, MetricLimit>; tier: string; currency: string; periodStart: Date | null; periodEnd: Date | null } | undefined;
}

/** Exact usage of the period so far, from the raw events (once, when quotas are created). */
export async function eventsBetween(tx: ScopedTx, tenantId: string, from: Date, to: Date) {
  return queryRows<{ metric_type: string; quantity: string | number; events: string | number }>(
    tx,
    sql`SELECT metric_type, sum(quantity) AS quantity, count(*) AS events FROM usage_events
        WHERE tenant_id = ${tenantId} AND occurred_at >= ${from.toISOString()}::timestamptz AND occurred_at < ${to.toISOString()}::timestamptz
        GROUP BY metric_type`,
  );
}

export async function insertQuotas(tx: ScopedTx, rows: (typeof usageQuotas.$inferInsert)[]) {
  if (rows.length === 0) return 0;
  const inserted = await tx.insert(usageQuotas).values(rows).onConflictDoNothing({ target: [usageQuotas.tenantId, usageQuotas.metricType] }).returning({ id: usageQuotas.id });
  return inserted.length;
}

