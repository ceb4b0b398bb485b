import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeStripe } from '../../../test/fake-stripe.js';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { GatewayError } from '../../adapters/payments/port.js';
import { createStripeClient, StripeGateway } from '../../adapters/payments/stripe.js';
import { platformRows } from '../../platform/db.js';

// The app runs on the local gateway; single calls are handed to a Stripe gateway (the real SDK)
// that cannot do its job: Stripe unreachable (connection refused), or refusing CBP's API key.
let t: TestContext;
let unreachable: StripeGateway;
let wrongKey: StripeGateway;
let closeFake: () => Promise<void>;
beforeAll(async () => {
  t = await createTestContext();
  const gone = await startFakeStripe();
  await gone.close();
  unreachable = new StripeGateway(createStripeClient('sk_test_cbp', { host: gone.host, port: gone.port, protocol: 'http' }));
  const fake = await startFakeStripe({ secretKey: 'sk_test_the_right_one' });
  closeFake = fake.close;
  wrongKey = new StripeGateway(createStripeClient('sk_test_revoked', { host: fake.host, port: fake.port, protocol: 'http' }));
});
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(async () => {
  await closeFake();
  await t.close();
});

async function call(method: 'GET' | 'POST', url: string, email: string, payload?: object) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': acme.id },
    ...(payload ? { payload } : {}),
  });
}

async function planId(name: string): Promise<string> {
  const plans = (await call('GET', '/plans', 'analyst@acme.test')).json() as { id: string; name: string }[];
  const plan = plans.find((p) => p.name === name);
  if (!plan) throw new Error(`no plan ${name}`);
  return plan.id;
}

const subscriptionEntries = async () =>
  (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = ${acme.id} AND action LIKE 'subscription.%'`))[0]?.n;

const current = async () => (await call('GET', '/subscriptions/current', 'analyst@acme.test')).json() as { plan: { name: string }; cancelAtPeriodEnd: boolean };

describe('payment gateway failures', () => {
  it('answers a plan change while Stripe is unreachable with 503 PAYMENT_GATEWAY_UNAVAILABLE and changes nothing', async () => {
    const starter = await planId('Starter');
    const before = await current();
    const entries = await subscriptionEntries();
    const gateway = t.app.payments.gateway;
    vi.spyOn(gateway, 'changePlan').mockImplementation((input) => unreachable.changePlan(input));

    const res = await call('POST', '/subscriptions/change-plan', 'owner@acme.test', { planId: starter });
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ status: 503, code: 'PAYMENT_GATEWAY_UNAVAILABLE', detail: expect.stringMatching(/Stripe is unavailable/) });
    expect(res.json().detail).not.toContain('sk_test');

    expect(await current()).toEqual(before);
    expect(before.plan.name).toBe('Pro');
    expect(await subscriptionEntries()).toBe(entries);
    const [tenant] = await platformRows<{ name: string }>(t.database.db, sql`SELECT p.name FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = ${acme.id}`);
    expect(tenant?.name).toBe('Pro');

    // The gateway back: the same change goes through.
    vi.restoreAllMocks();
    const retried = await call('POST', '/subscriptions/change-plan', 'owner@acme.test', { planId: starter });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().plan.name).toBe('Starter');
  });

  it('answers 502 PAYMENT_GATEWAY_UNAVAILABLE when Stripe refuses our API key, without the key in the answer', async () => {
    const before = await current();
    const entries = await subscriptionEntries();
    vi.spyOn(t.app.payments.gateway, 'setCancelAtPeriodEnd').mockImplementation((input) => wrongKey.setCancelAtPeriodEnd(input));

    const res = await call('POST', '/subscriptions/cancel', 'owner@acme.test');
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json()).toMatchObject({ status: 502, title: 'Bad gateway', code: 'PAYMENT_GATEWAY_UNAVAILABLE' });
    expect(res.body).not.toContain('revoked');
    expect(await current()).toEqual(before);
    expect(await subscriptionEntries()).toBe(entries);
  });

  it('answers a read that needs the gateway (upcoming invoice) with 503 too, not 500', async () => {
    vi.spyOn(t.app.payments.gateway, 'upcomingInvoice').mockImplementation((input) => unreachable.upcomingInvoice(input));
    const res = await call('GET', '/invoices/upcoming', 'analyst@acme.test');
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json().code).toBe('PAYMENT_GATEWAY_UNAVAILABLE');
  });

  it('answers refusals the gateway names with catalogue codes: a canceled subscription, a code CBP does not know', async () => {
    const upcoming = vi.spyOn(t.app.payments.gateway, 'upcomingInvoice');
    upcoming.mockRejectedValueOnce(new GatewayError('subscription_canceled', 'A canceled subscription has no next invoice.', 422));
    const canceled = await call('GET', '/invoices/upcoming', 'analyst@acme.test');
    expect(canceled.statusCode).toBe(422);
    expect(canceled.json()).toMatchObject({ code: 'SUBSCRIPTION_CANCELED', detail: 'A canceled subscription has no next invoice.' });
    upcoming.mockRejectedValueOnce(new GatewayError('brand_new_refusal', 'The gateway refuses this.', 400));
    const unknown = await call('GET', '/invoices/upcoming', 'analyst@acme.test');
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: 'BUSINESS_RULE', detail: 'The gateway refuses this.' });
  });
});
