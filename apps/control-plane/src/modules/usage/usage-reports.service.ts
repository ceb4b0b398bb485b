import { and, asc, desc, eq, sql } from 'drizzle-orm';
import {
  metricNames,
  type MetricAnalytics,
  type MetricType,
  type QuotaCheck,
  type TrendPoint,
  type UsageAlert,
  type UsageAnalytics,
  type UsageSummary,
  type UsageTrendQuery,
} from '@cbp/contracts';
import { queryRows, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { usageAlerts, usageSummaries } from '../../platform/schema.js';
import type { QuotaRow } from './usage.repo.js';
import { elapsedShare, overageOf, periodKey, projectedUsage, shiftMonths } from './usage-periods.js';
import { ensureQuotas } from './usage.service.js';

async function quotaOf(tx: ScopedTx, tenantId: string, metric: MetricType): Promise<QuotaRow> {
  const quota = (await ensureQuotas(tx, tenantId)).find((q) => q.metricType === metric);
  if (!quota) throw notFound('Quota');
  return quota;
}

export async function checkQuota(db: AppDb, tenantId: string, metric: MetricType): Promise<QuotaCheck> {
  return withTenant(db, tenantId, async (tx) => {
    const q = await quotaOf(tx, tenantId, metric);
    return {
      exceeded: q.hardLimit !== null && q.currentUsage >= q.hardLimit,
      softExceeded: q.softLimit !== null && q.currentUsage >= q.softLimit,
      currentUsage: q.currentUsage,
      limit: q.hardLimit,
    };
  });
}

/**
 * Monthly totals for the last `months` calendar months, or daily totals for the current
 * period, from the per-day rollup (never the raw events). Months or days without usage are 0.
 */
export async function usageTrend(db: AppDb, tenantId: string, metric: MetricType, { months, granularity }: UsageTrendQuery, now = new Date()): Promise<TrendPoint[]> {
  return withTenant(db, tenantId, async (tx) => {
    if (granularity === 'day') {
      const q = await quotaOf(tx, tenantId, metric);
      const rows = await queryRows<{ period: string; quantity: string | number; events: string | number }>(
        tx,
        sql`SELECT to_char(day, 'YYYY-MM-DD') AS period, quantity, event_count AS events FROM usage_daily
            WHERE tenant_id = ${tenantId} AND metric_type = ${metric}
              AND day >= (${q.periodStart.toISOString()}::timestamptz AT TIME ZONE 'UTC')::date
              AND day <= (${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')::date
            ORDER BY day`,
      );
      const byDay = new Map(rows.map((r) => [r.period, r]));
      const points: TrendPoint[] = [];
      for (let d = new Date(Date.UTC(q.periodStart.getUTCFullYear(), q.periodStart.getUTCMonth(), q.periodStart.getUTCDate())); d <= now; d = new Date(d.getTime() + 86_400_000)) {
        const key = d.toISOString().slice(0, 10);
        const r = byDay.get(key);
        points.push({ period: key, quantity: Number(r?.quantity ?? 0), eventCount: Number(r?.events ?? 0) });
      }
      return points;
    }
    const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1));
    const rows = await queryRows<{ period: string; quantity: string | number; events: string | number }>(
      tx,
      sql`SELECT to_char(day, 'YYYY-MM') AS period, sum(quantity) AS quantity, sum(event_count) AS events FROM usage_daily
          WHERE tenant_id = ${tenantId} AND metric_type = ${metric} AND day >= ${first.toISOString().slice(0, 10)}::date
          GROUP BY 1 ORDER BY 1`,
    );
    const byMonth = new Map(rows.map((r) => [r.period, r]));
    return Array.from({ length: months }, (_, i) => {
      const key = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + i, 1)).toISOString().slice(0, 7);
      const r = byMonth.get(key);
      return { period: key, quantity: Number(r?.quantity ?? 0), eventCount: Number(r?.events ?? 0) };
    });
  });
}

function metricAnalytics(q: QuotaRow, total: number): MetricAnalytics {
  const metric = q.metricType as MetricType;
  const overage = overageOf(q, total);
  return {
    metricType: metric,
    metricName: metricNames[metric].name,
    unit: metricNames[metric].unit,
    totalUsage: total,
    includedUsage: Math.min(total, q.includedQuantity),
    overageUsage: overage.quantity,
    overageAmount: overage.amount,
  };
}

/** Per-period usage of every metric between two instants, from the rollup (whole UTC days). */
async function rollupBetween(tx: ScopedTx, tenantId: string, start: Date, end: Date) {
  const rows = await queryRows<{ metric_type: string; quantity: string | number; events: string | number }>(
    tx,
    sql`SELECT metric_type, sum(quantity) AS quantity, sum(event_count) AS events FROM usage_daily
        WHERE tenant_id = ${tenantId}
          AND day >= (${start.toISOString()}::timestamptz AT TIME ZONE 'UTC')::date
          AND day < (${end.toISOString()}::timestamptz AT TIME ZONE 'UTC')::date
        GROUP BY metric_type`,
  );
  return new Map(rows.map((r) => [r.metric_type, { quantity: Number(r.quantity), events: Number(r.events) }]));
}

/**
 * Usage and overage of a billing period; for the current one also the projection of the
 * end-of-period usage and overage at the current run rate.
 */
