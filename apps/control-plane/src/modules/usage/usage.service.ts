import { metricNames, metricTypes, type MetricLimit, type MetricType, type Quota, type UsageEventBatch, type UsageIngestResult, type UsageStatus } from '@cbp/contracts';
import type { TenantContext as TenantCtx } from '../../platform/context.js';
import { queryRows, readTenant, withPlatformScope, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { sql } from 'drizzle-orm';
import { AppError } from '../../platform/errors.js';
import { publishEvent } from '../../platform/events.js';
import { eventsBetween, insertEvents, insertQuotas, planAndPeriod, quotasOf, quotasOfTenants, type NewEvent, type QuotaRow } from './usage.repo.js';


const day = 86_400_000;
/** Late events are accepted for 35 days (a month-end close plus retries); early ones by 5 minutes of clock skew. */
const acceptedPast = 35 * day;
const acceptedFuture = 5 * 60_000;

const known = (m: string): m is MetricType => (metricTypes as readonly string[]).includes(m);

function calendarMonth(now: Date) {
  return { start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)) };
}

/**
 * The tenant's quotas, created from its plan's limits for the current billing period (the
 * subscription's, or the calendar month) the first time they are needed.
 */
export async function ensureQuotas(tx: ScopedTx, tenantId: string, override?: { limits: Record<string, MetricLimit> }): Promise<QuotaRow[]> {
  const existing = await quotasOf(tx, tenantId);
  if (existing.length > 0 && !override) return existing;
  const current = await planAndPeriod(tx, tenantId);
  if (!current) return [];
  const plan = override ? { ...current, limits: override.limits } : current;
  const month = calendarMonth(new Date());
  const start = plan.periodStart ?? month.start;
  const end = plan.periodEnd ?? month.end;
  const used = new Map((await eventsBetween(tx, tenantId, start, end)).map((r) => [r.metric_type, r]));
  await insertQuotas(
    tx,
    Object.entries(plan.limits)
      .filter(([metric]) => known(metric))
      .map(([metric, limit]) => ({
        tenantId,
        metricType: metric,
        includedQuantity: limit.included,
        softLimit: limit.softLimit,
        hardLimit: limit.hardLimit,
        overagePrice: limit.overagePrice,
        overageUnit: limit.overageUnit,
        currency: plan.currency,
        resetPeriod: 'monthly' as const,
        periodStart: start,
        periodEnd: end,
        currentUsage: Number(used.get(metric)?.quantity ?? 0),
        currentEvents: Number(used.get(metric)?.events ?? 0),
      })),
  );
  return quotasOf(tx, tenantId);
}

/** The domain event of each usage alert threshold (issue 14). */
const alertEventTypes = {
  soft_limit: 'quota.soft_limit_crossed',
  hard_limit: 'quota.hard_limit_crossed',
  projected_overage: 'quota.overage_projected',
} as const;

/**
 * Records each threshold the tenant's usage has crossed in its current period, once per
 * period and threshold (the unique key): soft limit (warning), hard limit (critical), and a
 * projected overage at the current run rate (warning, after 10% of the period). They wait as
 * pending notification events for the tenant's admins and owner.
 */
export async function raiseUsageAlerts(tx: ScopedTx, tenantId: string, now = new Date()): Promise<number> {
  const rows = await queryRows<{
    id: string;
    metric_type: string;
    threshold: keyof typeof alertEventTypes;
    current_usage: string | number;
    limit_value: string | number | null;
    period_start: string | Date;
  }>(
    tx,
    sql`INSERT INTO usage_alerts (tenant_id, metric_type, threshold, severity, period_start, current_usage, limit_value)
        SELECT tenant_id, metric_type, 'soft_limit', 'warning', period_start, current_usage, soft_limit FROM usage_quotas
          WHERE tenant_id = ${tenantId} AND soft_limit IS NOT NULL AND current_usage >= soft_limit
        UNION ALL
        SELECT tenant_id, metric_type, 'hard_limit', 'critical', period_start, current_usage, hard_limit FROM usage_quotas
          WHERE tenant_id = ${tenantId} AND hard_limit IS NOT NULL AND current_usage >= hard_limit
        UNION ALL
        SELECT tenant_id, metric_type, 'projected_overage', 'warning', period_start, current_usage, included_quantity FROM usage_quotas
          WHERE tenant_id = ${tenantId} AND overage_price > 0
            AND ${now.toISOString()}::timestamptz >= period_start + (period_end - period_start) * 0.1
            AND current_usage::numeric / GREATEST(EXTRACT(EPOCH FROM (${now.toISOString()}::timestamptz - period_start)), 1)
                * EXTRACT(EPOCH FROM (period_end - period_start)) > included_quantity
        ON CONFLICT (tenant_id, metric_type, period_start, threshold) DO NOTHING
        RETURNING id, metric_type, threshold, current_usage, limit_value, period_start`,
  );
  // Each new alert is announced in this transaction: the notification handler tells the admins and owner.
  for (const alert of rows) {
    await publishEvent(tx, {
      type: alertEventTypes[alert.threshold],
      tenantId,
      payload: {
        alertId: alert.id,
        metricType: alert.metric_type,
        currentUsage: Number(alert.current_usage),
        limit: alert.limit_value === null ? null : Number(alert.limit_value),
        periodStart: new Date(alert.period_start).toISOString(),
      },
    });
  }
  return rows.length;
}

