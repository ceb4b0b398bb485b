import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeStripe, type FakeStripe } from '../../../test/fake-stripe.js';
import { GatewayError } from './port.js';
import { cardErrorFromStripe, createStripeClient, StripeGateway } from './stripe.js';
import { parseStripeWebhook, paymentMethodFromStripe } from './stripe-mapping.js';

const KEY = 'sk_test_cbpFakeStripeKey0123456789';
const WEBHOOK_SECRET = 'whsec_cbp_test_secret';

let fake: FakeStripe;
let stripe: Stripe;
let gateway: StripeGateway;

beforeAll(async () => {
  fake = await startFakeStripe({ secretKey: KEY });
  stripe = createStripeClient(KEY, { host: fake.host, port: fake.port, protocol: 'http' });
  gateway = new StripeGateway(stripe);
});
afterAll(() => fake.close());

const sent = (method: string, path: string) => fake.requests.filter((r) => r.method === method && r.path === path);
const newCustomer = async () => (await gateway.createCustomer({ tenantId: randomUUID(), name: 'Acme', email: null })).id;
const methodsOf = (customerId: string) => [...fake.state.paymentMethods.values()].filter((pm) => pm.customer === customerId);
const attach = (customerId: string, paymentMethodId: string, idempotencyKey: string = randomUUID()) =>
  gateway.attachPaymentMethod({ customerId, paymentMethodId, idempotencyKey });

