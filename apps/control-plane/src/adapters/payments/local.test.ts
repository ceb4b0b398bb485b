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