/**
 * Records a batch of usage events. The batch is validated whole (a bad event refuses the
 * batch and records nothing); a key seen before is counted as a duplicate and not applied.
 */
export async function ingestUsage(db: AppDb, ctx: TenantCtx, batch: UsageEventBatch, now = new Date()): Promise<UsageIngestResult> {
  const errors: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  const events: NewEvent[] = [];
  for (const [i, e] of batch.events.entries()) {
    const occurredAt = e.occurredAt ? new Date(e.occurredAt) : now;
    if (occurredAt.getTime() < now.getTime() - acceptedPast) errors.push({ path: `body.events.${i}.occurredAt`, message: 'More than 35 days ago: too late to be billed' });
    else if (occurredAt.getTime() > now.getTime() + acceptedFuture) errors.push({ path: `body.events.${i}.occurredAt`, message: 'In the future' });
    if (seen.has(e.idempotencyKey)) continue; // counted as a duplicate below
    seen.add(e.idempotencyKey);
    events.push({ metricType: e.metricType, quantity: e.quantity, occurredAt, idempotencyKey: e.idempotencyKey });
  }
  if (errors.length > 0) throw new AppError(400, 'VALIDATION_FAILED', `${errors.length} event(s) are invalid; nothing was recorded.`, errors.slice(0, 50));
  const source = ctx.actor.type === 'api_key' ? { type: 'api_key' as const, id: ctx.actor.id } : { type: 'user' as const, id: ctx.actor.id };
  const accepted = await withTenant(db, ctx.tenantId, async (tx) => {
    await ensureQuotas(tx, ctx.tenantId);
    const n = await insertEvents(tx, ctx.tenantId, source, events);
    if (n > 0) await raiseUsageAlerts(tx, ctx.tenantId, now);
    return n;
  });
  return { accepted, duplicates: batch.events.length - accepted };
}

export function quotaFrom(q: QuotaRow): Quota {
  const metric = q.metricType as MetricType;
  return {
    id: q.id,
    metricType: metric,
    metricName: metricNames[metric].name,
    unit: metricNames[metric].unit,
    includedQuantity: q.includedQuantity,
    softLimit: q.softLimit,
    hardLimit: q.hardLimit,
    overagePrice: q.overagePrice,
    overageUnit: q.overageUnit,
    currency: q.currency,
    resetPeriod: q.resetPeriod,
    currentUsage: q.currentUsage,
    periodStart: q.periodStart.toISOString(),
    periodEnd: q.periodEnd.toISOString(),
  };
}

export function statusFrom(q: QuotaRow): UsageStatus {
  const metric = q.metricType as MetricType;
  const limit = q.hardLimit ?? q.includedQuantity;
  return {
    metricType: metric,
    metricName: metricNames[metric].name,
    currentUsage: q.currentUsage,
    includedQuantity: q.includedQuantity,
    softLimit: q.softLimit,
    hardLimit: q.hardLimit,
    percentUsed: limit > 0 ? Math.round((q.currentUsage / limit) * 1000) / 10 : 0,
    isOverSoftLimit: q.softLimit !== null && q.currentUsage >= q.softLimit,
    isOverHardLimit: q.hardLimit !== null && q.currentUsage >= q.hardLimit,
    unit: metricNames[metric].unit,
    remainingAllowance: q.hardLimit === null ? null : Math.max(0, q.hardLimit - q.currentUsage),
    periodStart: q.periodStart.toISOString(),
    periodEnd: q.periodEnd.toISOString(),
  };
}

export async function usageStatus(db: AppDb, tenantId: string): Promise<UsageStatus[]> {
  // The quotas exist once a period has begun: read them; only the first read of a tenant writes them.
  const existing = await readTenant(db, tenantId, (tx) => quotasOf(tx, tenantId));
  if (existing.length > 0) return existing.map(statusFrom);
  return withTenant(db, tenantId, async (tx) => (await ensureQuotas(tx, tenantId)).map(statusFrom));
}

/**
 * usageStatus() of several tenants (the staff console's tenant list): one read of their quotas
 * across tenants. A tenant without quotas yet gets them as usageStatus() would (created from its
 * plan on first need), so the answer is the same; that happens once per tenant and period.
 */
export async function usageStatusOfTenants(db: AppDb, tenantIds: readonly string[]): Promise<Map<string, UsageStatus[]>> {
  const rows = await withPlatformScope(db, (tx) => quotasOfTenants(tx, tenantIds));
  const byTenant = new Map<string, UsageStatus[]>(tenantIds.map((id) => [id, []]));
  for (const row of rows) byTenant.get(row.tenantId)?.push(statusFrom(row));
  for (const [tenantId, statuses] of byTenant) {
    if (statuses.length === 0) byTenant.set(tenantId, await usageStatus(db, tenantId));
  }
  return byTenant;
}

export async function usageQuotas(db: AppDb, tenantId: string): Promise<Quota[]> {
  return withTenant(db, tenantId, async (tx) => (await ensureQuotas(tx, tenantId)).map(quotaFrom));
}
