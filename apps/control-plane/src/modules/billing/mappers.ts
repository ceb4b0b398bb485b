import { amountDueOf, type Invoice, type Plan, type Subscription } from '@cbp/contracts';
import type { InvoiceLineRow, InvoiceRow, PlanRow, SubscriptionRow } from './billing.repo.js';

export function planFrom(row: PlanRow): Plan {
  const { id, name, tier, priceMonthly, currency, interval, features, limits } = row;
  return { id, name, tier, priceMonthly, currency, interval, features, limits };
}

export function subscriptionFrom(row: SubscriptionRow, plan: PlanRow): Subscription {
  return {
    id: row.id,
    planId: row.planId,
    plan: planFrom(plan),
    status: row.status,
    currentPeriodStart: row.currentPeriodStart.toISOString(),
    currentPeriodEnd: row.currentPeriodEnd.toISOString(),
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    trialEnd: row.trialEnd?.toISOString() ?? null,
  };
}

export function invoiceFrom(row: InvoiceRow, lines: InvoiceLineRow[]): Invoice {
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    subtotal: row.subtotal,
    // The stored amount_due is the gateway's (Stripe's) total to collect; what is still due is derived.
    total: row.amountDue,
    amountPaid: row.amountPaid,
    amountDue: amountDueOf({ status: row.status, total: row.amountDue, amountPaid: row.amountPaid }),
    currency: row.currency,
    periodStart: row.periodStart.toISOString(),
    periodEnd: row.periodEnd.toISOString(),
    dueDate: row.dueDate?.toISOString() ?? null,
    paidAt: row.paidAt?.toISOString() ?? null,
    customer: row.customer ?? null,
    createdAt: row.createdAt.toISOString(),
    lines: lines
      .filter((l) => l.invoiceId === row.id)
      .map((l) => ({
        id: l.id,
        kind: l.kind,
        description: l.description,
        metricType: l.metricType,
        quantity: l.quantity,
        unitAmount: l.unitAmount,
        unitSize: l.unitSize,
        usedQuantity: l.usedQuantity,
        includedQuantity: l.includedQuantity,
        amount: l.amount,
        periodStart: l.periodStart.toISOString(),
        periodEnd: l.periodEnd.toISOString(),
      })),
  };
}
