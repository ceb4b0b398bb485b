import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { reviveEvent, type LocalGateway } from '../../adapters/payments/local.js';
import type { GatewayEvent, PaymentGateway } from '../../adapters/payments/port.js';
import { defineWorkflow, NonRetryableError, type WorkflowContext, type WorkflowEngine } from '../../adapters/workflows/port.js';
import { queryRows, withPlatformScope, type AppDb, type ScopedTx } from '../../platform/db.js';
import { stripeEventInbox } from '../../platform/schema.js';
import { closeUsagePeriods } from '../usage/usage-billing.js';
import { tenantOfCustomer } from './billing.repo.js';
import { applyGatewayEvent } from './gateway-events.js';

// CBP's billing work as workflows (issue 13; the table of workflows is in docs/ARCHITECTURE.md):
// - `billing.renewal`: the local gateway's billing clock, one run per subscription period
//   (`renewal:<subscription>:<period end>`), tenant-scoped. It waits durably until the period
//   ends, closes the ended usage period (its overage goes on the renewal invoice), then closes
//   the billing period in ONE local step: the gateway's subscription row locked, its period checked
//   again, invoice + subscription + events committed with the step's checkpoint. A crash anywhere
//   leaves either all of it or nothing, so a period is billed exactly once.
// - `billing.stripe-event`: a verified Stripe webhook, stored by the route with its run in one
//   transaction (`stripe.event:<event id>`), applied here (`applyGatewayEvent`).

export const renewalWorkflowType = 'billing.renewal';
export const stripeEventWorkflowType = 'billing.stripe-event';

export const renewalWorkflowId = (subscriptionId: string, periodEnd: string) => `renewal:${subscriptionId}:${periodEnd}`;
export const stripeEventWorkflowId = (eventId: string) => `stripe.event:${eventId}`;

/** Test hook (CBP_TEST_CRASH_AT): where the process kills itself with SIGKILL. */
export type CrashPoint = 'renewal-after-invoice';

export interface BillingWorkflowDeps {
  db: AppDb;
  gateway: PaymentGateway;
  /** The local gateway, whose billing clock the renewal workflow runs (null with Stripe: Stripe renews). */
  local: LocalGateway | null;
  crashAt?: CrashPoint | undefined;
}

/**
 * Waits durably until `at` (ISO 8601). The clock is read in a step (workflow code stays
 * deterministic: a replay sleeps until the same stored wake-up time).
 */
export async function waitUntil(ctx: WorkflowContext, at: string, name = 'wait-for-period-end'): Promise<void> {
  const now = await ctx.step('read-clock', async () => new Date().toISOString());
  await ctx.sleep(name, Math.max(0, Date.parse(at) - Date.parse(now)));
}

const RenewalInput = z.object({ subscriptionId: z.string().min(1), periodEnd: z.iso.datetime() });
const StripeEventInput = z.object({ eventId: z.string().min(1) });

export function billingWorkflows({ db, gateway, local, crashAt }: BillingWorkflowDeps) {
  const renewal = defineWorkflow({
    type: renewalWorkflowType,
    parseInput: (input) => RenewalInput.parse(input),
    async run(ctx, { subscriptionId, periodEnd }) {
      if (!local) throw new NonRetryableError('The billing clock runs on the local gateway only (Stripe renews its own subscriptions).');
      await waitUntil(ctx, periodEnd);
      // Stripe's invoice.created draft window: the ended usage period is closed and its overage
      // added as invoice items before the invoice is drawn up (idempotent: a per-tenant lock,
      // invoice items keyed by summary id).
      const usage = await ctx.remoteStep('close-usage-period', async () => {
        const subscription = await local.retrieveSubscription(subscriptionId);
        if (!subscription || subscription.status === 'canceled' || subscription.cancelAtPeriodEnd) return { skipped: true, closed: 0, invoiced: 0, pending: 0 };
        if (subscription.currentPeriodEnd.getTime() !== Date.parse(periodEnd)) return { skipped: true, closed: 0, invoiced: 0, pending: 0 };
        const run = await closeUsagePeriods(db, gateway, { customerId: subscription.customerId, now: subscription.currentPeriodEnd });
        return { skipped: false, closed: run.closed, invoiced: run.invoiced, pending: run.pending };
      });
      // The invoice and the subscription's next period commit together with this checkpoint.
      const closed = await ctx.step('invoice-and-renew', async ({ tx }) =>
        local.closeDuePeriod(tx, subscriptionId, periodEnd, new Date(), {
          afterInvoice: crashAt === 'renewal-after-invoice' ? () => process.kill(process.pid, 'SIGKILL') : undefined,
        }),
      );
      // The gateway's events (invoice paid or failed, subscription updated) update CBP's mirror now
      // rather than at the next tick; each event id is applied once (webhook_events).
      const synced = await ctx.remoteStep('sync-billing-mirror', async () => ({ delivered: await local.deliverEvents() }));
      return { ...closed, usageClosed: usage.closed, overageInvoiced: usage.invoiced, eventsDelivered: synced.delivered };
    },
  });

  const stripeEvent = defineWorkflow({
    type: stripeEventWorkflowType,
    parseInput: (input) => StripeEventInput.parse(input),
    // Like Stripe's own redelivery: a few quick retries, then backing off to ten minutes.
    retry: { maxAttempts: 8, initialIntervalMs: 2_000, backoffCoefficient: 3, maxIntervalMs: 600_000 },
    async run(ctx, { eventId }) {
      // Applied in its own transaction, which claims the event id (webhook_events) with the change:
      // a repeat of this step (crash before its checkpoint) finds the claim and changes nothing.
      const applied = await ctx.remoteStep('apply-event', async () => {
        const [row] = await withPlatformScope(db, (tx) => tx.select().from(stripeEventInbox).where(eq(stripeEventInbox.id, eventId)).limit(1));
        if (!row) throw new NonRetryableError(`Stripe event ${eventId} is not in the inbox`);
        const outcome = await applyGatewayEvent(db, gateway, reviveEvent(JSON.stringify(row.payload)), 'stripe');
        return { outcome };
      });
      return { eventId, outcome: applied.outcome };
    },
  });

  return [renewal, stripeEvent] as const;
}

