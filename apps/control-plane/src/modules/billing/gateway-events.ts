import { sql } from 'drizzle-orm';
import type { GatewayEvent, GatewayInvoice, PaymentGateway } from '../../adapters/payments/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import { systemContext } from '../../platform/context.js';
import { queryRows, scopeToTenant, withPlatformScope, type AppDb, type ScopedTx } from '../../platform/db.js';
import { publishEvent } from '../../platform/events.js';
import { webhookEvents } from '../../platform/schema.js';
import {
  invoiceByGatewayId,
  planByKey,
  setTenantPlan,
  subscriptionByGatewayId,
  tenantOfCustomer,
  updateSubscription,
  upsertInvoice,
} from './billing.repo.js';
import { applyPaymentMethodEvent, tenantOfPaymentMethod, type PaymentMethodEvent } from '../payment-methods/payment-methods.events.js';
import { closeUsagePeriods } from '../usage/usage-billing.js';
import { mirrorOf } from './subscriptions.service.js';

/** A renewal invoice Stripe has just created as a draft (about an hour before it finalizes it). */
function opensRenewal(event: Extract<GatewayEvent, { type: 'invoice.updated' }>): boolean {
  return event.stripeType === 'invoice.created' && event.invoice.status === 'draft' && event.invoice.billingReason === 'subscription_cycle';
}

export type EventOutcome = 'applied' | 'duplicate' | 'stale' | 'ignored' | 'unknown_object';

/** Invoice states that never go back (a late "open" delivery must not reopen a paid invoice). */
const finalInvoiceStates = new Set(['paid', 'void', 'uncollectible']);

/**
 * Applies a gateway event to CBP's records exactly once: the event id is claimed in the same
 * transaction as the change, so a redelivery (even a concurrent one, which waits on the claim)
 * finds it and changes nothing; an event older than the state already applied is recorded as
 * stale and changes nothing either. A failure rolls the claim back so the sender's retry works.
 */
export async function applyGatewayEvent(
  db: AppDb,
  gateway: PaymentGateway,
  received: GatewayEvent,
  source: 'stripe' | 'local',
): Promise<EventOutcome> {
  // Payment-method payloads may be outdated by the time they arrive: apply what is true now.
  const event = await currentStateOf(gateway, received);
  if (event.type === 'invoice.updated' && opensRenewal(event)) {
    // Stripe's draft window of a renewal: the ended usage period is closed and its overage added
    // to this draft, so it is billed on the invoice that ends the period. Idempotent, and made
    // before the claim because it calls the gateway (a redelivery repeats it harmlessly).
    await closeUsagePeriods(db, gateway, { customerId: event.invoice.customerId, now: event.created, invoiceId: event.invoice.id });
  }
  // The event names a gateway object, not a tenant: found in the platform scope, then each
  // change narrows the transaction to its tenant (scopeToTenant).
  return withPlatformScope(db, async (tx) => {
    const claimed = await queryRows<{ id: string }>(
      tx,
      sql`INSERT INTO webhook_events (id, source, type, outcome) VALUES (${event.id}, ${source}, ${event.stripeType}, 'processing')
          ON CONFLICT (id) DO NOTHING RETURNING id`,
    );
    if (claimed.length === 0) return 'duplicate';
    const outcome = await applyOnce(tx, event);
    await tx.update(webhookEvents).set({ outcome }).where(sql`${webhookEvents.id} = ${event.id}`);
    return outcome;
  });
}

/**
 * Stripe's advice for webhooks: treat the event as "this object changed" and read its current
 * state. An `attached` event of a method detached since becomes a detach, and so on, so replays
 * and late deliveries converge on the gateway's truth instead of undoing newer changes.
 */
async function currentStateOf(gateway: PaymentGateway, event: GatewayEvent): Promise<GatewayEvent> {
  const base = { id: event.id, created: event.created, stripeType: event.stripeType };
  switch (event.type) {
    case 'payment_method.attached':
    case 'payment_method.updated':
    case 'payment_method.detached': {
      const id = event.type === 'payment_method.detached' ? event.paymentMethodId : event.paymentMethod.id;
      const knownCustomer = event.type === 'payment_method.detached' ? event.customerId : event.paymentMethod.customerId;
      const now = await gateway.retrievePaymentMethod(id);
      if (now?.customerId) return { ...base, type: event.type === 'payment_method.updated' ? 'payment_method.updated' : 'payment_method.attached', paymentMethod: now };
      return { ...base, type: 'payment_method.detached', paymentMethodId: id, customerId: knownCustomer };
    }
    case 'customer.default_payment_method':
      return { ...base, type: event.type, customerId: event.customerId, paymentMethodId: await gateway.defaultPaymentMethodOf(event.customerId) };
    default:
      return event;
  }
}

function applyOnce(tx: ScopedTx, event: GatewayEvent): Promise<EventOutcome> {
  switch (event.type) {
    case 'ignored':
      return Promise.resolve('ignored');
    case 'subscription.updated':
    case 'subscription.deleted':
      return applySubscription(tx, event);
    case 'invoice.updated':
      return applyInvoice(tx, event.invoice, event);
    case 'payment_method.attached':
    case 'payment_method.updated':
      return applyToCustomer(tx, event.paymentMethod.customerId, event);
    case 'payment_method.detached':
    case 'customer.default_payment_method':
      return applyToCustomer(tx, event.customerId, event);
  }
}

