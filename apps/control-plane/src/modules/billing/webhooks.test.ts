import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

const secret = 'whsec_test_cbp_webhooks';
const stripe = new Stripe('sk_test_signing_only');
let t: TestContext;
let customerId: string;
let subscriptionId: string;
let periodStart: number;
let periodEnd: number;

beforeAll(async () => {
  // Events are applied by their billing.stripe-event workflow: the engine polls every 25 ms here.
  t = await createTestContext({ STRIPE_WEBHOOK_SECRET: secret, WORKFLOW_POLL_INTERVAL_MS: '25' });
  const [row] = await platformRows<{ customer_id: string }>(t.database.db, sql`SELECT customer_id FROM billing_customers WHERE tenant_id = ${acme.id}`);
  customerId = row?.customer_id ?? '';
  const [mirror] = await platformRows<{ gateway_subscription_id: string }>(
    t.database.db,
    sql`SELECT gateway_subscription_id FROM subscriptions WHERE tenant_id = ${acme.id}`,
  );
  subscriptionId = mirror?.gateway_subscription_id ?? '';
  const sub = (await get('/subscriptions/current')).json();
  periodStart = Math.floor(new Date(sub.currentPeriodStart).getTime() / 1000);
  periodEnd = Math.floor(new Date(sub.currentPeriodEnd).getTime() / 1000);
});
afterAll(() => t.close());

async function get(url: string) {
  return t.app.inject({ url, headers: { authorization: `Bearer ${await t.tokenFor('owner@acme.test')}`, 'x-tenant-id': acme.id } });
}

function send(event: object, { sign = secret, tamper = false }: { sign?: string; tamper?: boolean } = {}) {
  const payload = JSON.stringify(event);
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: sign });
  return t.app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    payload: tamper ? payload.replace('"cancel_at_period_end":true', '"cancel_at_period_end":false') : payload,
  });
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The outcome the event's workflow reached (`stripe.event:<id>`). */
async function outcomeOf(eventId: string, timeoutMs = 15_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { data } = await t.app.workflows.list({ platform: true }, { type: 'billing.stripe-event', limit: 100 });
    const run = data.find((r) => r.workflowId === `stripe.event:${eventId}`);
    if (run && run.status !== 'running') return (run.result as { outcome?: string } | null)?.outcome ?? run.status;
    if (Date.now() > until) throw new Error(`stripe.event:${eventId} not applied: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Delivers an event as Stripe would: answered `queued` at once, then applied by its workflow. */
async function deliver(event: { id: string; [key: string]: unknown }): Promise<string> {
  const res = await send(event);
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({ received: true, outcome: 'queued' });
  return outcomeOf(event.id);
}

/** `customer.subscription.updated` as Stripe sends it (current API: period on the item). */
function subscriptionEvent(id: string, created: number, { plan = 'pro', cancel = false } = {}) {
  return {
    id,
    object: 'event',
    type: 'customer.subscription.updated',
    created,
    api_version: '2025-09-30.clover',
    data: {
      object: {
        id: subscriptionId,
        object: 'subscription',
        customer: customerId,
        status: 'active',
        cancel_at_period_end: cancel,
        trial_end: null,
        items: {
          object: 'list',
          data: [
            {
              id: 'si_demo',
              object: 'subscription_item',
              current_period_start: periodStart,
              current_period_end: periodEnd,
              price: { id: `price_${plan}`, object: 'price', lookup_key: `cbp_${plan}`, unit_amount: 19_900, currency: 'usd', recurring: { interval: 'month', usage_type: 'licensed' } },
            },
          ],
        },
      },
    },
  };
}

function invoiceEvent(id: string, type: string, created: number, status: 'open' | 'paid', gatewayId = 'in_demo_acme_7') {
  return {
    id,
    object: 'event',
    type,
    created,
    data: {
      object: {
        id: gatewayId,
        object: 'invoice',
        customer: customerId,
        number: 'ACME-0007',
        status,
        currency: 'usd',
        subtotal: 19_900,
        amount_due: 19_900,
        amount_paid: status === 'paid' ? 19_900 : 0,
        period_start: periodStart,
        period_end: periodEnd,
        due_date: periodEnd,
        created: periodStart,
        status_transitions: { paid_at: status === 'paid' ? created : null },
        lines: {
          object: 'list',
          data: [
            {
              id: 'il_1',
              object: 'line_item',
              amount: 19_900,
              currency: 'usd',
              description: 'Pro plan',
              quantity: 1,
              period: { start: periodStart, end: periodEnd },
              parent: { type: 'subscription_item_details', subscription_item_details: { proration: false, subscription: subscriptionId, subscription_item: 'si_demo' } },
              pricing: { type: 'price_details', price_details: { price: 'price_pro', product: 'prod_pro' }, unit_amount_decimal: '19900' },
            },
          ],
        },
      },
    },
  };
}

const events = () => platformRows<{ id: string; outcome: string }>(t.database.db, sql`SELECT id, outcome FROM webhook_events ORDER BY received_at`);
const auditCount = async (action: string) =>
  (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM audit_logs WHERE action = ${action}`))[0]?.n;

