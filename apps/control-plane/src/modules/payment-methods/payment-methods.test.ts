import { sql } from 'drizzle-orm';
import { routePolicies } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
async function call(method: Method, url: string, { email = 'owner@acme.test', tenantId = acme.id, payload, key }: { email?: string; tenantId?: string; payload?: object; key?: string } = {}) {
  return t.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${await t.tokenFor(email)}`,
      'x-tenant-id': tenantId,
      ...(key ? { 'idempotency-key': key } : {}),
    },
    ...(payload ? { payload } : {}),
  });
}

const add = (stripePaymentMethodId: string, extra: { key?: string; setAsDefault?: boolean } = {}) =>
  call('POST', '/payment-methods', { payload: { stripePaymentMethodId, ...(extra.setAsDefault ? { setAsDefault: true } : {}) }, key: extra.key });

async function tokenise(number: string, expYear = new Date().getUTCFullYear() + 2) {
  return call('POST', '/local-gateway/payment-methods', { payload: { number, expMonth: 12, expYear, cvc: '123', postalCode: '94107' } });
}

const methods = async () => (await call('GET', '/payment-methods')).json() as { id: string; isDefault: boolean; card: { brand: string; last4: string } }[];
const audit = (action: string) =>
  platformRows<{ target_name: string; before: unknown; after: unknown }>(
    t.database.db,
    sql`SELECT target_name, before, after FROM audit_logs WHERE action = ${action} ORDER BY created_at`,
  );

describe('payment methods (local gateway, Stripe test cards)', () => {
  let visaId = '';
  let mastercardId = '';

  it('saves the first method as the default, recording brand and last4 only', async () => {
    const res = await add('pm_card_visa');
    expect(res.statusCode).toBe(201);
    const pm = res.json();
    expect(pm).toMatchObject({ type: 'card', isDefault: true, card: { brand: 'visa', last4: '4242', expMonth: 12, funding: 'credit' } });
    expect(pm.stripePaymentMethodId).toMatch(/^pm_/);
    visaId = pm.id;
    const [entry] = await audit('payment_method.added');
    expect(entry?.target_name).toBe('Visa •••• 4242');
    expect(JSON.stringify(entry)).not.toMatch(/4242424242424242/);
  });

  it('turns a test card typed in the portal into a method, and refuses the same card twice', async () => {
    const token = await tokenise('4242 4242 4242 4242');
    expect(token.statusCode).toBe(201);
    const dup = await add(token.json().paymentMethodId);
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'DUPLICATE_PAYMENT_METHOD', detail: 'This card is already saved as Visa •••• 4242.' });

    const mc = await add((await tokenise('5555 5555 5555 4444')).json().paymentMethodId);
    expect(mc.statusCode).toBe(201);
    expect(mc.json()).toMatchObject({ isDefault: false, card: { brand: 'mastercard', last4: '4444' } });
    mastercardId = mc.json().id;
    expect((await methods()).map((m) => m.card.last4)).toEqual(['4242', '4444']);
  });

  it('refuses declining cards with their message and stores nothing', async () => {
    const before = (await methods()).length;
    const declined = await add('pm_card_chargeDeclined');
    expect(declined.statusCode).toBe(402);
    expect(declined.json()).toMatchObject({ code: 'CARD_DECLINED', declineCode: 'card_declined', detail: 'Your card was declined.' });
    const typed = await add((await tokenise('4000 0000 0000 0002')).json().paymentMethodId);
    expect(typed.json().detail).toBe('Your card was declined.');
    const funds = await add('pm_card_visa_chargeDeclinedInsufficientFunds');
    // One catalogue code for every decline; the gateway's reason travels as `declineCode`.
    expect(funds.statusCode).toBe(402);
    expect(funds.json()).toMatchObject({ code: 'CARD_DECLINED', declineCode: 'insufficient_funds', detail: 'Your card has insufficient funds.' });
    expect((await methods()).length).toBe(before);
  });

  it('refuses numbers that are not Stripe test cards, bad checksums and past expiry dates', async () => {
    expect((await tokenise('4111 1111 1111 1111')).json().code).toBe('NOT_A_TEST_CARD');
    expect((await tokenise('4242 4242 4242 4241')).json()).toMatchObject({ code: 'INCORRECT_NUMBER', detail: 'Your card number is invalid.' });
    expect((await tokenise('4242 4242 4242 4242', 2020)).json().code).toBe('INVALID_EXPIRY');
    const malformed = await call('POST', '/local-gateway/payment-methods', { payload: { number: 'abc', expMonth: 13, expYear: 2030, cvc: '1', postalCode: '' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.cvc', 'body.expMonth', 'body.number', 'body.postalCode']);
  });

  it('refuses to remove the default while another method exists, with a clear message', async () => {
    const res = await call('DELETE', `/payment-methods/${visaId}`);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'DEFAULT_PAYMENT_METHOD',
      detail: 'Visa •••• 4242 is your default payment method. Make another method the default before removing it.',
    });
    expect((await methods()).length).toBe(2);
  });

  it('makes another method the default, then removes the first', async () => {
    const res = await call('PATCH', `/payment-methods/${mastercardId}/set-default`);
    expect(res.statusCode).toBe(200);
    expect(res.json().isDefault).toBe(true);
    expect((await methods()).map((m) => [m.card.last4, m.isDefault])).toEqual([
      ['4444', true],
      ['4242', false],
    ]);
    expect((await audit('payment_method.default_changed')).at(-1)).toMatchObject({
      before: { default: 'Visa •••• 4242' },
      after: { default: 'Mastercard •••• 4444' },
    });
    const [customer] = await platformRows<{ customer_id: string }>(t.database.db, sql`SELECT customer_id FROM billing_customers WHERE tenant_id = ${acme.id}`);
    expect(await t.app.payments.gateway.defaultPaymentMethodOf(customer?.customer_id ?? '')).toBe(res.json().stripePaymentMethodId);
    expect((await call('DELETE', `/payment-methods/${visaId}`)).statusCode).toBe(204);
    expect((await methods()).map((m) => m.card.last4)).toEqual(['4444']);
    expect((await audit('payment_method.removed')).map((e) => e.target_name)).toEqual(['Visa •••• 4242']);
  });

  it('keeps the last method of a paid subscription', async () => {
    const res = await call('DELETE', `/payment-methods/${mastercardId}`);
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('LAST_PAYMENT_METHOD');
  });

  it('refuses a Stripe id that is already saved', async () => {
    const [saved] = await methods();
    const detail = (await call('GET', `/payment-methods/${saved?.id}`)).json();
    const res = await add(detail.stripePaymentMethodId);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('PAYMENT_METHOD_EXISTS');
  });
});

describe('gateway events', () => {
  const auditTotal = async () =>
    (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM audit_logs WHERE action LIKE 'payment_method.%'`))[0]?.n;

  it("changes nothing when the events of CBP's own changes arrive", async () => {
    const [entries, saved] = [await auditTotal(), await methods()];
    const local = t.app.payments.local;
    if (!local) throw new Error('the tests run on the local gateway');
    expect(await local.deliverEvents()).toBeGreaterThan(0);
    expect(await auditTotal()).toBe(entries);
    expect(await methods()).toEqual(saved);
  });
});