async function applyToCustomer(tx: ScopedTx, customerId: string | null, event: PaymentMethodEvent): Promise<EventOutcome> {
  // A detach event may not name the customer: find it through the method CBP knows.
  const tenantId = customerId
    ? await tenantOfCustomer(tx, customerId)
    : event.type === 'payment_method.detached'
      ? await tenantOfPaymentMethod(tx, event.paymentMethodId)
      : undefined;
  if (!tenantId) return 'unknown_object';
  await scopeToTenant(tx, tenantId);
  await applyPaymentMethodEvent(tx, tenantId, event);
  return 'applied';
}

async function applySubscription(
  tx: ScopedTx,
  event: Extract<GatewayEvent, { type: 'subscription.updated' | 'subscription.deleted' }>,
): Promise<EventOutcome> {
  const g = event.type === 'subscription.deleted' ? { ...event.subscription, status: 'canceled' as const } : event.subscription;
  const mirror = await subscriptionByGatewayId(tx, g.id);
  if (!mirror) return 'unknown_object';
  if (mirror.gatewaySyncedAt && mirror.gatewaySyncedAt > event.created) return 'stale';
  const plan = await planByKey(tx, g.planKey);
  if (!plan) return 'unknown_object';
  await scopeToTenant(tx, mirror.tenantId);
  const after = mirrorOf(g, plan.id);
  await updateSubscription(tx, mirror.id, { ...after, gatewaySyncedAt: event.created });
  if (plan.id !== mirror.planId) await setTenantPlan(tx, mirror.tenantId, plan.id);
  const changed = {
    ...(plan.id !== mirror.planId ? { planId: [mirror.planId, plan.id] } : {}),
    ...(g.status !== mirror.status ? { status: [mirror.status, g.status] } : {}),
    ...(g.cancelAtPeriodEnd !== mirror.cancelAtPeriodEnd ? { cancelAtPeriodEnd: [mirror.cancelAtPeriodEnd, g.cancelAtPeriodEnd] } : {}),
  };
  if (Object.keys(changed).length > 0) {
    await recordAuditEntry(tx, systemContext(mirror.tenantId), {
      action: event.type === 'subscription.deleted' ? 'subscription.ended' : 'subscription.synced',
      targetType: 'subscription',
      targetId: mirror.id,
      before: Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, v[0]])),
      after: Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, v[1]])),
      metadata: { source: 'gateway', eventId: event.id, eventType: event.stripeType },
    });
  }
  return 'applied';
}

async function applyInvoice(tx: ScopedTx, g: GatewayInvoice, event: GatewayEvent): Promise<EventOutcome> {
  const tenantId = await tenantOfCustomer(tx, g.customerId);
  if (!tenantId) return 'unknown_object';
  const existing = await invoiceByGatewayId(tx, g.id);
  if (existing?.gatewaySyncedAt && existing.gatewaySyncedAt > event.created) return 'stale';
  if (existing && finalInvoiceStates.has(existing.status) && !finalInvoiceStates.has(g.status)) return 'stale';
  await scopeToTenant(tx, tenantId);
  await upsertInvoice(
    tx,
    {
      tenantId,
      gatewayInvoiceId: g.id,
      number: g.number ?? g.id,
      status: g.status,
      currency: g.currency,
      subtotal: g.subtotal,
      amountDue: g.amountDue,
      amountPaid: g.amountPaid,
      periodStart: g.periodStart,
      periodEnd: g.periodEnd,
      dueDate: g.dueDate,
      paidAt: g.paidAt,
      gatewaySyncedAt: event.created,
      createdAt: g.created,
    },
    g.lines,
  );
  if (existing?.status !== g.status) {
    await recordAuditEntry(tx, systemContext(tenantId), {
      action: `invoice.${g.status}`,
      targetType: 'invoice',
      targetId: existing?.id ?? g.id,
      targetName: g.number ?? g.id,
      before: existing ? { status: existing.status } : null,
      after: { status: g.status, amountDue: g.amountDue, amountPaid: g.amountPaid },
      metadata: { source: 'gateway', eventId: event.id, eventType: event.stripeType },
    });
  }
  // Domain events (issue 14), in this transaction: an invoice issued (first seen open or paid), a payment that failed.
  const facts = { invoiceId: (await invoiceByGatewayId(tx, g.id))?.id ?? null, number: g.number ?? g.id, amountDue: g.amountDue, currency: g.currency };
  const issuedBefore = existing !== undefined && existing !== null && (existing.status === 'open' || finalInvoiceStates.has(existing.status));
  if ((g.status === 'open' || g.status === 'paid') && !issuedBefore) await publishEvent(tx, { type: 'invoice.issued', tenantId, payload: facts });
  if (event.stripeType === 'invoice.payment_failed') await publishEvent(tx, { type: 'payment.failed', tenantId, payload: facts });
  return 'applied';
}
