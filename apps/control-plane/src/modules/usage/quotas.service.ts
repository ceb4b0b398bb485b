import { eq, sql } from 'drizzle-orm';
import { hasRoleAtLeast, type InitializeQuotasResult, type MetricType, type Quota, type ResetQuotasResult } from '@cbp/contracts';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext as TenantCtx } from '../../platform/context.js';
import { withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { plans, tenants, usageQuotas, usageSummaries } from '../../platform/schema.js';
import { eventsBetween, quotasOf, type QuotaRow } from './usage.repo.js';
import { overageOf, shiftMonths } from './usage-periods.js';
import { ensureQuotas, quotaFrom, raiseUsageAlerts } from './usage.service.js';


/** Changes the soft limit (alerts only; the hard limit comes from the plan). */
export async function updateSoftLimit(db: AppDb, ctx: TenantCtx, metric: MetricType, softLimit: number | null): Promise<Quota> {
  return withTenant(db, ctx.tenantId, async (tx) => {
    const quota = (await ensureQuotas(tx, ctx.tenantId)).find((q) => q.metricType === metric);
    if (!quota) throw notFound('Quota');
    if (softLimit !== null && quota.hardLimit !== null && softLimit >= quota.hardLimit) {
      throw new AppError(422, 'BUSINESS_RULE', `The soft limit must stay below the hard limit (${quota.hardLimit.toLocaleString('en-US')}).`);
    }
    if (softLimit === quota.softLimit) return quotaFrom(quota);
    const [updated] = await tx.update(usageQuotas).set({ softLimit, updatedAt: new Date() }).where(eq(usageQuotas.id, quota.id)).returning();
    if (!updated) throw notFound('Quota');
    await recordAuditEntry(tx, ctx, {
      action: 'quota.soft_limit_changed',
      targetType: 'quota',
      targetId: quota.id,
      targetName: metric,
      before: { softLimit: quota.softLimit },
      after: { softLimit },
    });
    await raiseUsageAlerts(tx, ctx.tenantId);
    return quotaFrom(updated);
  });
}

/**
 * Creates the quotas of the tenant's current plan that do not exist yet. Another plan's
 * limits only for platform staff: a tenant never raises its own limits.
 */
export async function initializeQuotas(db: AppDb, ctx: TenantCtx, planId: string | undefined): Promise<InitializeQuotasResult> {
  return withTenant(db, ctx.tenantId, async (tx) => {
    const [tenant] = await tx.select({ planId: tenants.planId }).from(tenants).where(eq(tenants.id, ctx.tenantId)).limit(1);
    if (planId && planId !== tenant?.planId && !hasRoleAtLeast(ctx.role, 'super_admin')) {
      throw new AppError(422, 'BUSINESS_RULE', "Quotas come from the organization's current plan; change the plan to change them.");
    }
    const [plan] = await tx.select().from(plans).where(eq(plans.id, planId ?? tenant?.planId ?? '')).limit(1);
    if (!plan) throw notFound('Plan');
    const before = (await quotasOf(tx, ctx.tenantId)).length;
    const after = (await ensureQuotas(tx, ctx.tenantId, plan)).length;
    const created = after - before;
    if (created > 0) {
      await recordAuditEntry(tx, ctx, { action: 'quota.initialized', targetType: 'quota', targetName: plan.name, after: { plan: plan.name, quotas: created } });
    }
    return { quotasCreated: created, planTier: plan.tier };
  });
}

async function closeAndReset(tx: ScopedTx, ctx: TenantCtx, q: QuotaRow, now: Date) {
  const overage = overageOf(q, q.currentUsage);
  await tx
    .insert(usageSummaries)
    .values({
      tenantId: ctx.tenantId,
      metricType: q.metricType,
      periodStart: q.periodStart,
      periodEnd: q.periodEnd,
      totalQuantity: q.currentUsage,
      includedQuantity: q.includedQuantity,
      overageQuantity: overage.quantity,
      overageAmount: overage.amount,
      currency: q.currency,
      eventCount: q.currentEvents,
    })
    .onConflictDoNothing();
  // The next period follows the closed one (several months at once after a long pause).
  let start = q.periodEnd;
  while (shiftMonths(start, 1) <= now) start = shiftMonths(start, 1);
  const end = shiftMonths(start, 1);
  const [used] = (await eventsBetween(tx, ctx.tenantId, start, end)).filter((r) => r.metric_type === q.metricType);
  await tx
    .update(usageQuotas)
    .set({ periodStart: start, periodEnd: end, currentUsage: Number(used?.quantity ?? 0), currentEvents: Number(used?.events ?? 0), updatedAt: now })
    .where(eq(usageQuotas.id, q.id));
  await recordAuditEntry(tx, ctx, {
    action: 'quota.reset',
    targetType: 'quota',
    targetId: q.id,
    targetName: q.metricType,
    before: { periodStart: q.periodStart.toISOString(), usage: q.currentUsage },
    after: { periodStart: start.toISOString(), usage: Number(used?.quantity ?? 0) },
    metadata: { overageQuantity: overage.quantity, overageAmount: overage.amount, currency: q.currency },
  });
  return start;
}

/**
 * Closes the periods that have ended (summary frozen with its overage, counter restarted for
 * the next period) and skips the others: a tenant can never zero its own unbilled usage.
 * `force` (platform staff only) closes a period early.
 */
export async function resetQuotas(
  db: AppDb,
  ctx: TenantCtx,
  input: { metricType?: MetricType; force?: boolean },
  now = new Date(),
): Promise<Omit<ResetQuotasResult, 'invoiced' | 'invoicePending'>> {
  if (input.force && !hasRoleAtLeast(ctx.role, 'super_admin')) throw new AppError(403, 'FORBIDDEN', 'Only platform staff can close a period before it ends.');
  return withTenant(db, ctx.tenantId, (tx) => closeEndedPeriods(tx, ctx, input, now));
}

/** `resetQuotas` in the caller's tenant transaction (the period-close workflow's local step). */
export async function closeEndedPeriods(
  tx: ScopedTx,
  ctx: TenantCtx,
  input: { metricType?: MetricType; force?: boolean },
  now: Date,
): Promise<Omit<ResetQuotasResult, 'invoiced' | 'invoicePending'>> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`usage-period:${ctx.tenantId}`}))`);
  const quotas = (await ensureQuotas(tx, ctx.tenantId)).filter((q) => !input.metricType || q.metricType === input.metricType);
  if (input.metricType && quotas.length === 0) throw notFound('Quota');
  const reset: MetricType[] = [];
  const skipped: MetricType[] = [];
  let periodStart: Date | null = null;
  for (const q of quotas) {
    if (q.periodEnd > now && !input.force) {
      skipped.push(q.metricType as MetricType);
      continue;
    }
    const closeAt = input.force && q.periodEnd > now ? { ...q, periodEnd: now } : q;
    periodStart = await closeAndReset(tx, ctx, closeAt, now);
    reset.push(q.metricType as MetricType);
  }
  return { reset, skipped, periodStart: periodStart ? periodStart.toISOString() : null };
}
