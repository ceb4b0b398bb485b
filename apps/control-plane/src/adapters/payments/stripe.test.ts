import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeStripe, type FakeStripe } from '../../../test/fake-stripe.js';
import { GatewayError, type GatewaySubscription } from './port.js';
import { createStripeClient, gatewayErrorFromStripe, StripeGateway } from './stripe.js';
import { invoiceLineFromStripe, parseStripeWebhook, subscriptionFromStripe, WebhookSignatureError } from './stripe-mapping.js';

const KEY = 'sk_test_cbpFakeStripeKey0123456789';
const WEBHOOK_SECRET = 'whsec_cbp_test_secret';

let fake: FakeStripe;
let stripe: Stripe;
let gateway: StripeGateway;

beforeAll(async () => {
  fake = await startFakeStripe({ secretKey: KEY });
  stripe = createStripeClient(KEY, { host: fake.host, port: fake.port, protocol: 'http' });
  gateway = new StripeGateway(stripe, { returnUrl: 'https://portal.example/billing' });
});
afterAll(() => fake.close());

const sent = (method: string, path: string) => fake.requests.filter((r) => r.method === method && r.path === path);
const lastSent = (method: string, path: string) => sent(method, path).at(-1);
const unix = (d: Date) => Math.floor(d.getTime() / 1000);
const priceId = (plan: string) => fake.state.priceByLookupKey(`cbp_${plan}`).id;

async function subscribe(planKey: string, trialDays?: number): Promise<GatewaySubscription> {
  const customer = await gateway.createCustomer({ tenantId: randomUUID(), name: 'Acme', email: 'billing@acme.test' });
  return gateway.createSubscription({ customerId: customer.id, planKey, trialDays });
}

/** The instant `fraction` of the way through the subscription's current period. */
const pointIn = (sub: GatewaySubscription, fraction: number) => {
  const start = unix(sub.currentPeriodStart);
  return new Date((start + (unix(sub.currentPeriodEnd) - start) * fraction) * 1000);
};

