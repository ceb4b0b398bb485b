import { sql } from 'drizzle-orm';
import type { UsagePeriod } from '@cbp/contracts';
import { queryRows, withTenant, type AppDb } from '../../platform/db.js';
import { periodKey, shiftMonths } from './usage-periods.js';
import { ensureQuotas } from './usage.service.js';

/** How far back the list goes at most (the rollup keeps longer history for trends). */
const maxPastPeriods = 36;

/**
 * The billing periods a tenant can look at, newest first: the current one, then every earlier
 * period since its first recorded usage: closed ones (frozen summaries) and earlier history
 * known only from the daily rollup (imported, or from before CBP closed periods). Periods are
 * aligned on the current period's start day, as `GET /usage/analytics` computes them. Empty
 * for a tenant without quotas. Two statements in one tenant transaction, plus the quotas.
 */
export async function listUsagePeriods(db: AppDb, tenantId: string): Promise<UsagePeriod[]> {
  return withTenant(db, tenantId, async (tx) => {
    const [first] = await ensureQuotas(tx, tenantId);
    if (!first) return [];
    const currentStart = first.periodStart;
    const [earliest] = await queryRows<{ day: string | null }>(
      tx,
      sql`SELECT to_char(min(day), 'YYYY-MM-DD') AS day FROM usage_daily
          WHERE tenant_id = ${tenantId} AND day < (${currentStart.toISOString()}::timestamptz AT TIME ZONE 'UTC')::date`,
    );
    const closed = await queryRows<{ period_start: string; period_end: string }>(
      tx,
      sql`SELECT DISTINCT to_char(period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS period_start,
                          to_char(period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS period_end
          FROM usage_summaries WHERE tenant_id = ${tenantId}`,
    );

    const periods: UsagePeriod[] = [
      { billingPeriod: periodKey(currentStart), periodStart: currentStart.toISOString(), periodEnd: first.periodEnd.toISOString(), current: true, closed: false },
    ];
    const closedKeys = new Set<string>();
    for (const row of closed) {
      const start = new Date(row.period_start);
      closedKeys.add(periodKey(start));
      periods.push({ billingPeriod: periodKey(start), periodStart: start.toISOString(), periodEnd: new Date(row.period_end).toISOString(), current: false, closed: true });
    }
    // Rollup history: every period from the one holding the earliest recorded day up to the current one.
    if (earliest?.day) {
      const day = new Date(`${earliest.day}T00:00:00.000Z`);
      let offset = (day.getUTCFullYear() - currentStart.getUTCFullYear()) * 12 + (day.getUTCMonth() - currentStart.getUTCMonth());
      if (shiftMonths(currentStart, offset) > day) offset -= 1;
      for (let o = Math.max(offset, -maxPastPeriods); o < 0; o++) {
        const start = shiftMonths(currentStart, o);
        if (closedKeys.has(periodKey(start))) continue;
        periods.push({ billingPeriod: periodKey(start), periodStart: start.toISOString(), periodEnd: shiftMonths(currentStart, o + 1).toISOString(), current: false, closed: false });
      }
    }
    const [current, ...past] = periods;
    past.sort((a, b) => b.periodStart.localeCompare(a.periodStart));
    return current ? [current, ...past.slice(0, maxPastPeriods)] : [];
  });
}
