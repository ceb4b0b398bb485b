import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeStripe, type FakeStripe } from '../../../test/fake-stripe.js';
import { GatewayError } from './port.js';
import { createStripeClient, StripeGateway } from './stripe.js';

// updateCustomer (issue 15: the organization profile's billing identity at the gateway) through
// the real `stripe` SDK against the Stripe-compatible fake: the form fields Stripe receives.

const KEY = 'sk_test_cbpFakeStripeKey0123456789';
let fake: FakeStripe;
let gateway: StripeGateway;
beforeAll(async () => {
  fake = await startFakeStripe({ secretKey: KEY });
  gateway = new StripeGateway(createStripeClient(KEY, { host: fake.host, port: fake.port, protocol: 'http' }));
});
afterAll(() => fake.close());

describe('StripeGateway.updateCustomer', () => {
  it('sends name, email, address and the tax id (metadata) as customers.update form fields', async () => {
    const customer = await gateway.createCustomer({ tenantId: randomUUID(), name: 'Acme', email: 'old@acme.test' });
    const updated = await gateway.updateCustomer({
      customerId: customer.id,
      name: 'Acme Corporation Ltd',
      email: 'accounts@acme.test',
      address: { line1: '1 Road Runner Way', line2: null, city: 'Phoenix', postalCode: '85001', state: 'AZ', country: 'US' },
      taxId: 'US-99-1234567',
    });
    expect(updated).toEqual({ id: customer.id, name: 'Acme Corporation Ltd', email: 'accounts@acme.test' });
    const sent = fake.requests.filter((r) => r.method === 'POST' && r.path === `/v1/customers/${customer.id}`).at(-1);
    expect(sent?.body).toEqual({
      name: 'Acme Corporation Ltd',
      email: 'accounts@acme.test',
      address: { line1: '1 Road Runner Way', line2: '', city: 'Phoenix', postal_code: '85001', state: 'AZ', country: 'US' },
      metadata: { tax_id: 'US-99-1234567' },
    });
    expect(fake.state.customers.get(customer.id)).toMatchObject({ name: 'Acme Corporation Ltd', email: 'accounts@acme.test' });
  });

  it('clears email, address and tax id with empty values when the profile has none', async () => {
    const customer = await gateway.createCustomer({ tenantId: randomUUID(), name: 'Globex', email: 'ap@globex.test' });
    await gateway.updateCustomer({ customerId: customer.id, name: 'Globex', email: null, address: null, taxId: null });
    const sent = fake.requests.filter((r) => r.method === 'POST' && r.path === `/v1/customers/${customer.id}`).at(-1);
    expect(sent?.body).toEqual({ name: 'Globex', email: '', address: '', metadata: { tax_id: '' } });
    expect(fake.state.customers.get(customer.id)?.email).toBeNull();
  });

  it('an unknown customer is a GatewayError (the workflow step retries, then fails visibly)', async () => {
    const err = await gateway.updateCustomer({ customerId: 'cus_missing', name: 'X', email: null, address: null, taxId: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
  });
});
