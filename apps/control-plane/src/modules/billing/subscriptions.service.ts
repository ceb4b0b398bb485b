import { metricNames, metricTypes, type MetricType, type PlanChangePreview, type PlanLimitImpact, type Subscription } from '@cbp/contracts';
import type { GatewaySubscription, PaymentGateway } from '../../adapters/payments/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { RequestContext } from '../../platform/context.js';
import { readTenant, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import {
  customerOf,
  insertCustomer,
  insertSubscription,
  planById,
  planByKey,
  setTenantPlan,
  subscriptionOf,
  subscriptionWithPlan,
  updateSubscription,
  type PlanRow,
  type SubscriptionRow,
} from './billing.repo.js';
import { listMembers } from '../team/team.service.js';
import { usageStatus } from '../usage/usage.service.js';
import { planFrom, subscriptionFrom } from './mappers.js';
import type { InvoiceParty } from './invoice-pdf.js';

export interface BillingDeps {
  db: AppDb;
  gateway: PaymentGateway;
  /** The seller printed on invoice PDFs (INVOICE_SELLER_* configuration); a default name without it. */
  seller?: InvoiceParty;
  /**
   * The customer's billing identity for invoice PDFs: legal name, postal address lines and tax id
   * from the organization profile (issue 15 supplies it in app.ts). Without it, or when it answers
   * null, the PDF names the tenant only.
   */
  customerBillingDetails?: CustomerBillingDetails;
}

/** See `BillingDeps.customerBillingDetails`. */
export type CustomerBillingDetails = (tenantId: string) => Promise<Partial<InvoiceParty> | null>;

async function requireSubscription(tx: ScopedTx, tenantId: string): Promise<{ sub: SubscriptionRow; plan: PlanRow }> {
  // One statement (issue 18): the subscription with its plan.
  const found = await subscriptionWithPlan(tx, tenantId);
  if (!found) throw notFound('Subscription');
  return found;
}

function gatewayIdOf(sub: SubscriptionRow): string {
  if (!sub.gatewaySubscriptionId) {
    throw new AppError(409, 'NOT_PROVISIONED', 'This subscription is not connected to the payment gateway yet.');
  }
  return sub.gatewaySubscriptionId;
}

/** Mirror fields of a gateway subscription (what the API serves). */
export function mirrorOf(g: GatewaySubscription, planId: string) {
  return {
    planId,
    status: g.status,
    currentPeriodStart: g.currentPeriodStart,
    currentPeriodEnd: g.currentPeriodEnd,
    cancelAtPeriodEnd: g.cancelAtPeriodEnd,
    trialEnd: g.trialEnd,
    gatewaySubscriptionId: g.id,
    updatedAt: new Date(),
  };
}

/** The tenant's customer id at the gateway. */
export async function customerIdOf(db: AppDb, tenantId: string): Promise<string> {
  const customer = await withTenant(db, tenantId, (tx) => customerOf(tx, tenantId));
  if (!customer) throw new AppError(409, 'NOT_PROVISIONED', 'This organization has no billing account yet.');
  return customer.customerId;
}

/** Whether the tenant's subscription costs money (it then needs a payment method to charge). */
export async function subscriptionIsPaid(db: AppDb, tenantId: string): Promise<boolean> {
  return withTenant(db, tenantId, async (tx) => {
    const sub = await subscriptionOf(tx, tenantId);
    if (!sub || sub.status === 'canceled') return false;
    const plan = await planById(tx, sub.planId);
    return (plan?.priceMonthly ?? 0) > 0;
  });
}

export async function currentSubscription({ db }: BillingDeps, tenantId: string): Promise<Subscription> {
  return readTenant(db, tenantId, async (tx) => {
    const { sub, plan } = await requireSubscription(tx, tenantId);
    return subscriptionFrom(sub, plan);
  });
}

async function targetPlan(db: AppDb, planId: string, current: PlanRow): Promise<PlanRow> {
  const plan = await planById(db, planId);
  if (!plan) throw new AppError(404, 'NOT_FOUND', 'Plan not found.');
  if (plan.id === current.id) throw new AppError(422, 'SAME_PLAN', `The subscription is already on the ${plan.name} plan.`);
  return plan;
}

const count = (n: number) => n.toLocaleString('en-US');
const isMetric = (metric: string): metric is MetricType => (metricTypes as readonly string[]).includes(metric);

/**
 * Each limit of `next` the organization is above now, and what the change does about it
 * (contracts `PlanLimitOutcome`; docs/decisions/004): seats are refused, usage is blocked above
 * the hard limit or billed as overage above the included quantity from the next period.
 */
export async function planLimitImpacts(db: AppDb, tenantId: string, next: PlanRow): Promise<PlanLimitImpact[]> {
  const usage = new Map((await usageStatus(db, tenantId)).map((s) => [s.metricType, s.currentUsage]));
  const impacts: PlanLimitImpact[] = [];
  for (const [metric, limit] of Object.entries(next.limits)) {
    if (!isMetric(metric)) continue;
    const { name, unit } = metricNames[metric];
    const base = { metricType: metric, included: limit.included, hardLimit: limit.hardLimit, overagePrice: limit.overagePrice, overageUnit: limit.overageUnit };
    if (metric === 'users') {
      const members = (await listMembers(db, tenantId, { page: 1, limit: 1, status: 'active' })).total;
      const seats = limit.hardLimit ?? limit.included;
      if (members > seats) {
        const extra = members - seats;
        impacts.push({
          ...base,
          current: members,
          outcome: 'refused',
          message: `${count(members)} active members; the ${next.name} plan allows ${count(seats)}. Remove or suspend ${count(extra)} member${extra === 1 ? '' : 's'} first.`,
        });
      }
      continue;
    }
    const current = usage.get(metric) ?? 0;
    if (limit.hardLimit !== null && current > limit.hardLimit) {
      impacts.push({
        ...base,
        current,
        outcome: 'blocked',
        message: `${name}: ${count(current)} ${unit} this period; the ${next.name} plan stops at ${count(limit.hardLimit)} ${unit} a period. From the next period, usage above that is refused.`,
      });
    } else if (current > limit.included && limit.overagePrice > 0) {
      impacts.push({
        ...base,
        current,
        outcome: 'overage',
        message: `${name}: ${count(current)} ${unit} this period; the ${next.name} plan includes ${count(limit.included)} ${unit}. From the next period, usage above that is billed as overage.`,
      });
    }
  }
  return impacts;
}

function refusal(impacts: readonly PlanLimitImpact[]): AppError | null {
  const refused = impacts.filter((i) => i.outcome === 'refused');
  if (refused.length === 0) return null;
  return new AppError(422, 'PLAN_LIMITS_EXCEEDED', refused.map((i) => i.message).join(' '));
}

/** Proration is computed at a whole second, as Stripe does, so a preview can be replayed exactly. */
const wholeSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

export async function previewPlanChange(deps: BillingDeps, tenantId: string, planId: string): Promise<PlanChangePreview> {
  const { sub, plan: current } = await withTenant(deps.db, tenantId, (tx) => requireSubscription(tx, tenantId));
  const next = await targetPlan(deps.db, planId, current);
  const prorationDate = wholeSecond(new Date());
  const quote = await deps.gateway.previewPlanChange({ subscriptionId: gatewayIdOf(sub), planKey: next.key, prorationDate });
  const limitImpacts = await planLimitImpacts(deps.db, tenantId, next);
  return {
    currentPlan: planFrom(current),
    newPlan: planFrom(next),
    direction: next.priceMonthly > current.priceMonthly ? 'upgrade' : next.priceMonthly < current.priceMonthly ? 'downgrade' : 'same',
    prorationDate: prorationDate.toISOString(),
    lines: quote.prorationLines,
    prorationAmount: quote.prorationLines.reduce((sum, l) => sum + l.amount, 0),
    nextInvoiceAmount: quote.nextInvoiceAmount,
    nextInvoiceDate: quote.nextInvoiceDate.toISOString(),
    currency: quote.currency,
    limitImpacts,
    allowed: refusal(limitImpacts) === null,
  };
}

/**
 * Changes plan at the gateway (prorations go to the next invoice), then records the new plan
 * and the audit entry together. `prorationDate` from a preview makes the charge match it.
 */
export async function changePlan(
  deps: BillingDeps,
  ctx: RequestContext & { tenantId: string },
  planId: string,
  prorationDate?: Date,
): Promise<Subscription> {
  const { sub, plan: current } = await withTenant(deps.db, ctx.tenantId, (tx) => requireSubscription(tx, ctx.tenantId));
  if (sub.status === 'canceled') throw new AppError(422, 'SUBSCRIPTION_CANCELED', 'This subscription has ended; start a new one to pick a plan.');
  const next = await targetPlan(deps.db, planId, current);
  const now = new Date();
  const at = prorationDate ?? wholeSecond(now);
  if (at.getTime() > now.getTime() + 60_000 || at.getTime() < now.getTime() - 3_600_000 || at < sub.currentPeriodStart) {
    throw new AppError(422, 'PRORATION_DATE_OUT_OF_RANGE', 'The preview has expired; preview the change again.');
  }
  const refused = refusal(await planLimitImpacts(deps.db, ctx.tenantId, next));
  if (refused) throw refused;
  const preview = await deps.gateway.previewPlanChange({ subscriptionId: gatewayIdOf(sub), planKey: next.key, prorationDate: at });
  const updated = await deps.gateway.changePlan({ subscriptionId: gatewayIdOf(sub), planKey: next.key, prorationDate: at });
  return withTenant(deps.db, ctx.tenantId, async (tx) => {
    await updateSubscription(tx, sub.id, { ...mirrorOf(updated, next.id), gatewaySyncedAt: new Date() });
    await setTenantPlan(tx, ctx.tenantId, next.id);
    await recordAuditEntry(tx, ctx, {
      action: 'subscription.plan_changed',
      targetType: 'subscription',
      targetId: sub.id,
      targetName: `${current.name} → ${next.name}`,
      before: { plan: current.name, planId: current.id, priceMonthly: current.priceMonthly },
      after: { plan: next.name, planId: next.id, priceMonthly: next.priceMonthly },
      metadata: {
        prorationDate: at.toISOString(),
        prorationAmount: preview.prorationLines.reduce((sum, l) => sum + l.amount, 0),
        currency: preview.currency,
      },
    });
    const { sub: fresh, plan } = await requireSubscription(tx, ctx.tenantId);
    return subscriptionFrom(fresh, plan);
  });
}

/** Cancel at period end (`cancel`) or undo it (`resume`); asking twice is harmless. */
export async function setCancellation(
  deps: BillingDeps,
  ctx: RequestContext & { tenantId: string },
  cancelAtPeriodEnd: boolean,
): Promise<Subscription> {
  const { sub } = await withTenant(deps.db, ctx.tenantId, (tx) => requireSubscription(tx, ctx.tenantId));
  if (sub.status === 'canceled') throw new AppError(422, 'SUBSCRIPTION_CANCELED', 'This subscription has already ended.');
  if (sub.cancelAtPeriodEnd !== cancelAtPeriodEnd) {
    const updated = await deps.gateway.setCancelAtPeriodEnd({ subscriptionId: gatewayIdOf(sub), cancelAtPeriodEnd });
    await withTenant(deps.db, ctx.tenantId, async (tx) => {
      await updateSubscription(tx, sub.id, { ...mirrorOf(updated, sub.planId), gatewaySyncedAt: new Date() });
      await recordAuditEntry(tx, ctx, {
        action: cancelAtPeriodEnd ? 'subscription.cancel_scheduled' : 'subscription.resumed',
        targetType: 'subscription',
        targetId: sub.id,
        before: { cancelAtPeriodEnd: sub.cancelAtPeriodEnd },
        after: { cancelAtPeriodEnd },
        metadata: { currentPeriodEnd: sub.currentPeriodEnd.toISOString() },
      });
    });
  }
  return currentSubscription(deps, ctx.tenantId);
}

/**
 * Gives a new tenant its gateway customer and subscription and records them (with audit),
 * the billing step of tenant provisioning.
 */
export async function provisionBilling(
  deps: BillingDeps,
  ctx: RequestContext & { tenantId: string },
  tenant: { name: string; billingEmail: string | null },
  planKey: string,
  options: { trialDays?: number } = {},
): Promise<void> {
  const plan = await planByKey(deps.db, planKey);
  if (!plan) throw new Error(`unknown plan ${planKey}`);
  const existing = await withTenant(deps.db, ctx.tenantId, (tx) => customerOf(tx, ctx.tenantId));
  const customer = existing
    ? { id: existing.customerId }
    : await deps.gateway.createCustomer({ tenantId: ctx.tenantId, name: tenant.name, email: tenant.billingEmail });
  const gatewaySub = await deps.gateway.createSubscription({ customerId: customer.id, planKey, trialDays: options.trialDays });
  await withTenant(deps.db, ctx.tenantId, async (tx) => {
    await insertCustomer(tx, { tenantId: ctx.tenantId, gateway: deps.gateway.name, customerId: customer.id });
    const current = await subscriptionOf(tx, ctx.tenantId);
    if (current) await updateSubscription(tx, current.id, { ...mirrorOf(gatewaySub, plan.id), gatewaySyncedAt: new Date() });
    else await insertSubscription(tx, { tenantId: ctx.tenantId, ...mirrorOf(gatewaySub, plan.id), gatewaySyncedAt: new Date() });
    await setTenantPlan(tx, ctx.tenantId, plan.id);
    await recordAuditEntry(tx, ctx, {
      action: 'subscription.created',
      targetType: 'subscription',
      targetId: gatewaySub.id,
      targetName: plan.name,
      after: { plan: plan.name, status: gatewaySub.status, customerId: customer.id },
    });
  });
}
