import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { LocalGateway } from './local.js';
import type { GatewayEvent } from './port.js';
import { addMonth, prorationLines } from './proration.js';

describe('proration (Stripe create_prorations)', () => {
  const pro = { name: 'Pro', priceMonthly: 19_900 };
  const starter = { name: 'Starter', priceMonthly: 4_900 };
  const start = new Date('2026-01-01T00:00:00Z');
  const end = new Date('2026-02-01T00:00:00Z');

  it('credits unused time and charges remaining time by the seconds left, rounded to the cent', () => {
    const lines = prorationLines(pro, starter, start, end, new Date('2026-01-16T00:00:00Z'));
    expect(lines).toEqual([
      { description: 'Unused time on Pro after 16 Jan 2026', amount: -Math.round((19_900 * 16) / 31) },
      { description: 'Remaining time on Starter after 16 Jan 2026', amount: Math.round((4_900 * 16) / 31) },
    ]);
  });

  it('prorates nothing at the period end, and the whole period for a change at its start', () => {
    expect(prorationLines(pro, starter, start, end, end)).toEqual([]);
    expect(prorationLines(pro, starter, start, end, new Date('2025-12-31T23:59:59Z')).map((l) => l.amount)).toEqual([-19_900, 4_900]);
  });

  it('anchors monthly periods on the same day, clamped to short months', () => {
    expect(addMonth(new Date('2026-01-31T10:00:00Z')).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(addMonth(new Date('2026-12-15T00:00:00Z')).toISOString()).toBe('2027-01-15T00:00:00.000Z');
  });
});

describe('local gateway', () => {
  let t: TestContext;
  const received: GatewayEvent[] = [];
  let gateway: LocalGateway;
  beforeAll(async () => {
    t = await createTestContext();
    gateway = new LocalGateway(t.database.db, {
      portalUrl: 'http://localhost:27100',
      onEvent: async (e) => {
        received.push(e);
      },
    });
  });
  afterAll(() => t.close());

  it('keeps one customer per tenant', async () => {
    const a = await gateway.createCustomer({ tenantId: acme.id, name: 'Acme Corp', email: null });
    const b = await gateway.createCustomer({ tenantId: acme.id, name: 'Acme Corp', email: null });
    expect(b.id).toBe(a.id);
    expect(a.id).toMatch(/^cus_/);
  });

  it('starts trials without charging prorations for plan changes during the trial', async () => {
    const customer = await gateway.createCustomer({ tenantId: '00000000-0000-4000-8000-00000000dead', name: 'Trial Co', email: null });
    const sub = await gateway.createSubscription({ customerId: customer.id, planKey: 'starter', trialDays: 14 });
    expect(sub.status).toBe('trialing');
    expect(sub.trialEnd?.getTime()).toBe(sub.currentPeriodEnd.getTime());
    const quote = await gateway.previewPlanChange({ subscriptionId: sub.id, planKey: 'pro', prorationDate: new Date() });
    expect(quote.prorationLines).toEqual([]);
  });

  it('refuses unknown objects like Stripe does', async () => {
    await expect(gateway.upcomingInvoice({ subscriptionId: 'sub_missing' })).rejects.toMatchObject({ code: 'resource_missing', status: 404 });
    await expect(gateway.createSubscription({ customerId: 'cus_missing', planKey: 'pro' })).rejects.toMatchObject({ code: 'resource_missing' });
  });

  it('queues the events Stripe would send and delivers each once, in order', async () => {
    const customer = await gateway.createCustomer({ tenantId: '00000000-0000-4000-8000-00000000beef', name: 'Events Co', email: null });
    const sub = await gateway.createSubscription({ customerId: customer.id, planKey: 'pro' });
    await gateway.changePlan({ subscriptionId: sub.id, planKey: 'starter', prorationDate: new Date() });
    await gateway.setCancelAtPeriodEnd({ subscriptionId: sub.id, cancelAtPeriodEnd: true });
    received.length = 0;
    expect(await gateway.deliverEvents()).toBeGreaterThanOrEqual(3);
    const mine = received.filter((e) => e.type === 'subscription.updated' && e.subscription.id === sub.id);
    expect(mine.map((e) => (e.type === 'subscription.updated' ? [e.subscription.planKey, e.subscription.cancelAtPeriodEnd] : null))).toEqual([
      ['pro', false],
      ['starter', false],
      ['starter', true],
    ]);
    expect(await gateway.deliverEvents()).toBe(0);
    // the downgrade's prorations wait on the next invoice
    const next = await gateway.upcomingInvoice({ subscriptionId: sub.id });
    expect(next.nextInvoiceLines.some((l) => l.description.startsWith('Unused time on Pro'))).toBe(true);
  });
});

describe('local gateway billing clock', () => {
  let t: TestContext;
  let clock = new Date('2026-01-10T12:00:00Z');
  const events: GatewayEvent[] = [];
  let gateway: LocalGateway;
  beforeAll(async () => {
    t = await createTestContext();
    gateway = new LocalGateway(t.database.db, {
      portalUrl: 'http://localhost:27100',
      now: () => clock,
      onEvent: async (e) => {
        events.push(e);
      },
    });
  });
  afterAll(() => t.close());

  const invoicesOf = (customerId?: string) =>
    events.flatMap((e) => (e.type === 'invoice.updated' && (!customerId || e.invoice.customerId === customerId) ? [e.invoice] : []));

  it('renews at period end with the prorations on the invoice, paid with the default card', async () => {
    const customer = await gateway.createCustomer({ tenantId: '00000000-0000-4000-8000-00000000c10c', name: 'Clockwork Ltd', email: null });
    const card = await gateway.attachPaymentMethod({ customerId: customer.id, paymentMethodId: 'pm_card_visa', idempotencyKey: 'clock-1' });
    await gateway.setDefaultPaymentMethod({ customerId: customer.id, paymentMethodId: card.id });
    const sub = await gateway.createSubscription({ customerId: customer.id, planKey: 'starter' });
    clock = new Date('2026-01-25T12:00:00Z');
    await gateway.changePlan({ subscriptionId: sub.id, planKey: 'pro', prorationDate: clock });

    clock = new Date('2026-02-10T12:00:01Z');
    expect(await gateway.advanceClock()).toBe(1);
    await gateway.deliverEvents();
    const [invoice] = invoicesOf();
    expect(invoice).toMatchObject({ status: 'paid', number: expect.stringMatching(/^CLOC[0-9A-F]{4}-0001$/) });
    expect(invoice?.lines.map((l) => l.kind)).toEqual(['subscription', 'proration', 'proration']);
    expect(invoice?.lines[0]).toMatchObject({ amount: 19_900, description: 'Pro plan (Feb 10, 2026 – Mar 10, 2026)' });
    expect(invoice?.amountPaid).toBe(invoice?.amountDue);
    const renewed = events.filter((e) => e.type === 'subscription.updated').at(-1);
    expect(renewed?.type === 'subscription.updated' && renewed.subscription.currentPeriodEnd.toISOString()).toBe('2026-03-10T12:00:00.000Z');
    // the prorations were billed once
    expect((await gateway.upcomingInvoice({ subscriptionId: sub.id })).nextInvoiceLines).toHaveLength(1);
    expect(await gateway.advanceClock()).toBe(0);
  });

  it('ends a subscription set to cancel, at its period end', async () => {
    const customer = await gateway.createCustomer({ tenantId: '00000000-0000-4000-8000-00000000c10d', name: 'Leaving Inc', email: null });
    const sub = await gateway.createSubscription({ customerId: customer.id, planKey: 'starter' });
    await gateway.setCancelAtPeriodEnd({ subscriptionId: sub.id, cancelAtPeriodEnd: true });
    clock = new Date(sub.currentPeriodEnd.getTime() + 1000);
    events.length = 0;
    await gateway.advanceClock();
    await gateway.deliverEvents();
    expect(events.some((e) => e.type === 'subscription.deleted' && e.subscription.id === sub.id)).toBe(true);
    expect(invoicesOf(customer.id)).toEqual([]);
  });

  it('leaves the first invoice open and the subscription past due when a trial ends without a card', async () => {
    const customer = await gateway.createCustomer({ tenantId: '00000000-0000-4000-8000-00000000c10e', name: 'Trial Co', email: null });
    const sub = await gateway.createSubscription({ customerId: customer.id, planKey: 'pro', trialDays: 14 });
    clock = new Date(sub.currentPeriodEnd.getTime() + 1000);
    events.length = 0;
    await gateway.advanceClock();
    await gateway.deliverEvents();
    expect(invoicesOf(customer.id)[0]).toMatchObject({ status: 'open', amountDue: 19_900, amountPaid: 0 });
    const last = events.filter((e) => e.type === 'subscription.updated' && e.subscription.id === sub.id).at(-1);
    expect(last?.type === 'subscription.updated' && last.subscription.status).toBe('past_due');
  });

  it('pays an open renewal invoice with a card of the customer: declined cards change nothing, the paid invoice and the active subscription are announced, once', async () => {
    const customer = await gateway.createCustomer({ tenantId: '00000000-0000-4000-8000-00000000c10f', name: 'Overdue Co', email: null });
    const failing = await gateway.attachPaymentMethod({ customerId: customer.id, paymentMethodId: 'pm_card_chargeCustomerFail', idempotencyKey: 'overdue-1' });
    await gateway.setDefaultPaymentMethod({ customerId: customer.id, paymentMethodId: failing.id });
    const sub = await gateway.createSubscription({ customerId: customer.id, planKey: 'starter' });
    clock = new Date(sub.currentPeriodEnd.getTime() + 1000);
    events.length = 0;
    await gateway.advanceClock();
    await gateway.deliverEvents();
    // The card attached fine but its renewal charge failed: the invoice stays open.
    const [open] = invoicesOf(customer.id);
    expect(open).toMatchObject({ status: 'open', amountDue: 4_900, amountPaid: 0 });
    const pay = (paymentMethodId: string, idempotencyKey: string) =>
      gateway.payInvoice({ customerId: customer.id, invoiceId: open?.id ?? '', paymentMethodId, amount: 4_900, currency: 'usd', idempotencyKey });

    await expect(pay(failing.id, 'pay-1')).rejects.toMatchObject({ code: 'card_declined', status: 402 });
    events.length = 0;
    await gateway.deliverEvents();
    expect(events).toEqual([]);

    const visa = await gateway.attachPaymentMethod({ customerId: customer.id, paymentMethodId: 'pm_card_visa', idempotencyKey: 'overdue-2' });
    const payment = await pay(visa.id, 'pay-2');
    expect(payment).toMatchObject({ paymentId: expect.stringMatching(/^ch_/), amountPaid: 4_900 });
    expect(await pay(visa.id, 'pay-2')).toEqual(payment);
    await expect(pay(visa.id, 'pay-3')).rejects.toMatchObject({ code: 'invoice_already_paid', status: 409 });
    await gateway.deliverEvents();
    expect(events.filter((e) => e.type === 'invoice.updated').map((e) => e.type === 'invoice.updated' && [e.stripeType, e.invoice.status, e.invoice.amountPaid])).toEqual([
      ['invoice.paid', 'paid', 4_900],
    ]);
    const last = events.filter((e) => e.type === 'subscription.updated' && e.subscription.id === sub.id).at(-1);
    expect(last?.type === 'subscription.updated' && last.subscription.status).toBe('active');
    // Another customer's method is not this customer's to use.
    await expect(gateway.payInvoice({ customerId: 'cus_other', invoiceId: open?.id ?? '', paymentMethodId: visa.id, amount: 1, currency: 'usd', idempotencyKey: 'x' })).rejects.toMatchObject({ status: 404 });
  });
});