export async function usageAnalytics(db: AppDb, tenantId: string, billingPeriod: string | undefined, now = new Date()): Promise<UsageAnalytics> {
  return withTenant(db, tenantId, async (tx) => {
    const quotas = await ensureQuotas(tx, tenantId);
    const first = quotas[0];
    if (!first) throw new AppError(422, 'BUSINESS_RULE', 'This tenant has no quotas yet: initialize them first.');
    const currency = first.currency;
    const current = periodKey(first.periodStart);
    if (!billingPeriod || billingPeriod === current) {
      const metrics = quotas.map((q) => metricAnalytics(q, q.currentUsage));
      const elapsed = elapsedShare(first.periodStart, first.periodEnd, now);
      const projected = quotas.map((q) => metricAnalytics(q, Math.max(q.currentUsage, projectedUsage(q.currentUsage, elapsed))));
      return {
        period: current,
        periodStart: first.periodStart.toISOString(),
        periodEnd: first.periodEnd.toISOString(),
        metrics,
        totalOverageAmount: metrics.reduce((s, m) => s + m.overageAmount, 0),
        currency,
        projected: { metrics: projected, totalOverageAmount: projected.reduce((s, m) => s + m.overageAmount, 0), elapsed: Math.round(elapsed * 1000) / 1000 },
      };
    }
    const [year, month] = billingPeriod.split('-').map(Number);
    const offset = ((year ?? 0) - first.periodStart.getUTCFullYear()) * 12 + ((month ?? 1) - 1 - first.periodStart.getUTCMonth());
    if (offset > 0) throw new AppError(422, 'BUSINESS_RULE', `${billingPeriod} has not started yet.`);
    const start = shiftMonths(first.periodStart, offset);
    const end = shiftMonths(first.periodStart, offset + 1);
    const frozen = await tx.select().from(usageSummaries).where(and(eq(usageSummaries.tenantId, tenantId), eq(usageSummaries.periodStart, start)));
    const rolled = frozen.length ? null : await rollupBetween(tx, tenantId, start, end);
    const metrics = quotas.map((q) => {
      const summary = frozen.find((f) => f.metricType === q.metricType);
      if (summary) {
        return { ...metricAnalytics(q, summary.totalQuantity), overageUsage: summary.overageQuantity, overageAmount: summary.overageAmount };
      }
      return metricAnalytics(q, rolled?.get(q.metricType)?.quantity ?? 0);
    });
    return {
      period: billingPeriod,
      periodStart: start.toISOString(),
      periodEnd: end.toISOString(),
      metrics,
      totalOverageAmount: metrics.reduce((s, m) => s + m.overageAmount, 0),
      currency,
      projected: null,
    };
  });
}

/** Frozen summaries of closed periods, and the open one of the current period, newest first. */
export async function listUsageSummaries(db: AppDb, tenantId: string, billingPeriod: string | undefined): Promise<UsageSummary[]> {
  return withTenant(db, tenantId, async (tx) => {
    const quotas = await ensureQuotas(tx, tenantId);
    const frozen = await tx.select().from(usageSummaries).where(eq(usageSummaries.tenantId, tenantId)).orderBy(desc(usageSummaries.periodStart), asc(usageSummaries.metricType));
    const open: UsageSummary[] = quotas.map((q) => {
      const overage = overageOf(q, q.currentUsage);
      const key = periodKey(q.periodStart);
      return {
        id: `${key}:${q.metricType}`,
        metricType: q.metricType as MetricType,
        billingPeriod: key,
        periodStart: q.periodStart.toISOString(),
        periodEnd: q.periodEnd.toISOString(),
        totalQuantity: q.currentUsage,
        includedQuantity: q.includedQuantity,
        overageQuantity: overage.quantity,
        overageAmount: overage.amount,
        unit: metricNames[q.metricType as MetricType].unit,
        eventCount: q.currentEvents,
        frozen: false,
        overageBilling: overage.amount > 0 ? 'accruing' : 'none',
        invoicedAt: null,
      };
    });
    const closed: UsageSummary[] = frozen.map((f) => ({
      id: f.id,
      metricType: f.metricType as MetricType,
      billingPeriod: periodKey(f.periodStart),
      periodStart: f.periodStart.toISOString(),
      periodEnd: f.periodEnd.toISOString(),
      totalQuantity: f.totalQuantity,
      includedQuantity: f.includedQuantity,
      overageQuantity: f.overageQuantity,
      overageAmount: f.overageAmount,
      unit: metricNames[f.metricType as MetricType].unit,
      eventCount: f.eventCount,
      frozen: true,
      overageBilling: f.overageAmount === 0 ? 'none' : f.invoiceItemId ? 'invoiced' : 'pending',
      invoicedAt: f.invoicedAt?.toISOString() ?? null,
    }));
    return [...open, ...closed].filter((s) => !billingPeriod || s.billingPeriod === billingPeriod);
  });
}

export async function listUsageAlerts(db: AppDb, tenantId: string): Promise<UsageAlert[]> {
  return withTenant(db, tenantId, async (tx) => {
    const rows = await tx.select().from(usageAlerts).where(eq(usageAlerts.tenantId, tenantId)).orderBy(desc(usageAlerts.createdAt)).limit(100);
    return rows.map((r) => ({
      id: r.id,
      metricType: r.metricType as MetricType,
      threshold: r.threshold,
      severity: r.severity,
      periodStart: r.periodStart.toISOString(),
      currentUsage: r.currentUsage,
      limit: r.limitValue,
      createdAt: r.createdAt.toISOString(),
    }));
  });
}

