import { and, eq } from 'drizzle-orm';
import type { MetricLimit } from '@cbp/contracts';
import type { PaymentGateway } from '../adapters/payments/port.js';
import { shiftMonths, shortDate } from '../adapters/payments/proration.js';
import { provisionBilling } from '../modules/billing/subscriptions.service.js';
import { systemContext } from '../platform/context.js';
import { withTenant, type AppDb } from '../platform/db.js';
import { invoiceLines, invoices, plans, subscriptions } from '../platform/schema.js';

interface DemoBilling {
  tenantId: string;
  name: string;
  slug: string;
  planKey: string;
  paidMonths: number;
  /** API calls used per past period, oldest first (drives the usage lines). */
  apiCalls: number[];
}

const monthName = (d: Date) => d.toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });

function usageLine(limit: MetricLimit | undefined, used: number, start: Date, end: Date) {
  if (!limit) return null;
  const units = Math.ceil(Math.max(0, used - limit.included) / limit.overageUnit);
  return {
    kind: 'usage' as const,
    description: `API calls ${shortDate(start)} – ${shortDate(end)}: ${used.toLocaleString('en-US')} (${limit.included.toLocaleString('en-US')} included)`,
    metricType: 'api_calls',
    // Billed in the priced unit (issue 17): `units` blocks of `overageUnit` calls.
    quantity: units,
    unitAmount: limit.overagePrice,
    unitSize: limit.overageUnit,
    usedQuantity: used,
    includedQuantity: limit.included,
    amount: units * limit.overagePrice,
    periodStart: start,
    periodEnd: end,
  };
}

/**
 * Provisions a demo tenant's billing like any new tenant (gateway customer and subscription),
 * then gives it a history of monthly invoices before that: plan in advance, API-call overage
 * in arrears. Past periods are paid; the current period's invoice is open.
 */
export async function seedDemoBilling(db: AppDb, gateway: PaymentGateway, demo: DemoBilling): Promise<void> {
  const ctx = { ...systemContext(demo.tenantId), tenantId: demo.tenantId };
  await provisionBilling({ db, gateway }, ctx, { name: demo.name, billingEmail: null }, demo.planKey);
  const [plan] = await db.select().from(plans).where(eq(plans.key, demo.planKey)).limit(1);
  if (!plan) throw new Error(`plan ${demo.planKey} missing`);

  await withTenant(db, demo.tenantId, async (tx) => {
    const [sub] = await tx.select().from(subscriptions).where(and(eq(subscriptions.tenantId, demo.tenantId))).limit(1);
    if (!sub) throw new Error('provisioning left no subscription');
    for (let i = 0; i <= demo.paidMonths; i++) {
      const start = shiftMonths(sub.currentPeriodStart, i - demo.paidMonths);
      const end = shiftMonths(start, 1);
      const open = i === demo.paidMonths;
      const used = demo.apiCalls[i];
      const usage = used === undefined ? null : usageLine(plan.limits.api_calls, used, shiftMonths(start, -1), start);
      const lines = [
        {
          kind: 'subscription' as const,
          description: `${plan.name} plan (${monthName(start)})`,
          metricType: null,
          quantity: 1,
          unitAmount: plan.priceMonthly,
          amount: plan.priceMonthly,
          periodStart: start,
          periodEnd: end,
        },
        ...(usage ? [usage] : []),
      ];
      const subtotal = lines.reduce((sum, l) => sum + l.amount, 0);
      const [invoice] = await tx
        .insert(invoices)
        .values({
          tenantId: demo.tenantId,
          gatewayInvoiceId: `in_demo_${demo.slug}_${i + 1}`,
          number: `${demo.slug.toUpperCase()}-${String(i + 1).padStart(4, '0')}`,
          status: open ? 'open' : 'paid',
          currency: plan.currency,
          subtotal,
          amountDue: subtotal,
          amountPaid: open ? 0 : subtotal,
          periodStart: start,
          periodEnd: end,
          dueDate: new Date(start.getTime() + 14 * 86_400_000),
          paidAt: open ? null : new Date(start.getTime() + 2 * 3_600_000),
          gatewaySyncedAt: start,
          createdAt: start,
        })
        .returning({ id: invoices.id });
      if (!invoice) throw new Error('invoice insert returned nothing');
      await tx.insert(invoiceLines).values(lines.map((l, position) => ({ ...l, invoiceId: invoice.id, tenantId: demo.tenantId, position })));
    }
  });
}
