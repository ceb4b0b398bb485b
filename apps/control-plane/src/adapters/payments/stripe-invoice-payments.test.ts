import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOpenInvoice, invoicesOf } from '../../../test/fake-stripe-invoices.js';
import { startFakeStripe, type FakeStripe } from '../../../test/fake-stripe.js';
import { createStripeClient, StripeGateway } from './stripe.js';

// StripeGateway.payInvoice through the real SDK against the fake Stripe.
const KEY = 'sk_test_cbpFakeStripeKey0123456789';
let fake: FakeStripe;
let gateway: StripeGateway;
beforeAll(async () => {
  fake = await startFakeStripe({ secretKey: KEY });
  gateway = new StripeGateway(createStripeClient(KEY, { host: fake.host, port: fake.port, protocol: 'http' }));
});
afterAll(() => fake.close());

async function customerWithCard(pm: string) {
  const customerId = (await gateway.createCustomer({ tenantId: randomUUID(), name: 'Acme', email: null })).id;
  const card = await gateway.attachPaymentMethod({ customerId, paymentMethodId: pm, idempotencyKey: randomUUID() });
  return { customerId, card };
}

describe('StripeGateway.payInvoice', () => {
  it('pays an open invoice off session with the given card, once per idempotency key', async () => {
    const { customerId, card } = await customerWithCard('pm_card_visa');
    const invoice = addOpenInvoice(fake.state, { customer: customerId, amount: 20_950 });
    const input = { customerId, invoiceId: invoice.id, paymentMethodId: card.id, amount: 20_950, currency: 'usd', idempotencyKey: `pay-${randomUUID()}` };

    const payment = await gateway.payInvoice(input);
    expect(payment).toMatchObject({ paymentId: expect.stringMatching(/^pi_/), amountPaid: 20_950 });
    const request = fake.requests.filter((r) => r.path === `/v1/invoices/${invoice.id}/pay`).at(-1);
    expect(request?.body).toMatchObject({ payment_method: card.id, off_session: 'true' });
    expect(request?.headers['idempotency-key']).toBe(input.idempotencyKey);
    expect(invoicesOf(fake.state).get(invoice.id)?.status).toBe('paid');

    // A retry with the same key is Stripe's replay: the same payment.
    expect(await gateway.payInvoice(input)).toEqual(payment);
    // Another key on a paid invoice: invoice_already_paid (409).
    await expect(gateway.payInvoice({ ...input, idempotencyKey: `pay-${randomUUID()}` })).rejects.toMatchObject({ code: 'invoice_already_paid', status: 409 });
  });

  it('answers a declined charge as a 402 card_declined and leaves the invoice open', async () => {
    const { customerId, card } = await customerWithCard('pm_card_chargeCustomerFail');
    const invoice = addOpenInvoice(fake.state, { customer: customerId, amount: 4_900 });
    await expect(
      gateway.payInvoice({ customerId, invoiceId: invoice.id, paymentMethodId: card.id, amount: 4_900, currency: 'usd', idempotencyKey: randomUUID() }),
    ).rejects.toMatchObject({ code: 'card_declined', status: 402, message: 'Your card was declined.' });
    expect(invoicesOf(fake.state).get(invoice.id)).toMatchObject({ status: 'open', amountPaid: 0 });
  });
});
