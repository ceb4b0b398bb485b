import { metricNames, type MetricType } from '@cbp/contracts';
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { PaymentGateway } from '../../adapters/payments/port.js';
import { shortDate } from '../../adapters/payments/proration.js';
import { recordAuditEntry } from '../../platform/audit.js';
import { systemContext, type TenantContext } from '../../platform/context.js';
import { queryRows, withPlatformScope, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { subscriptions, usageQuotas, usageSummaries } from '../../platform/schema.js';
import { customerOf } from '../billing/billing.repo.js';
import { resetQuotas } from './quotas.service.js';


/** The invoice line of a closed period's overage, e.g. "API calls over the included 1,000,000: 12,000 calls (Oct 1 – Nov 1, 2026)". */
export function overageLineDescription(s: { metricType: string; includedQuantity: number; overageQuantity: number; periodStart: Date; periodEnd: Date }): string {
  const metric = metricNames[s.metricType as MetricType] ?? { name: s.metricType, unit: '' };
  const n = (v: number) => v.toLocaleString('en-US');
  return `${metric.name} over the included ${n(s.includedQuantity)}: ${n(s.overageQuantity)} ${metric.unit} (${shortDate(s.periodStart)} – ${shortDate(s.periodEnd)})`.replace(/ {2,}/g, ' ');
}

/**
 * The price step of a frozen summary's overage (issue 17: the line bills ceil(over / unitSize)
 * blocks at unitAmount): the metric's quota gives it when it reproduces the summary's amount,
 * else the overage is one lump sum of its amount.
 */
export function overagePricing(
  s: { totalQuantity: number; includedQuantity: number; overageQuantity: number; overageAmount: number },
  quota: { overageUnit: number; overagePrice: number } | undefined,
): { usedQuantity: number; includedQuantity: number; unitSize: number; unitAmount: number } {
  const usage = { usedQuantity: s.totalQuantity, includedQuantity: s.includedQuantity };
  if (quota && quota.overageUnit > 0 && Math.ceil(s.overageQuantity / quota.overageUnit) * quota.overagePrice === s.overageAmount) {
    return { ...usage, unitSize: quota.overageUnit, unitAmount: quota.overagePrice };
  }
  return { ...usage, unitSize: Math.max(1, s.overageQuantity), unitAmount: s.overageAmount };
}

export interface OverageBillingRun {
  invoiced: MetricType[];
  pending: MetricType[];
}

/**
 * Puts the overage of the tenant's closed periods onto its subscription's next invoice: one
 * gateway invoice item per frozen summary with overage and no item yet. The gateway call
 * happens outside any transaction, keyed by the summary's id, so a retry (after a crash, or
 * by another API copy at the same time) adds the line once; the item id is then stored with
 * its audit entry. A summary that cannot be billed now (no subscription, gateway down) stays
 * pending for the next run.
 */
export async function invoiceClosedOverage(
  db: AppDb,
  gateway: PaymentGateway,
  tenantId: string,
  ctx: TenantContext = { ...systemContext(tenantId), tenantId },
  { invoiceId }: { invoiceId?: string } = {},
): Promise<OverageBillingRun> {
  const added = await addOverageItems(db, gateway, tenantId, invoiceId ? { invoiceId } : {});
  const run: OverageBillingRun = { invoiced: [], pending: [...added.pending, ...added.failed.map((f) => f.metricType)] };
  for (const item of added.items) {
    const stored = await withTenant(db, tenantId, (tx) => recordOverageItem(tx, ctx, item));
    if (stored) run.invoiced.push(item.metricType);
  }
  return run;
}

/** An overage invoice item the gateway holds for a frozen summary (JSON: a workflow step's result). */
export type OverageItem = {
  summaryId: string;
  metricType: MetricType;
  itemId: string;
  overageQuantity: number;
  amount: number;
  currency: string;
  periodStart: string;
  periodEnd: string;
};

export type OverageItemsRun = {
  items: OverageItem[];
  /** No live subscription to bill on: left for a later run (the next renewal bills it at the latest). */
  pending: MetricType[];
  /** The gateway refused or was unreachable. */
  failed: { metricType: MetricType; message: string }[];
};

/**
 * The gateway half of overage billing: one invoice item per frozen summary with overage and no
 * item yet, keyed by the summary's id (`cbp-usage-overage-<id>`), so a repeat adds nothing.
 * Called outside any transaction; `recordOverageItem` then stores each item on its summary.
 */
export async function addOverageItems(
  db: AppDb,
  gateway: PaymentGateway,
  tenantId: string,
  { invoiceId }: { invoiceId?: string } = {},
): Promise<OverageItemsRun> {
  const found = await withTenant(db, tenantId, async (tx) => {
    const unbilled = await tx
      .select()
      .from(usageSummaries)
      .where(and(eq(usageSummaries.tenantId, tenantId), gt(usageSummaries.overageAmount, 0), isNull(usageSummaries.invoiceItemId)))
      .orderBy(asc(usageSummaries.periodStart), asc(usageSummaries.metricType));
    const [subscription] = unbilled.length
      ? await tx.select().from(subscriptions).where(eq(subscriptions.tenantId, tenantId)).limit(1)
      : [];
    const customer = unbilled.length ? await customerOf(tx, tenantId) : undefined;
    const quotas = unbilled.length ? await tx.select().from(usageQuotas).where(eq(usageQuotas.tenantId, tenantId)) : [];
    return { unbilled, subscription, customer, quotas };
  });
  const run: OverageItemsRun = { items: [], pending: [], failed: [] };
  const { unbilled, subscription, customer, quotas } = found;
  for (const summary of unbilled) {
    const metric = summary.metricType as MetricType;
    if (!subscription?.gatewaySubscriptionId || !customer || subscription.status === 'canceled') {
      run.pending.push(metric);
      continue;
    }
    try {
      const { id: itemId } = await gateway.addInvoiceItem({
        customerId: customer.customerId,
        subscriptionId: subscription.gatewaySubscriptionId,
        description: overageLineDescription(summary),
        amount: summary.overageAmount,
        currency: summary.currency,
        metricType: summary.metricType,
        quantity: summary.overageQuantity,
        ...overagePricing(summary, quotas.find((q) => q.metricType === summary.metricType)),
        periodStart: summary.periodStart,
        periodEnd: summary.periodEnd,
        idempotencyKey: `cbp-usage-overage-${summary.id}`,
        ...(invoiceId ? { invoiceId } : {}),
      });
      run.items.push({
        summaryId: summary.id,
        metricType: metric,
        itemId,
        overageQuantity: summary.overageQuantity,
        amount: summary.overageAmount,
        currency: summary.currency,
        periodStart: summary.periodStart.toISOString(),
        periodEnd: summary.periodEnd.toISOString(),
      });
    } catch (err) {
      run.failed.push({ metricType: metric, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return run;
}

/** Stores an overage item on its summary with its audit entry; false if it was stored already. */
export async function recordOverageItem(tx: ScopedTx, ctx: TenantContext, item: OverageItem): Promise<boolean> {
  const [row] = await tx
    .update(usageSummaries)
    .set({ invoiceItemId: item.itemId, invoicedAt: new Date() })
    .where(and(eq(usageSummaries.id, item.summaryId), isNull(usageSummaries.invoiceItemId)))
    .returning({ id: usageSummaries.id });
  if (!row) return false; // another copy stored it first
  await recordAuditEntry(tx, ctx, {
    action: 'usage.overage_invoiced',
    targetType: 'usage_summary',
    targetId: item.summaryId,
    targetName: item.metricType,
    after: { invoiceItemId: item.itemId, overageQuantity: item.overageQuantity, amount: item.amount, currency: item.currency },
    metadata: { periodStart: item.periodStart, periodEnd: item.periodEnd },
  });
  return true;
}

export interface PeriodCloseRun {
  tenants: number;
  closed: number;
  invoiced: number;
  pending: number;
  keysExpired: number;
}

/** How long idempotency keys of usage events are kept (late events are accepted for 35 days). */
const keyLifetimeMs = 36 * 86_400_000;

/**
 * The billing-period close, for the tenants with work to do (or the tenants of one gateway customer, with
 * `invoiceId` the renewal draft the overage goes on): periods
 * that have ended are closed (summaries frozen, next period started, as the system), their
 * overage goes onto the next invoice, pending overage of earlier runs is retried, and
 * idempotency keys older than any event still accepted are dropped. Safe to run in several
 * API copies at once (the close takes a per-tenant lock; invoice items are idempotent).
 */
export async function closeUsagePeriods(
  db: AppDb,
  gateway: PaymentGateway,
  { now = new Date(), customerId, invoiceId }: { now?: Date; customerId?: string; invoiceId?: string } = {},
): Promise<PeriodCloseRun> {
  // Finding the tenants spans tenants: the platform scope (decision 003). Only the tenants with
  // an ended period or overage still to bill are visited, each then in its own tenant scope.
  const tenants = await withPlatformScope(db, (tx) => queryRows<{ id: string }>(
    tx,
    customerId
      ? sql`SELECT tenant_id AS id FROM billing_customers WHERE customer_id = ${customerId}`
      : sql`SELECT tenant_id AS id FROM usage_quotas WHERE period_end <= ${now.toISOString()}::timestamptz
            UNION SELECT tenant_id FROM usage_summaries WHERE overage_amount > 0 AND invoice_item_id IS NULL
            ORDER BY id`,
  ));
  const run: PeriodCloseRun = { tenants: tenants.length, closed: 0, invoiced: 0, pending: 0, keysExpired: 0 };
  for (const { id } of tenants) {
    const ctx = { ...systemContext(id), tenantId: id };
    const closed = await resetQuotas(db, ctx, {}, now);
    run.closed += closed.reset.length;
    const billed = await invoiceClosedOverage(db, gateway, id, ctx, invoiceId ? { invoiceId } : {});
    run.invoiced += billed.invoiced.length;
    run.pending += billed.pending.length;
  }
  if (!customerId) {
    // Idempotency keys no event still accepted could collide with, in batches (BRIN on received_at).
    const cutoff = new Date(now.getTime() - keyLifetimeMs).toISOString();
    for (;;) {
      const [gone] = await withPlatformScope(db, (tx) => queryRows<{ n: string | number }>(
        tx,
        sql`WITH gone AS (
              DELETE FROM usage_event_keys WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM usage_event_keys WHERE received_at < ${cutoff}::timestamptz LIMIT 10000))
              RETURNING 1)
            SELECT count(*) AS n FROM gone`,
      ));
      const n = Number(gone?.n ?? 0);
      run.keysExpired += n;
      if (n < 10_000) break;
    }
  }
  return run;
}
