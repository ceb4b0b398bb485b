import { sql } from 'drizzle-orm';
import type { MetricType } from '@cbp/contracts';
import { queryRows, withTenant, type AppDb } from '../platform/db.js';
import { insertEvents, type NewEvent } from '../modules/usage/usage.repo.js';
import { ensureQuotas } from '../modules/usage/usage.service.js';

const day = 86_400_000;

interface DemoUsage {
  tenantId: string;
  /** Usage per metric in the current period so far. */
  current: Partial<Record<MetricType, number>>;
  /** API calls per calendar month before the current period, oldest first (from the billing history). */
  pastApiCalls: number[];
}

/** Spreads `total` over `days` days with a weekly rhythm (quieter weekends), summing exactly. */
function spread(total: number, days: Date[]): number[] {
  const weights = days.map((d) => ([0, 6].includes(d.getUTCDay()) ? 0.55 : 1) * (1 + 0.15 * Math.sin(d.getUTCDate())));
  const sum = weights.reduce((s, w) => s + w, 0);
  const parts = weights.map((w) => Math.floor((total * w) / sum));
  parts[parts.length - 1] = (parts[parts.length - 1] ?? 0) + total - parts.reduce((s, p) => s + p, 0);
  return parts;
}

/**
 * Demo usage: the current period reported as daily events through the real ingestion path
 * (rollups and quota counters), and earlier months as imported daily rollups (raw events are
 * only accepted 35 days back), so the trends show six months of history.
 */
export async function seedDemoUsage(db: AppDb, demo: DemoUsage): Promise<void> {
  await withTenant(db, demo.tenantId, async (tx) => {
    const [quota] = await ensureQuotas(tx, demo.tenantId);
    if (!quota) return;
    const now = new Date();
    const periodDays: Date[] = [];
    for (let d = new Date(Date.UTC(quota.periodStart.getUTCFullYear(), quota.periodStart.getUTCMonth(), quota.periodStart.getUTCDate(), 12)); d <= now; d = new Date(d.getTime() + day)) {
      if (d >= quota.periodStart) periodDays.push(d);
    }
    if (periodDays.length === 0) periodDays.push(now);
    const events: NewEvent[] = [];
    for (const [metric, total] of Object.entries(demo.current) as [MetricType, number][]) {
      spread(total, periodDays).forEach((quantity, i) => {
        if (quantity > 0) events.push({ metricType: metric, quantity, occurredAt: periodDays[i] ?? now, idempotencyKey: `demo:${metric}:${i}` });
      });
    }
    await insertEvents(tx, demo.tenantId, { type: 'user', id: null }, events);

    // Earlier months: whole calendar months before the current period's month.
    const firstDayOfPeriod = new Date(Date.UTC(quota.periodStart.getUTCFullYear(), quota.periodStart.getUTCMonth(), quota.periodStart.getUTCDate()));
    const rows: { day: string; quantity: number }[] = [];
    demo.pastApiCalls.forEach((total, i) => {
      const monthsBack = demo.pastApiCalls.length - i;
      const start = new Date(Date.UTC(firstDayOfPeriod.getUTCFullYear(), firstDayOfPeriod.getUTCMonth() - monthsBack, 1));
      const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
      const days: Date[] = [];
      for (let d = start; d < end && d < firstDayOfPeriod; d = new Date(d.getTime() + day)) days.push(d);
      spread(total, days).forEach((quantity, j) => rows.push({ day: (days[j] ?? start).toISOString().slice(0, 10), quantity }));
    });
    if (rows.length > 0) {
      await queryRows(
        tx,
        sql`INSERT INTO usage_daily (tenant_id, metric_type, day, quantity, event_count)
            SELECT ${demo.tenantId}::uuid, 'api_calls', r.day, r.quantity, GREATEST(1, r.quantity / 250)
            FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(day date, quantity bigint)
            ON CONFLICT DO NOTHING`,
      );
    }
  });
}