async function catchError(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('StripeGateway payment methods', () => {
  it('creates a SetupIntent for the browser to confirm', async () => {
    const customerId = await newCustomer();
    const intent = await gateway.createSetupIntent({ customerId });
    expect(intent.id).toMatch(/^seti_/);
    expect(intent.clientSecret).toMatch(new RegExp(`^${intent.id}_secret_`));
    expect(sent('POST', '/v1/setup_intents').at(-1)?.body).toEqual({
      customer: customerId,
      usage: 'off_session',
      automatic_payment_methods: { enabled: 'true' },
    });
  });

  it('verifies pm_card_visa with a confirmed off-session SetupIntent and attaches a clone to the customer', async () => {
    const customerId = await newCustomer();
    const key = randomUUID();
    const pm = await attach(customerId, 'pm_card_visa', key);

    expect(pm).toEqual({
      id: expect.stringMatching(/^pm_(?!card_)/),
      customerId,
      type: 'card',
      card: { brand: 'visa', last4: '4242', expMonth: expect.any(Number), expYear: expect.any(Number), funding: 'credit', fingerprint: expect.any(String) },
      bankAccount: null,
      billingDetails: { name: null, email: null },
    });
    const call = sent('POST', '/v1/setup_intents').at(-1);
    expect(call?.headers['idempotency-key']).toBe(key);
    expect(call?.body).toEqual({
      customer: customerId,
      payment_method: 'pm_card_visa',
      confirm: 'true',
      usage: 'off_session',
      automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
    });
    expect(sent('GET', `/v1/payment_methods/${pm.id}`)).toHaveLength(1);
    expect(methodsOf(customerId).map((m) => m.id)).toEqual([pm.id]);
  });

  it.each([
    ['pm_card_visa_debit', 'visa', '5556', 'debit'],
    ['pm_card_mastercard', 'mastercard', '4444', 'credit'],
    ['pm_card_amex', 'amex', '8431', 'credit'],
  ])('maps the test card %s', async (id, brand, last4, funding) => {
    const pm = await attach(await newCustomer(), id);
    expect(pm.card).toMatchObject({ brand, last4, funding });
  });

  it('gives the same card the same fingerprint, and another card another one', async () => {
    const customerId = await newCustomer();
    const [a, b, c] = [await attach(customerId, 'pm_card_visa'), await attach(customerId, 'pm_card_visa'), await attach(customerId, 'pm_card_mastercard')];
    expect(a.id).not.toBe(b.id);
    expect(a.card?.fingerprint).toBe(b.card?.fingerprint);
    expect(c.card?.fingerprint).not.toBe(a.card?.fingerprint);
  });

  it('attaches once when retried with the same idempotency key', async () => {
    const customerId = await newCustomer();
    const key = randomUUID();
    const first = await attach(customerId, 'pm_card_visa', key);
    const second = await attach(customerId, 'pm_card_visa', key);
    expect(second).toEqual(first);
    expect(methodsOf(customerId)).toHaveLength(1);
    const calls = sent('POST', '/v1/setup_intents').filter((r) => r.headers['idempotency-key'] === key);
    expect(calls).toHaveLength(2);
  });

  it.each([
    ['pm_card_chargeDeclined', 'card_declined', 'Your card was declined.'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'Your card has expired.'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', "Your card's security code is incorrect."],
  ])('refuses %s as %s (402) with Stripe\'s message, attaching nothing', async (id, code, message) => {
    const customerId = await newCustomer();
    const key = randomUUID();
    const err = await catchError(attach(customerId, id, key));
    expect(err).toMatchObject({ code, status: 402, message });
    expect(methodsOf(customerId)).toEqual([]);
    // A retry replays Stripe's stored answer: the same error.
    expect(await catchError(attach(customerId, id, key))).toMatchObject({ code, message });
  });

  it('maps a card error without a known decline code, or without a message, to card_declined', () => {
    const err = (raw: object) => new Stripe.errors.StripeCardError({ type: 'card_error', ...raw });
    expect(cardErrorFromStripe(err({ code: 'card_declined', decline_code: 'stolen_card', message: 'Your card was declined.' }))).toMatchObject({
      code: 'card_declined',
      message: 'Your card was declined.',
      status: 402,
    });
    expect(cardErrorFromStripe(err({ code: 'expired_card' }))).toMatchObject({ code: 'expired_card', message: 'Your card has expired.' });
  });

  it('reports a card needing authentication as authentication_required, attaching nothing', async () => {
    const customerId = await newCustomer();
    const err = await catchError(attach(customerId, 'pm_card_authenticationRequired'));
    expect(err).toMatchObject({
      code: 'authentication_required',
      status: 402,
      message: 'This card requires authentication. Add it from the portal to complete verification.',
    });
    expect(methodsOf(customerId)).toEqual([]);
  });

  it('returns a method Elements already confirmed onto the customer without a second SetupIntent', async () => {
    const customerId = await newCustomer();
    const intent = await gateway.createSetupIntent({ customerId });
    // What Stripe.js `confirmSetup` does in the browser.
    const confirmed = await stripe.setupIntents.confirm(intent.id, { payment_method: 'pm_card_mastercard', return_url: 'https://portal.example/billing' });
    expect(confirmed.status).toBe('succeeded');
    const pmId = confirmed.payment_method as string;

    const before = sent('POST', '/v1/setup_intents').length;
    const pm = await attach(customerId, pmId);
    expect(pm).toMatchObject({ id: pmId, customerId, card: { brand: 'mastercard', last4: '4444' } });
    expect(sent('POST', '/v1/setup_intents')).toHaveLength(before);
  });

  it("refuses another customer's method (409), an unknown one (404) and a detached one (400)", async () => {
    const owner = await newCustomer();
    const pm = await attach(owner, 'pm_card_visa');
    const other = await newCustomer();
    const before = sent('POST', '/v1/setup_intents').length;
    const inUse = await catchError(attach(other, pm.id));
    expect(inUse).toMatchObject({ code: 'payment_method_in_use', status: 409, message: 'This payment method belongs to another customer.' });
    expect(sent('POST', '/v1/setup_intents')).toHaveLength(before);
    expect(methodsOf(owner).map((m) => m.id)).toEqual([pm.id]);

    expect(await catchError(attach(other, 'pm_missing'))).toMatchObject({ code: 'resource_missing', status: 404 });

    await gateway.detachPaymentMethod({ paymentMethodId: pm.id });
    const reused = await catchError(attach(other, pm.id));
    expect(reused).toMatchObject({ code: 'invalid_payment_method', status: 400 });
    expect(reused.message).toContain('may not be used again');
  });

  it('detaches a method, and refuses to detach it twice', async () => {
    const customerId = await newCustomer();
    const pm = await attach(customerId, 'pm_card_visa');
    await gateway.detachPaymentMethod({ paymentMethodId: pm.id });
    expect(sent('POST', `/v1/payment_methods/${pm.id}/detach`)).toHaveLength(1);
    expect(fake.state.paymentMethods.get(pm.id)?.customer).toBeNull();
    expect(await catchError(gateway.detachPaymentMethod({ paymentMethodId: pm.id }))).toMatchObject({
      code: 'payment_method_unattached',
      status: 400,
    });
    expect(await catchError(gateway.detachPaymentMethod({ paymentMethodId: 'pm_missing' }))).toMatchObject({ code: 'resource_missing' });
  });

  it("sets the customer's invoice default, only to one of its own methods", async () => {
    const customerId = await newCustomer();
    const pm = await attach(customerId, 'pm_card_visa');
    await gateway.setDefaultPaymentMethod({ customerId, paymentMethodId: pm.id });
    expect(sent('POST', `/v1/customers/${customerId}`).at(-1)?.body).toEqual({ invoice_settings: { default_payment_method: pm.id } });
    expect((await stripe.customers.retrieve(customerId)) as Stripe.Customer).toMatchObject({ invoice_settings: { default_payment_method: pm.id } });

    const stranger = await attach(await newCustomer(), 'pm_card_visa');
    const err = await catchError(gateway.setDefaultPaymentMethod({ customerId, paymentMethodId: stranger.id }));
    expect(err).toMatchObject({ code: 'resource_missing', status: 404 });

    // Detaching the default unsets it, as Stripe does.
    await gateway.detachPaymentMethod({ paymentMethodId: pm.id });
    expect(fake.state.customers.get(customerId)?.defaultPaymentMethod).toBeNull();
  });

  it('reads the current state of a method and of the default, for webhook handling', async () => {
    const customerId = await newCustomer();
    expect(await gateway.defaultPaymentMethodOf(customerId)).toBeNull();
    const pm = await attach(customerId, 'pm_card_visa');
    await gateway.setDefaultPaymentMethod({ customerId, paymentMethodId: pm.id });
    expect(await gateway.defaultPaymentMethodOf(customerId)).toBe(pm.id);
    expect(await gateway.retrievePaymentMethod(pm.id)).toEqual(pm);

    await gateway.detachPaymentMethod({ paymentMethodId: pm.id });
    expect(await gateway.retrievePaymentMethod(pm.id)).toMatchObject({ id: pm.id, customerId: null });
    expect(await gateway.defaultPaymentMethodOf(customerId)).toBeNull();
    expect(await gateway.retrievePaymentMethod('pm_missing')).toBeNull();
    expect(await catchError(gateway.defaultPaymentMethodOf('cus_missing'))).toMatchObject({ code: 'resource_missing' });
  });
});

describe('payment method webhooks', () => {
  const created = 1_767_225_600; // 2026-01-01T00:00:00Z
  const parse = (type: string, object: object, previousAttributes?: object) => {
    const event = {
      id: `evt_${randomUUID().replace(/-/g, '')}`,
      object: 'event',
      api_version: Stripe.API_VERSION,
      created,
      data: { object, ...(previousAttributes ? { previous_attributes: previousAttributes } : {}) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const payload = JSON.stringify(event);
    const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    return parseStripeWebhook(stripe, payload, signature, WEBHOOK_SECRET);
  };
  const attachedCard = async () => {
    const customerId = await newCustomer();
    const pm = await attach(customerId, 'pm_card_visa');
    return { customerId, pm, object: await stripe.paymentMethods.retrieve(pm.id) };
  };

  it('maps payment_method.attached, and updated / automatically_updated to payment_method.updated', async () => {
    const { pm, object } = await attachedCard();
    expect(parse('payment_method.attached', object)).toEqual({
      id: expect.stringMatching(/^evt_/),
      created: new Date(created * 1000),
      type: 'payment_method.attached',
      stripeType: 'payment_method.attached',
      paymentMethod: pm,
    });
    const renewed = { ...object, card: { ...object.card, exp_year: 2031 } };
    for (const type of ['payment_method.updated', 'payment_method.automatically_updated']) {
      const parsed = parse(type, renewed, { card: { exp_year: object.card?.exp_year } });
      expect(parsed).toMatchObject({ type: 'payment_method.updated', stripeType: type, paymentMethod: { id: pm.id, card: { expYear: 2031 } } });
    }
  });

  it('maps payment_method.detached with the customer it left, from previous_attributes', async () => {
    const { customerId, pm } = await attachedCard();
    await gateway.detachPaymentMethod({ paymentMethodId: pm.id });
    const detached = await stripe.paymentMethods.retrieve(pm.id);
    expect(detached.customer).toBeNull();
    expect(parse('payment_method.detached', detached, { customer: customerId })).toMatchObject({
      type: 'payment_method.detached',
      paymentMethodId: pm.id,
      customerId,
    });
    expect(parse('payment_method.detached', detached)).toMatchObject({ type: 'payment_method.detached', customerId: null });
  });

  it('maps customer.updated to customer.default_payment_method only when the default changed', async () => {
    const { customerId, pm } = await attachedCard();
    await gateway.setDefaultPaymentMethod({ customerId, paymentMethodId: pm.id });
    const customer = await stripe.customers.retrieve(customerId);
    expect(parse('customer.updated', customer, { invoice_settings: { default_payment_method: null } })).toMatchObject({
      type: 'customer.default_payment_method',
      stripeType: 'customer.updated',
      customerId,
      paymentMethodId: pm.id,
    });
    const cleared = { ...customer, invoice_settings: { ...(customer as Stripe.Customer).invoice_settings, default_payment_method: null } };
    expect(parse('customer.updated', cleared, { invoice_settings: { default_payment_method: pm.id } })).toMatchObject({
      type: 'customer.default_payment_method',
      paymentMethodId: null,
    });
    expect(parse('customer.updated', customer, { email: 'old@acme.test' })).toMatchObject({ type: 'ignored', stripeType: 'customer.updated' });
    expect(parse('customer.updated', customer, { invoice_settings: { footer: 'Old footer' } })).toMatchObject({ type: 'ignored' });
  });

  it('maps bank accounts, and ignores events of payment method types CBP does not support', () => {
    const base = { id: 'pm_bank', object: 'payment_method', created, customer: 'cus_1', livemode: false, metadata: {}, billing_details: { name: 'Acme Ltd', email: 'ap@acme.test' } };
    const usBank = { ...base, type: 'us_bank_account', us_bank_account: { bank_name: 'STRIPE TEST BANK', last4: '6789', account_type: 'checking' } };
    expect(paymentMethodFromStripe(usBank as unknown as Stripe.PaymentMethod)).toEqual({
      id: 'pm_bank',
      customerId: 'cus_1',
      type: 'us_bank_account',
      card: null,
      bankAccount: { bankName: 'STRIPE TEST BANK', last4: '6789' },
      billingDetails: { name: 'Acme Ltd', email: 'ap@acme.test' },
    });
    const sepa = (bankCode: string | null) => ({ ...base, type: 'sepa_debit', sepa_debit: { bank_code: bankCode, country: 'DE', last4: '3000' } }) as unknown as Stripe.PaymentMethod;
    expect(paymentMethodFromStripe(sepa('37040044')).bankAccount).toEqual({ bankName: '37040044', last4: '3000' });
    expect(paymentMethodFromStripe(sepa(null)).bankAccount).toEqual({ bankName: null, last4: '3000' });

    const link = { ...base, type: 'link', link: { email: 'ap@acme.test' } };
    expect(() => paymentMethodFromStripe(link as unknown as Stripe.PaymentMethod)).toThrow(
      expect.objectContaining({ code: 'unsupported_payment_method', status: 422 }),
    );
    expect(parse('payment_method.attached', link)).toMatchObject({ type: 'ignored', stripeType: 'payment_method.attached' });
  });
});