describe('changes made at the gateway (Stripe dashboard)', () => {
  it('reconciles a method detached and one attached outside CBP, with system audit entries', async () => {
    const local = t.app.payments.local;
    if (!local) throw new Error('the tests run on the local gateway');
    const [customer] = await platformRows<{ customer_id: string }>(t.database.db, sql`SELECT customer_id FROM billing_customers WHERE tenant_id = ${acme.id}`);
    const customerId = customer?.customer_id ?? '';
    const added = await local.attachPaymentMethod({ customerId, paymentMethodId: 'pm_card_visa_debit', idempotencyKey: 'dashboard-1' });
    await local.deliverEvents();
    const listed = await methods();
    const mirrored = listed.find((m) => m.card.last4 === added.card?.last4);
    expect(mirrored).toBeDefined();

    await local.detachPaymentMethod({ paymentMethodId: added.id });
    await local.deliverEvents();
    expect((await methods()).some((m) => m.id === mirrored?.id)).toBe(false);
    const trail = await platformRows<{ action: string; actor_type: string }>(
      t.database.db,
      sql`SELECT action, actor_type FROM audit_logs WHERE target_id = ${mirrored?.id ?? ''} ORDER BY created_at`,
    );
    expect(trail).toEqual([
      { action: 'payment_method.added', actor_type: 'system' },
      { action: 'payment_method.removed', actor_type: 'system' },
    ]);
  });
});

describe('Idempotency-Key', () => {
  it('makes two concurrent adds with the same key save one method', async () => {
    const before = (await methods()).length;
    const [a, b] = await Promise.all([add('pm_card_amex', { key: 'add-amex-1' }), add('pm_card_amex', { key: 'add-amex-1' })]);
    expect([a.statusCode, b.statusCode].filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    for (const res of [a, b]) expect([201, 409]).toContain(res.statusCode);
    expect((await methods()).length).toBe(before + 1);
    const replay = await add('pm_card_amex', { key: 'add-amex-1' });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe((a.statusCode === 201 ? a : b).json().id);
    expect((await methods()).length).toBe(before + 1);
  });

  it('refuses the same key with a different request', async () => {
    const res = await add('pm_card_discover', { key: 'add-amex-1' });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('access', () => {
  it('answers 403 to an admin on every payment-method route', async () => {
    const routes = Object.entries(routePolicies).filter(([, p]) => p.access === 'tenant' && p.resource === 'payment-methods');
    expect(routes.length).toBe(7);
    for (const [key] of routes) {
      const [method, path] = key.split(' ') as [Method, string];
      const res = await call(method, path.replace(':id', '00000000-0000-4000-8000-000000000001'), {
        email: 'admin@acme.test',
        ...(method === 'POST' || method === 'PATCH' ? { payload: {} } : {}),
      });
      expect({ key, status: res.statusCode }).toEqual({ key, status: 403 });
    }
  });

  it("never lets Globex's owner read, change or delete an Acme method", async () => {
    const [acmeMethod] = await methods();
    const asGlobex = { email: 'owner@globex.test', tenantId: globex.id };
    expect((await call('GET', `/payment-methods/${acmeMethod?.id}`, asGlobex)).statusCode).toBe(404);
    expect((await call('PATCH', `/payment-methods/${acmeMethod?.id}/set-default`, asGlobex)).statusCode).toBe(404);
    expect((await call('DELETE', `/payment-methods/${acmeMethod?.id}`, asGlobex)).statusCode).toBe(404);
    expect((await call('GET', '/payment-methods', asGlobex)).json()).toEqual([]);
    expect((await methods()).some((m) => m.id === acmeMethod?.id)).toBe(true);
  });
});
