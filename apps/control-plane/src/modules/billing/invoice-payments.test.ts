import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

// POST /invoices/{id}/pay on the local gateway: the demo's open invoices (seeded history, no card on file).
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function call(method: 'GET' | 'POST', url: string, email: string, options: { tenant?: string; payload?: object; key?: string } = {}) {
  return t.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${await t.tokenFor(email)}`,
      'x-tenant-id': options.tenant ?? acme.id,
      ...(options.key ? { 'idempotency-key': options.key } : {}),
    },
    ...(options.payload ? { payload: options.payload } : {}),
  });
}

async function openInvoice(email: string, tenant: string = acme.id): Promise<{ id: string; number: string; amountDue: number; status: string }> {
  const res = await call('GET', '/invoices?status=open', email, { tenant });
  const [invoice] = res.json().data as { id: string; number: string; amountDue: number; status: string }[];
  if (!invoice) throw new Error('no open invoice in the demo data');
  return invoice;
}

const paidEntries = async (invoiceId: string) =>
  (
    await platformRows<{ actor_email: string; metadata: Record<string, unknown> }>(
      t.database.db,
      sql`SELECT actor_email, metadata FROM audit_logs WHERE action = 'invoice.paid' AND target_id = ${invoiceId}`,
    )
  );

describe('POST /invoices/{id}/pay', () => {
  it('refuses without a card on file (422 NO_PAYMENT_METHOD) and leaves the invoice open', async () => {
    const invoice = await openInvoice('owner@acme.test');
    const res = await call('POST', `/invoices/${invoice.id}/pay`, 'owner@acme.test');
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'NO_PAYMENT_METHOD', detail: expect.stringMatching(/no card on file/i) });
    expect((await call('GET', `/invoices/${invoice.id}`, 'owner@acme.test')).json()).toMatchObject({ status: 'open', amountDue: invoice.amountDue });
    expect(await paidEntries(invoice.id)).toEqual([]);
  });

  it('is for owners: an admin, engineer or analyst gets 403 and nothing is charged', async () => {
    const invoice = await openInvoice('owner@acme.test');
    for (const email of ['admin@acme.test', 'engineer@acme.test', 'analyst@acme.test']) {
      const res = await call('POST', `/invoices/${invoice.id}/pay`, email);
      expect(res.statusCode, `${email}: ${res.body}`).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN');
    }
    expect((await call('GET', `/invoices/${invoice.id}`, 'owner@acme.test')).json().status).toBe('open');
  });

  it("answers another organization's invoice as not found (404) and leaves it open", async () => {
    const theirs = await openInvoice('owner@globex.test', globex.id);
    const res = await call('POST', `/invoices/${theirs.id}/pay`, 'owner@acme.test');
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
    expect((await call('GET', `/invoices/${theirs.id}`, 'owner@globex.test', { tenant: globex.id })).json().status).toBe('open');
  });

  it('refuses a declined card with 402 CARD_DECLINED and changes nothing', async () => {
    // Stripe's 4000 0000 0000 0341: attaches fine, every charge is declined.
    const added = await call('POST', '/payment-methods', 'owner@acme.test', { payload: { stripePaymentMethodId: 'pm_card_chargeCustomerFail' } });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ isDefault: true, card: { last4: '0341' } });
    const invoice = await openInvoice('owner@acme.test');

    const res = await call('POST', `/invoices/${invoice.id}/pay`, 'owner@acme.test', { key: 'pay-declined-1' });
    expect(res.statusCode, res.body).toBe(402);
    expect(res.json()).toMatchObject({ code: 'CARD_DECLINED', declineCode: 'card_declined', detail: 'Your card was declined.' });
    // The refusal is the key's answer: a retry gets it again.
    const retried = await call('POST', `/invoices/${invoice.id}/pay`, 'owner@acme.test', { key: 'pay-declined-1' });
    expect(retried.statusCode).toBe(402);
    expect((await call('GET', `/invoices/${invoice.id}`, 'owner@acme.test')).json()).toMatchObject({ status: 'open', amountDue: invoice.amountDue, paidAt: null });
    expect(await paidEntries(invoice.id)).toEqual([]);
  });

  it('charges the default card, marks the invoice paid with its audit entry, once per Idempotency-Key; a paid invoice is 409', async () => {
    const visa = await call('POST', '/payment-methods', 'owner@acme.test', { payload: { stripePaymentMethodId: 'pm_card_visa', setAsDefault: true } });
    expect(visa.statusCode, visa.body).toBe(201);
    const invoice = await openInvoice('owner@acme.test');
    expect(invoice.amountDue).toBeGreaterThan(0);

    const res = await call('POST', `/invoices/${invoice.id}/pay`, 'owner@acme.test', { key: 'pay-visa-1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: invoice.id, status: 'paid', amountDue: 0, amountPaid: invoice.amountDue, paidAt: expect.any(String) });
    expect((await call('GET', `/invoices/${invoice.id}`, 'analyst@acme.test')).json()).toMatchObject({ status: 'paid', amountDue: 0 });

    const entries = await paidEntries(invoice.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor_email: 'owner@acme.test', metadata: { paymentMethod: 'Visa •••• 4242', charged: invoice.amountDue, gateway: 'local' } });
    expect(entries[0]?.metadata.paymentId).toMatch(/^ch_/);

    // A retry with the same key: the first answer, nothing charged or recorded again.
    const replay = await call('POST', `/invoices/${invoice.id}/pay`, 'owner@acme.test', { key: 'pay-visa-1' });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(res.json());
    expect(await paidEntries(invoice.id)).toHaveLength(1);

    // Paying it again (another key, or none): 409, still one payment.
    const again = await call('POST', `/invoices/${invoice.id}/pay`, 'owner@acme.test', { key: 'pay-visa-2' });
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json()).toMatchObject({ code: 'INVOICE_ALREADY_PAID', detail: expect.stringContaining(invoice.number) });
    expect((await call('POST', `/invoices/${invoice.id}/pay`, 'owner@acme.test')).statusCode).toBe(409);
    expect(await paidEntries(invoice.id)).toHaveLength(1);
    const [charges] = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM local_gateway_objects WHERE object = 'charge'`);
    expect(charges?.n).toBe(1);
  });
});