/** The gateway customer an event is about, if it names one. */
function customerOfEvent(event: GatewayEvent): string | null {
  switch (event.type) {
    case 'subscription.updated':
    case 'subscription.deleted':
      return event.subscription.customerId;
    case 'invoice.updated':
      return event.invoice.customerId;
    case 'payment_method.attached':
    case 'payment_method.updated':
      return event.paymentMethod.customerId;
    case 'payment_method.detached':
    case 'customer.default_payment_method':
      return event.customerId;
    case 'ignored':
      return null;
  }
}

/**
 * Stores a verified Stripe event and starts its workflow in the same transaction (the caller
 * wakes the engine after the commit). Null when the event id was stored before (a redelivery).
 * The run belongs to the customer's tenant when CBP knows the customer, else it is a platform run.
 */
export async function enqueueStripeEvent(db: AppDb, engine: WorkflowEngine, event: GatewayEvent): Promise<{ runId: string } | null> {
  return withPlatformScope(db, async (tx) => {
    const [stored] = await tx
      .insert(stripeEventInbox)
      .values({ id: event.id, type: event.stripeType, payload: JSON.parse(JSON.stringify(event)) as Record<string, unknown> })
      .onConflictDoNothing({ target: stripeEventInbox.id })
      .returning({ id: stripeEventInbox.id });
    if (!stored) return null;
    const customerId = customerOfEvent(event);
    const tenantId = customerId ? ((await tenantOfCustomer(tx, customerId)) ?? null) : null;
    const started = await engine.start(
      { type: stripeEventWorkflowType, tenantId, workflowId: stripeEventWorkflowId(event.id), input: { eventId: event.id } },
      { tx },
    );
    return { runId: started.runId };
  });
}

/**
 * The billing clock's trigger (every 2 s with the local gateway): starts the renewal run of every
 * live subscription period that has none yet (a cheap anti-join on the unique workflow id; a
 * second API copy's start of the same id is a no-op), then delivers the gateway's queued events
 * (the local stand-in for Stripe's webhooks). Runs wait durably for their period's end, so each
 * tenant's next renewal is visible in `GET /workflows` from the start.
 */
export async function startRenewals(db: AppDb, engine: WorkflowEngine, { limit = 100 }: { limit?: number } = {}): Promise<number> {
  const due = await withPlatformScope(db, (tx: ScopedTx) =>
    queryRows<{ id: string; period_end: string; tenant_id: string }>(
      tx,
      sql`SELECT o.id, o.data->>'currentPeriodEnd' AS period_end, bc.tenant_id
          FROM local_gateway_objects o
          JOIN billing_customers bc ON bc.customer_id = o.customer_id
          WHERE o.object = 'subscription' AND o.data->>'status' <> 'canceled'
            AND NOT EXISTS (
              SELECT 1 FROM workflow_runs r
              WHERE r.tenant_id = bc.tenant_id AND r.workflow_id = 'renewal:' || o.id || ':' || (o.data->>'currentPeriodEnd'))
          ORDER BY o.data->>'currentPeriodEnd'
          LIMIT ${limit}`,
    ),
  );
  let started = 0;
  for (const row of due) {
    const run = await engine.start({
      type: renewalWorkflowType,
      tenantId: row.tenant_id,
      workflowId: renewalWorkflowId(row.id, row.period_end),
      input: { subscriptionId: row.id, periodEnd: row.period_end },
    });
    if (run.created) started++;
  }
  return started;
}