async function catchError(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('StripeGateway against a Stripe-compatible server', () => {
  it('creates one customer per tenant, however often it is asked (idempotency key from the tenant id)', async () => {
    const tenantId = randomUUID();
    const before = fake.state.customers.size;
    const first = await gateway.createCustomer({ tenantId, name: 'Acme Ltd', email: 'ap@acme.test' });
    const second = await gateway.createCustomer({ tenantId, name: 'Acme Ltd', email: 'ap@acme.test' });
    expect(second.id).toBe(first.id);
    expect(first).toEqual({ id: expect.stringMatching(/^cus_/), name: 'Acme Ltd', email: 'ap@acme.test' });
    expect(fake.state.customers.size).toBe(before + 1);
    const calls = sent('POST', '/v1/customers').slice(-2);
    for (const call of calls) {
      expect(call.headers['idempotency-key']).toBe(`cbp-customer-${tenantId}`);
      expect(call.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(call.headers['stripe-version']).toBe(Stripe.API_VERSION);
      expect(call.body).toEqual({ name: 'Acme Ltd', email: 'ap@acme.test', metadata: { tenant_id: tenantId } });
    }

    const other = await gateway.createCustomer({ tenantId: randomUUID(), name: 'Globex', email: null });
    expect(other.id).not.toBe(first.id);
    expect(other.email).toBeNull();
    expect(lastSent('POST', '/v1/customers')?.body).not.toHaveProperty('email');
  });

  it('subscribes to the price found by lookup key, looked up once per gateway', async () => {
    const fresh = new StripeGateway(stripe);
    const customer = await fresh.createCustomer({ tenantId: randomUUID(), name: 'Acme', email: null });
    const pricesBefore = sent('GET', '/v1/prices').length;
    const sub = await fresh.createSubscription({ customerId: customer.id, planKey: 'pro' });
    expect(lastSent('GET', '/v1/prices')?.query).toEqual({ lookup_keys: ['cbp_pro'], active: 'true', limit: '1' });
    expect(lastSent('POST', '/v1/subscriptions')?.body).toEqual({ customer: sub.customerId, items: [{ price: priceId('pro') }] });
    expect(sub).toMatchObject({ id: expect.stringMatching(/^sub_/), planKey: 'pro', status: 'active', cancelAtPeriodEnd: false, trialEnd: null });
    // The period comes from the subscription item (current API): about a month long.
    const days = (sub.currentPeriodEnd.getTime() - sub.currentPeriodStart.getTime()) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(28);
    expect(days).toBeLessThanOrEqual(31);

    await fresh.createSubscription({ customerId: customer.id, planKey: 'pro' });
    expect(sent('GET', '/v1/prices').length).toBe(pricesBefore + 1);
  });

  it('starts a trial when asked', async () => {
    const sub = await subscribe('starter', 14);
    expect(lastSent('POST', '/v1/subscriptions')?.body).toMatchObject({ trial_period_days: '14' });
    expect(sub.status).toBe('trialing');
    expect(sub.trialEnd?.getTime()).toBe(sub.currentPeriodStart.getTime() + 14 * 86_400_000);
  });

  it('previews a mid-period downgrade pro -> starter: credit for unused pro, charge for starter, nothing changed', async () => {
    const sub = await subscribe('pro');
    const at = pointIn(sub, 0.5);
    const quote = await gateway.previewPlanChange({ subscriptionId: sub.id, planKey: 'starter', prorationDate: at });

    expect(lastSent('POST', '/v1/invoices/create_preview')?.body).toEqual({
      customer: sub.customerId,
      subscription: sub.id,
      subscription_details: {
        items: [{ id: fake.state.subscriptions.get(sub.id)?.items[0]?.id, price: priceId('starter') }],
        proration_behavior: 'create_prorations',
        proration_date: String(unix(at)),
      },
    });
    expect(quote.prorationLines).toEqual([
      { description: expect.stringMatching(/^Unused time on Pro after /), amount: -9950 },
      { description: expect.stringMatching(/^Remaining time on Starter after /), amount: 2450 },
    ]);
    expect(quote.prorationLines.reduce((sum, l) => sum + l.amount, 0)).toBe(-7500);
    expect(quote.nextInvoiceLines.map((l) => l.amount)).toEqual([-9950, 2450, 4900]);
    // The credit exceeds next month's starter fee: Stripe carries it to the balance, nothing is due.
    expect(quote.nextInvoiceAmount).toBe(0);
    expect(quote.nextInvoiceDate).toEqual(sub.currentPeriodEnd);
    expect(quote.currency).toBe('usd');
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]?.price.lookup_key).toBe('cbp_pro');
  });

  it('previews an upgrade starter -> pro with a quarter of the period left', async () => {
    const sub = await subscribe('starter');
    const quote = await gateway.previewPlanChange({ subscriptionId: sub.id, planKey: 'pro', prorationDate: pointIn(sub, 0.75) });
    expect(quote.prorationLines.map((l) => l.amount)).toEqual([-1225, 4975]);
    expect(quote.nextInvoiceLines.map((l) => l.amount)).toEqual([-1225, 4975, 19900]);
    expect(quote.nextInvoiceAmount).toBe(3750 + 19900);
  });

  it('changes plan with the previewed proration date, and the next invoice carries what the preview showed', async () => {
    const sub = await subscribe('pro');
    const at = pointIn(sub, 0.5);
    const preview = await gateway.previewPlanChange({ subscriptionId: sub.id, planKey: 'starter', prorationDate: at });
    const changed = await gateway.changePlan({ subscriptionId: sub.id, planKey: 'starter', prorationDate: at });

    expect(lastSent('POST', `/v1/subscriptions/${sub.id}`)?.body).toEqual({
      items: [{ id: fake.state.subscriptions.get(sub.id)?.items[0]?.id, price: priceId('starter') }],
      proration_behavior: 'create_prorations',
      proration_date: String(unix(at)),
    });
    expect(changed).toMatchObject({ id: sub.id, planKey: 'starter', status: 'active' });
    expect(changed.currentPeriodEnd).toEqual(sub.currentPeriodEnd);

    const upcoming = await gateway.upcomingInvoice({ subscriptionId: sub.id });
    expect(lastSent('POST', '/v1/invoices/create_preview')?.body).toEqual({ subscription: sub.id });
    expect(upcoming.prorationLines).toEqual(preview.prorationLines);
    expect(upcoming.nextInvoiceLines).toEqual(preview.nextInvoiceLines);
  });

  it('shows an upcoming invoice without prorations when nothing changed', async () => {
    const sub = await subscribe('enterprise');
    const upcoming = await gateway.upcomingInvoice({ subscriptionId: sub.id });
    expect(upcoming.prorationLines).toEqual([]);
    expect(upcoming.nextInvoiceLines).toEqual([{ description: '1 × Enterprise (at $999.00 / month)', amount: 99900 }]);
    expect(upcoming.nextInvoiceAmount).toBe(99900);
  });

  it('adds usage overage as a pending invoice item of the subscription, once per key', async () => {
    const sub = await subscribe('pro');
    const input = {
      customerId: sub.customerId,
      subscriptionId: sub.id,
      description: 'Storage over the included 100: 150 GB (Oct 1 – Nov 1, 2026)',
      amount: 4_500,
      currency: 'USD',
      metricType: 'storage_gb',
      quantity: 150,
      usedQuantity: 250,
      includedQuantity: 100,
      unitSize: 10,
      unitAmount: 300,
      periodStart: new Date('2026-10-01T00:00:00Z'),
      periodEnd: new Date('2026-11-01T00:00:00Z'),
      idempotencyKey: `cbp-usage-overage-${randomUUID()}`,
    };
    const { id } = await gateway.addInvoiceItem(input);
    expect(id).toMatch(/^ii_/);
    const created = lastSent('POST', '/v1/invoiceitems');
    expect(created?.headers['idempotency-key']).toBe(input.idempotencyKey);
    expect(created?.body).toMatchObject({
      customer: sub.customerId,
      subscription: sub.id,
      amount: '4500',
      currency: 'usd',
      period: { start: String(unix(input.periodStart)), end: String(unix(input.periodEnd)) },
      metadata: {
        cbp_kind: 'usage', metric_type: 'storage_gb', quantity: '150', used_quantity: '250', included_quantity: '100', unit_size: '10', unit_amount: '300',
        cbp_idempotency_key: input.idempotencyKey,
      },
    });
    const upcoming = await gateway.upcomingInvoice({ subscriptionId: sub.id });
    expect(upcoming.nextInvoiceLines).toContainEqual({ description: input.description, amount: 4_500 });
    expect(upcoming.nextInvoiceAmount).toBe(19_900 + 4_500);

    // A retry days later (Stripe forgets idempotency keys after 24 hours) finds the pending item.
    const posts = sent('POST', '/v1/invoiceitems').length;
    expect(await gateway.addInvoiceItem(input)).toEqual({ id });
    expect(sent('POST', '/v1/invoiceitems')).toHaveLength(posts);

    // In a renewal's draft window the line goes on that draft instead of the next invoice.
    const draft = await gateway.addInvoiceItem({ ...input, idempotencyKey: `cbp-usage-overage-${randomUUID()}`, invoiceId: 'in_draft_renewal' });
    const onDraft = lastSent('POST', '/v1/invoiceitems')?.body;
    expect(onDraft).toMatchObject({ invoice: 'in_draft_renewal' });
    expect(onDraft).not.toHaveProperty('subscription');
    expect(draft.id).not.toBe(id);
  });

  it('cancels at period end and resumes', async () => {
    const sub = await subscribe('starter');
    const canceled = await gateway.setCancelAtPeriodEnd({ subscriptionId: sub.id, cancelAtPeriodEnd: true });
    expect(lastSent('POST', `/v1/subscriptions/${sub.id}`)?.body).toEqual({ cancel_at_period_end: 'true' });
    expect(canceled).toMatchObject({ cancelAtPeriodEnd: true, status: 'active', planKey: 'starter' });

    const resumed = await gateway.setCancelAtPeriodEnd({ subscriptionId: sub.id, cancelAtPeriodEnd: false });
    expect(lastSent('POST', `/v1/subscriptions/${sub.id}`)?.body).toEqual({ cancel_at_period_end: 'false' });
    expect(resumed.cancelAtPeriodEnd).toBe(false);
  });

  it('opens a billing portal session returning to the given URL, or the default one', async () => {
    const customer = await gateway.createCustomer({ tenantId: randomUUID(), name: 'Acme', email: null });
    const { url } = await gateway.createBillingPortalSession({ customerId: customer.id, returnUrl: 'https://portal.example/settings' });
    expect(url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
    expect(lastSent('POST', '/v1/billing_portal/sessions')?.body).toEqual({
      customer: customer.id,
      return_url: 'https://portal.example/settings',
    });
    await gateway.createBillingPortalSession({ customerId: customer.id, returnUrl: '' });
    expect(lastSent('POST', '/v1/billing_portal/sessions')?.body.return_url).toBe('https://portal.example/billing');
  });
});

describe('Stripe errors', () => {
  it('maps an unknown subscription to resource_missing (404) without the key in the message', async () => {
    const err = await catchError(gateway.setCancelAtPeriodEnd({ subscriptionId: 'sub_missing', cancelAtPeriodEnd: true }));
    expect(err).toMatchObject({ code: 'resource_missing', status: 404 });
    expect(err.message).toContain("No such subscription: 'sub_missing'");
    expect(err.message).not.toMatch(/sk_test/);

    const preview = await catchError(gateway.previewPlanChange({ subscriptionId: 'sub_missing', planKey: 'pro', prorationDate: new Date() }));
    expect(preview.code).toBe('resource_missing');
    const portal = await catchError(gateway.createBillingPortalSession({ customerId: 'cus_missing', returnUrl: 'https://x.test' }));
    expect(portal.code).toBe('resource_missing');
  });

  it('reports a plan without a Stripe price as unknown_plan', async () => {
    const sub = await subscribe('free');
    const err = await catchError(gateway.changePlan({ subscriptionId: sub.id, planKey: 'platinum', prorationDate: new Date() }));
    expect(err.code).toBe('unknown_plan');
    expect(err.message).toContain('cbp_platinum');
  });

  it('reports a rejected API key without repeating it (Stripe echoes it masked)', async () => {
    const wrongKey = 'sk_test_thisKeyIsRevoked9876543210';
    const client = createStripeClient(wrongKey, { host: fake.host, port: fake.port, protocol: 'http' });
    const err = await catchError(new StripeGateway(client).createCustomer({ tenantId: randomUUID(), name: 'X', email: null }));
    expect(err).toMatchObject({ code: 'stripe_auth_failed', status: 502 });
    expect(err.message).not.toMatch(/sk_test|3210/);
  });

  it('reports an unreachable Stripe as stripe_unavailable (503)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const client = createStripeClient(KEY, { host: '127.0.0.1', port, protocol: 'http' });
    const err = await catchError(new StripeGateway(client).upcomingInvoice({ subscriptionId: 'sub_1' }));
    expect(err).toMatchObject({ code: 'stripe_unavailable', status: 503 });
    expect(err.message).not.toContain(KEY);
  });

  it('maps card errors and a missing upcoming invoice, and redacts keys quoted in any Stripe message', () => {
    const card = gatewayErrorFromStripe(
      new Stripe.errors.StripeCardError({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' }),
      'change the plan',
    );
    expect(card).toMatchObject({ code: 'card_declined', status: 402 });
    expect((card as GatewayError).message).toContain('Your card has insufficient funds.');

    const leaky = gatewayErrorFromStripe(
      new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', message: `Bad request made with ${KEY} and whsec_abc123` }),
      'create the customer',
    );
    expect(leaky).toMatchObject({ code: 'invalid_request' });
    expect((leaky as GatewayError).message).not.toMatch(/sk_test|whsec_abc/);

    const none = gatewayErrorFromStripe(
      new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'invoice_upcoming_none', message: 'No upcoming invoices for customer.' }),
      'preview the upcoming invoice',
    );
    expect(none).toMatchObject({ code: 'no_upcoming_invoice', status: 404 });

    const plain = new TypeError('not a Stripe error');
    expect(gatewayErrorFromStripe(plain, 'x')).toBe(plain);
  });
});