describe('POST /webhooks/stripe', () => {
  it('refuses a bad signature with 400 and changes nothing', async () => {
    const wrongSecret = await send(subscriptionEvent('evt_bad_1', nowSeconds(), { cancel: true }), { sign: 'whsec_someone_else' });
    expect(wrongSecret.statusCode).toBe(400);
    expect(wrongSecret.json().code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const tampered = await send(subscriptionEvent('evt_bad_2', nowSeconds(), { cancel: true }), { tamper: true });
    expect(tampered.statusCode).toBe(400);
    const unsigned = await t.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(unsigned.statusCode).toBe(400);
    expect((await get('/subscriptions/current')).json().cancelAtPeriodEnd).toBe(false);
    expect(await events()).toEqual([]);
  });

  it('answers at once, applies the event in its workflow, and once however often it is delivered', async () => {
    const event = subscriptionEvent('evt_cancel_1', nowSeconds() + 5, { cancel: true });
    expect(await deliver(event)).toBe('applied');
    const again = await send(event);
    expect(again.json()).toEqual({ received: true, outcome: 'duplicate' });
    // One stored event, one run (with its step), whatever the number of deliveries.
    const runs = await platformRows<{ id: string }>(t.database.db, sql`SELECT id FROM workflow_runs WHERE workflow_id = 'stripe.event:evt_cancel_1'`);
    expect(runs).toHaveLength(1);
    const status = await t.app.inject({
      url: `/workflows/${runs[0]?.id}/status`,
      headers: { authorization: `Bearer ${await t.tokenFor('engineer@acme.test')}`, 'x-tenant-id': acme.id },
    });
    expect(status.json()).toMatchObject({ status: 'completed', tenantId: acme.id, steps: [{ name: 'apply-event', status: 'completed', attempts: 1 }] });
    expect((await get('/subscriptions/current')).json().cancelAtPeriodEnd).toBe(true);
    expect(await auditCount('subscription.synced')).toBe(1);
  });

  it('ends in the newest state when deliveries arrive out of order', async () => {
    const older = subscriptionEvent('evt_order_old', nowSeconds() + 10, { plan: 'pro', cancel: true });
    const newer = subscriptionEvent('evt_order_new', nowSeconds() + 20, { plan: 'enterprise', cancel: false });
    expect(await deliver(newer)).toBe('applied');
    expect(await deliver(older)).toBe('stale');
    const sub = (await get('/subscriptions/current')).json();
    expect(sub).toMatchObject({ cancelAtPeriodEnd: false, plan: { name: 'Enterprise' } });
    expect((await get('/tenants/current')).json().planId).toBe(sub.planId);
  });

  it('marks the open invoice paid, and a late "finalized" delivery does not reopen it', async () => {
    expect(await deliver(invoiceEvent('evt_inv_paid', 'invoice.paid', nowSeconds() + 30, 'paid'))).toBe('applied');
    expect(await deliver(invoiceEvent('evt_inv_final', 'invoice.finalized', nowSeconds() + 1, 'open'))).toBe('stale');
    const { data } = (await get('/invoices?status=paid&limit=100')).json();
    expect(data.find((i: { number: string }) => i.number === 'ACME-0007')).toMatchObject({ status: 'paid', amountPaid: 19_900 });
    expect((await get('/invoices?status=open')).json().total).toBe(0);
  });

  it("closes the ended usage period in a renewal's draft window and bills its overage once", async () => {
    // Acme's storage period ended with 250 GB: 150 over the 100 included at 30 cents.
    await get('/usage/quotas');
    await t.database.execScript(
      `UPDATE usage_quotas SET period_start = now() - interval '31 days', period_end = now() - interval '1 minute', current_usage = 250 WHERE tenant_id = '${acme.id}' AND metric_type = 'storage_gb'`,
    );
    const draft = (id: string) => {
      const event = invoiceEvent(id, 'invoice.created', nowSeconds(), 'open', 'in_renewal_draft');
      return { ...event, data: { object: { ...event.data.object, status: 'draft', number: null, billing_reason: 'subscription_cycle' } } };
    };
    expect(await deliver(draft('evt_draft_1'))).toBe('applied');
    const summaries = (await get('/usage/summaries')).json() as { metricType: string; frozen: boolean; overageAmount: number; overageBilling: string }[];
    expect(summaries.find((s) => s.frozen && s.metricType === 'storage_gb')).toMatchObject({ overageAmount: 4_500, overageBilling: 'invoiced' });
    const billed = async () =>
      (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM audit_logs WHERE action = 'usage.overage_invoiced' AND tenant_id = ${acme.id}`))[0]?.n;
    expect(await billed()).toBe(1);
    // Stripe redelivers the event: nothing is closed or billed twice.
    expect((await send(draft('evt_draft_1'))).json().outcome).toBe('duplicate');
    expect(await billed()).toBe(1);
    // Other invoice.created events (a one-off invoice) close nothing, even with a period ended.
    await t.database.execScript(
      `UPDATE usage_quotas SET period_start = now() - interval '31 days', period_end = now() - interval '1 minute' WHERE tenant_id = '${acme.id}' AND metric_type = 'storage_gb'`,
    );
    const [quota] = await platformRows<{ period_start: string }>(t.database.db, sql`SELECT period_start::text FROM usage_quotas WHERE tenant_id = ${acme.id} AND metric_type = 'storage_gb'`);
    const oneOff = draft('evt_draft_2');
    expect(await deliver({ ...oneOff, data: { object: { ...oneOff.data.object, id: 'in_manual', billing_reason: 'manual' } } })).toBe('applied');
    const [after] = await platformRows<{ period_start: string }>(t.database.db, sql`SELECT period_start::text FROM usage_quotas WHERE tenant_id = ${acme.id} AND metric_type = 'storage_gb'`);
    expect(after).toEqual(quota);
    expect(await billed()).toBe(1);
  });

  it('records events it does not handle without failing the delivery', async () => {
    const res = await send({ id: 'evt_other', object: 'event', type: 'charge.refunded', created: nowSeconds(), data: { object: { id: 'ch_1', object: 'charge' } } });
    expect(res.json()).toEqual({ received: true, outcome: 'ignored' });
  });
});
