import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { GatewayError } from '../../adapters/payments/port.js';
import { platformRows } from '../../platform/db.js';

// POST /invoices/{id}/pay on the local gateway: the demo's open invoices (seeded history, no card on file).
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());
afterEach(() => {
  vi.restoreAllMocks();
});

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
    // The lists show it at once (they answer from memory while the invoices are unchanged).
    const listed = (await call('GET', '/invoices?limit=100', 'owner@acme.test')).json() as { data: { id: string; status: string }[] };
    expect(listed.data.find((i) => i.id === invoice.id)).toMatchObject({ status: 'paid' });
    const stillOpen = (await call('GET', '/invoices?status=open', 'owner@acme.test')).json() as { data: { id: string }[] };
    expect(stillOpen.data.map((i) => i.id)).not.toContain(invoice.id);

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

describe('POST /invoices/{id}/pay: refusals and races', () => {
  it('refuses a void invoice with 409 INVOICE_NOT_PAYABLE and charges nothing', async () => {
    const [paid] = (await call('GET', '/invoices?status=paid&limit=1', 'owner@acme.test')).json().data as { id: string; number: string }[];
    await t.database.execScript(`UPDATE invoices SET status = 'void' WHERE id = '${paid?.id}'`);
    const res = await call('POST', `/invoices/${paid?.id}/pay`, 'owner@acme.test');
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ code: 'INVOICE_NOT_PAYABLE', detail: expect.stringContaining('void') });
  });

  it('answers an unreachable gateway with 503 and leaves the invoice open; the retry with the same key goes through', async () => {
    const owner = 'owner@globex.test';
    const added = await call('POST', '/payment-methods', owner, { tenant: globex.id, payload: { stripePaymentMethodId: 'pm_card_visa' } });
    expect(added.statusCode, added.body).toBe(201);
    const invoice = await openInvoice(owner, globex.id);
    vi.spyOn(t.app.payments.gateway, 'payInvoice').mockRejectedValueOnce(new GatewayError('stripe_unavailable', 'Stripe is unavailable; could not pay the invoice. Try again shortly.', 503));

    const down = await call('POST', `/invoices/${invoice.id}/pay`, owner, { tenant: globex.id, key: 'globex-pay-1' });
    expect(down.statusCode, down.body).toBe(503);
    expect(down.json().code).toBe('PAYMENT_GATEWAY_UNAVAILABLE');
    expect((await call('GET', `/invoices/${invoice.id}`, owner, { tenant: globex.id })).json().status).toBe('open');
    expect(await paidEntries(invoice.id)).toEqual([]);

    const retried = await call('POST', `/invoices/${invoice.id}/pay`, owner, { tenant: globex.id, key: 'globex-pay-1' });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().status).toBe('paid');
  });

  it('charges once when two payments of one invoice race (no Idempotency-Key)', async () => {
    const owner = 'owner@globex.test';
    // Another open invoice for Globex: the paid one opened again (as a gateway would leave a failed renewal).
    const [latest] = (await call('GET', '/invoices?status=paid&limit=1', owner, { tenant: globex.id })).json().data as { id: string }[];
    await t.database.execScript(`UPDATE invoices SET status = 'open', amount_paid = 0, paid_at = NULL WHERE id = '${latest?.id}'`);
    await t.database.execScript(`DELETE FROM local_gateway_objects WHERE object = 'charge' AND data->>'invoiceId' = (SELECT gateway_invoice_id FROM invoices WHERE id = '${latest?.id}')`);
    const before = (await paidEntries(latest?.id ?? '')).length;
    const [a, b] = await Promise.all([
      call('POST', `/invoices/${latest?.id}/pay`, owner, { tenant: globex.id }),
      call('POST', `/invoices/${latest?.id}/pay`, owner, { tenant: globex.id }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.statusCode === 409)?.json().code).toBe('INVOICE_ALREADY_PAID');
    expect(await paidEntries(latest?.id ?? '')).toHaveLength(before + 1);
    const [charges] = await platformRows<{ n: number }>(
      t.database.db,
      sql`SELECT count(*)::int AS n FROM local_gateway_objects WHERE object = 'charge' AND data->>'invoiceId' = (SELECT gateway_invoice_id FROM invoices WHERE id = ${latest?.id ?? ''})`,
    );
    expect(charges?.n).toBe(1);
  });
});