describe('Stripe mapping and webhooks', () => {
  const signed = (event: object, secret = WEBHOOK_SECRET) => {
    const payload = JSON.stringify(event);
    return { payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret }) };
  };
  const eventOf = (type: string, object: object) => ({
    id: `evt_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: 1_767_225_600, // 2026-01-01T00:00:00Z
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  });
  const stripeSubscription = async (planKey: string) => stripe.subscriptions.retrieve((await subscribe(planKey)).id);

  it('maps a signed customer.subscription.updated to subscription.updated', async () => {
    const sub = await stripeSubscription('pro');
    const event = eventOf('customer.subscription.updated', { ...sub, cancel_at_period_end: true });
    const { payload, signature } = signed(event);
    const parsed = parseStripeWebhook(stripe, Buffer.from(payload), signature, WEBHOOK_SECRET);
    expect(parsed).toEqual({
      id: event.id,
      created: new Date('2026-01-01T00:00:00Z'),
      type: 'subscription.updated',
      stripeType: 'customer.subscription.updated',
      subscription: {
        id: sub.id,
        customerId: sub.customer,
        planKey: 'pro',
        status: 'active',
        currentPeriodStart: new Date((sub.items.data[0]?.current_period_start ?? 0) * 1000),
        currentPeriodEnd: new Date((sub.items.data[0]?.current_period_end ?? 0) * 1000),
        cancelAtPeriodEnd: true,
        trialEnd: null,
      },
    });
  });

  it('maps deletions, and reads the period from the subscription in older payloads', async () => {
    const sub = await stripeSubscription('starter');
    const item = sub.items.data[0] as Stripe.SubscriptionItem;
    // Before API 2025-03-31 the period was on the subscription, not on its items.
    const { current_period_start, current_period_end, ...legacyItem } = item;
    const legacy = { ...sub, status: 'canceled', current_period_start, current_period_end, items: { ...sub.items, data: [legacyItem] } };
    const { payload, signature } = signed(eventOf('customer.subscription.deleted', legacy));
    const parsed = parseStripeWebhook(stripe, payload, signature, WEBHOOK_SECRET);
    expect(parsed.type).toBe('subscription.deleted');
    if (parsed.type !== 'subscription.deleted') return;
    expect(parsed.subscription).toMatchObject({ status: 'canceled', planKey: 'starter' });
    expect(parsed.subscription.currentPeriodEnd).toEqual(new Date(current_period_end * 1000));
  });

  it('maps Stripe statuses CBP does not have to the nearest one', async () => {
    const sub = await stripeSubscription('starter');
    const statusOf = (status: string) => subscriptionFromStripe({ ...sub, status } as Stripe.Subscription).status;
    expect(['trialing', 'active', 'past_due', 'canceled', 'incomplete'].map(statusOf)).toEqual([
      'trialing', 'active', 'past_due', 'canceled', 'incomplete',
    ]);
    expect(statusOf('unpaid')).toBe('past_due');
    expect(statusOf('paused')).toBe('past_due');
    expect(statusOf('incomplete_expired')).toBe('canceled');
  });

  it('maps a paid invoice with subscription, proration, usage and one-off lines', () => {
    const period = { start: 1_767_225_600, end: 1_769_904_000 };
    const line = (id: string, amount: number, parent: object, price: unknown, extra: object = {}) => ({
      id, object: 'line_item', amount, currency: 'usd', description: `line ${id}`, discount_amounts: [], discountable: true,
      discounts: [], invoice: 'in_1', livemode: false, metadata: {}, parent, period, pretax_credit_amounts: [],
      pricing: { type: 'price_details', price_details: { price, product: 'prod_1' }, unit_amount_decimal: '19900' },
      quantity: 1, quantity_decimal: '1', subtotal: amount, taxes: [], ...extra,
    });
    const itemParent = (proration: boolean) => ({
      type: 'subscription_item_details', invoice_item_details: null,
      subscription_item_details: { invoice_item: null, proration, proration_details: null, subscription: 'sub_1', subscription_item: 'si_1' },
    });
    const meteredPrice = { id: 'price_api', object: 'price', unit_amount: null, nickname: 'API calls', metadata: { metric_type: 'api_calls' }, recurring: { interval: 'month', interval_count: 1, usage_type: 'metered' } };
    const invoice = {
      id: 'in_1', object: 'invoice', customer: 'cus_1', number: 'CBP-0001', status: 'paid', currency: 'usd',
      subtotal: 26925, amount_due: 26925, amount_paid: 26925, period_start: period.start, period_end: period.end,
      due_date: null, created: period.end, status_transitions: { finalized_at: period.end, paid_at: period.end + 60, voided_at: null, marked_uncollectible_at: null },
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: {}, subscription: 'sub_1' } },
      lines: { object: 'list', has_more: false, url: '/v1/invoices/in_1/lines', data: [
        line('il_sub', 19900, itemParent(false), 'price_pro'),
        line('il_pro', 2450, itemParent(true), 'price_starter'),
        line('il_use', 4075, itemParent(false), meteredPrice, { quantity: 163_000, pricing: { type: 'price_details', price_details: { price: meteredPrice, product: 'prod_api' }, unit_amount_decimal: '0.025' } }),
        line('il_fee', 500, { type: 'invoice_item_details', subscription_item_details: null, invoice_item_details: { invoice_item: 'ii_1', proration: false, proration_details: null, subscription: null } }, 'price_fee'),
      ] },
    };
    const { payload, signature } = signed(eventOf('invoice.paid', invoice));
    const parsed = parseStripeWebhook(stripe, payload, signature, WEBHOOK_SECRET);
    expect(parsed.type).toBe('invoice.updated');
    if (parsed.type !== 'invoice.updated') return;
    expect(parsed.invoice).toMatchObject({
      id: 'in_1', customerId: 'cus_1', subscriptionId: 'sub_1', number: 'CBP-0001', status: 'paid',
      amountDue: 26925, amountPaid: 26925, paidAt: new Date((period.end + 60) * 1000), dueDate: null,
    });
    // Every line bills quantity x unit price = amount: a line whose Stripe quantity and unit price do not
    // give its amount in whole minor units (the fractional metered price, these fixtures' prorated amounts) is one lump sum.
    expect(parsed.invoice.lines.map((l) => [l.kind, l.amount, l.metricType, l.quantity, l.unitAmount])).toEqual([
      ['subscription', 19900, null, 1, 19900],
      ['proration', 2450, null, 1, 2450],
      ['usage', 4075, 'api_calls', 1, 4075],
      ['adjustment', 500, null, 1, 500],
    ]);
    for (const l of parsed.invoice.lines) expect(l.quantity * l.unitAmount).toBe(l.amount);
  });

  it("maps CBP's overage invoice item as a usage line of its metric, in its priced unit", () => {
    const overage = {
      id: 'il_ovg', object: 'line_item', amount: 4500, currency: 'usd', description: 'Storage over the included 100: 150 GB', discount_amounts: [],
      discountable: true, discounts: [], invoice: 'in_2', livemode: false,
      metadata: { cbp_kind: 'usage', metric_type: 'storage_gb', quantity: '150', used_quantity: '250', included_quantity: '100', unit_size: '10', unit_amount: '300' },
      parent: { type: 'invoice_item_details', subscription_item_details: null, invoice_item_details: { invoice_item: 'ii_2', proration: false, proration_details: null, subscription: 'sub_1' } },
      period: { start: 1_767_225_600, end: 1_769_904_000 }, pretax_credit_amounts: [], pricing: null, quantity: 1, quantity_decimal: '1', subtotal: 4500, taxes: [],
    };
    const other = { ...overage, id: 'il_fee', metadata: { quantity: '7' } };
    const legacy = { ...overage, id: 'il_old', metadata: { cbp_kind: 'usage', metric_type: 'storage_gb', quantity: '150' } };
    const [usage, fee, old] = [overage, other, legacy].map((l) => invoiceLineFromStripe(l as unknown as Stripe.InvoiceLineItem));
    // 150 GB over, priced $3.00 per 10 GB: 15 x $3.00 = $45.00
    expect(usage).toMatchObject({ kind: 'usage', metricType: 'storage_gb', quantity: 15, unitSize: 10, unitAmount: 300, usedQuantity: 250, includedQuantity: 100, amount: 4500 });
    // An item added before its metadata carried the price step: one lump sum of its amount.
    expect(old).toMatchObject({ kind: 'usage', quantity: 1, unitAmount: 4500, unitSize: 1, amount: 4500 });
    // Someone else's metadata named "quantity" is not read as CBP's.
    expect(fee).toMatchObject({ kind: 'adjustment', metricType: null, quantity: 1 });
  });

  it('rejects a tampered payload, a wrong secret and a missing signature', async () => {
    const sub = await stripeSubscription('pro');
    const { payload, signature } = signed(eventOf('customer.subscription.updated', sub));
    const tampered = payload.replace('"cbp_pro"', '"cbp_enterprise"');
    expect(tampered).not.toBe(payload);
    expect(() => parseStripeWebhook(stripe, tampered, signature, WEBHOOK_SECRET)).toThrow(WebhookSignatureError);
    expect(() => parseStripeWebhook(stripe, payload, signature, 'whsec_other')).toThrow(WebhookSignatureError);
    expect(() => parseStripeWebhook(stripe, payload, undefined, WEBHOOK_SECRET)).toThrow(WebhookSignatureError);
    expect(() => parseStripeWebhook(stripe, payload, 'garbage', WEBHOOK_SECRET)).toThrow(WebhookSignatureError);
    expect(parseStripeWebhook(stripe, payload, signature, WEBHOOK_SECRET).type).toBe('subscription.updated');
  });

  it('ignores event types CBP does not use, and subscriptions without a CBP price', async () => {
    const charge = signed(eventOf('charge.succeeded', { id: 'ch_1', object: 'charge' }));
    expect(parseStripeWebhook(stripe, charge.payload, charge.signature, WEBHOOK_SECRET)).toMatchObject({
      type: 'ignored',
      stripeType: 'charge.succeeded',
    });

    const sub = await stripeSubscription('pro');
    const item = sub.items.data[0] as Stripe.SubscriptionItem;
    const foreign = { ...sub, items: { ...sub.items, data: [{ ...item, price: { ...item.price, lookup_key: 'legacy_gold' } }] } };
    const { payload, signature } = signed(eventOf('customer.subscription.created', foreign));
    expect(parseStripeWebhook(stripe, payload, signature, WEBHOOK_SECRET)).toMatchObject({ type: 'ignored' });
  });
});
