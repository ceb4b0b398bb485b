import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import type { LocalGateway } from '../../adapters/payments/local.js';
import { platformRows, queryRows, withTenant } from '../../platform/db.js';
import { withIdempotency } from '../../platform/idempotency.js';

// A claim whose request died (frozen or killed after it attached the card at the gateway) is
// a lease: a retry within the lease is told to wait, a retry after it takes over and adopts
// what the dead attempt left. The lease is 60 s in production; 1.5 s here.
const leaseMs = 1500;

let t: TestContext;
let local: LocalGateway;
beforeAll(async () => {
  t = await createTestContext({ IDEMPOTENCY_LEASE_MS: String(leaseMs) });
  if (!t.app.payments.local) throw new Error('the tests run on the local gateway');
  local = t.app.payments.local;
});
afterAll(() => t.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method: 'GET' | 'POST', url: string, { tenantId = acme.id as string, payload, key }: { tenantId?: string; payload?: object; key?: string } = {}) {
  const email = tenantId === acme.id ? 'owner@acme.test' : 'owner@globex.test';
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId, ...(key ? { 'idempotency-key': key } : {}) },
    ...(payload ? { payload } : {}),
  });
}

const add = (stripePaymentMethodId: string, key: string, tenantId: string = acme.id) =>
  call('POST', '/payment-methods', { tenantId, key, payload: { stripePaymentMethodId, setAsDefault: true } });
const methods = async (tenantId: string = acme.id) =>
  (await call('GET', '/payment-methods', { tenantId })).json() as { id: string; stripePaymentMethodId: string; isDefault: boolean; card: { last4: string } }[];

async function customerOf(tenantId: string): Promise<string> {
  const [row] = await withTenant(t.database.db, tenantId, (tx) =>
    queryRows<{ customer_id: string }>(tx, sql`SELECT customer_id FROM billing_customers WHERE tenant_id = ${tenantId}`),
  );
  if (!row) throw new Error('no billing customer');
  return row.customer_id;
}

/** Card methods attached to the tenant's customer at the gateway, by last4. */
async function attachedAtGateway(tenantId: string): Promise<string[]> {
  const customerId = await customerOf(tenantId);
  const rows = await platformRows<{ last4: string }>(
    t.database.db,
    sql`SELECT data->'card'->>'last4' AS last4 FROM local_gateway_objects
        WHERE object = 'payment_method' AND data->>'customerId' = ${customerId} ORDER BY last4`,
  );
  return rows.map((r) => r.last4);
}

const addedEntries = async (tenantId: string) =>
  withTenant(t.database.db, tenantId, (tx) =>
    queryRows<{ actor_type: string; target_id: string }>(
      tx,
      sql`SELECT actor_type, target_id FROM audit_logs WHERE tenant_id = ${tenantId} AND action = 'payment_method.added'`,
    ),
  );

function frozenUntilReleased(): { frozen: Promise<void>; release: () => void } {
  let release = () => {};
  const frozen = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { frozen, release };
}

/** The next add freezes right after the gateway attached the card (before CBP's row), like a process killed there; returns its release. */
function freezeAfterAttach(): () => void {
  const { frozen, release } = frozenUntilReleased();
  const original = local.attachPaymentMethod.bind(local);
  vi.spyOn(local, 'attachPaymentMethod').mockImplementationOnce(async (input) => {
    const attached = await original(input);
    await frozen;
    return attached;
  });
  return release;
}

/** The next add freezes after CBP's row is written, before the gateway's default is set and the answer stored. */
function freezeBeforeGatewayDefault(): () => void {
  const { frozen, release } = frozenUntilReleased();
  const original = local.setDefaultPaymentMethod.bind(local);
  vi.spyOn(local, 'setDefaultPaymentMethod').mockImplementationOnce(async (input) => {
    await frozen;
    return original(input);
  });
  return release;
}

describe('Idempotency-Key claims are leases', () => {
  it('tells a retry during the lease to wait (409 + Retry-After), then lets a retry after it take over: one method, at CBP and at the gateway', async () => {
    const release = freezeAfterAttach();
    const first = add('pm_card_visa', 'crash-visa-1');
    // The first attempt has attached the card and is frozen before CBP's row.
    await vi.waitFor(async () => expect(await attachedAtGateway(acme.id)).toEqual(['4242']), { timeout: 5000 });
    expect(await methods()).toEqual([]);

    const early = await add('pm_card_visa', 'crash-visa-1');
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('IDEMPOTENCY_IN_PROGRESS');
    const retryAfter = Number(early.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    await sleep(leaseMs + 200);
    const retry = await add('pm_card_visa', 'crash-visa-1');
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toMatchObject({ isDefault: true, card: { last4: '4242' } });
    const saved = await methods();
    expect(saved.map((m) => m.id)).toEqual([retry.json().id]);
    expect(await attachedAtGateway(acme.id)).toEqual(['4242']);
    const entries = await addedEntries(acme.id);
    expect(entries).toEqual([{ actor_type: 'user', target_id: retry.json().id }]);

    // The frozen attempt wakes up: it lost its lease, so it records nothing and saves nothing.
    release();
    const late = await first;
    expect(late.statusCode).toBe(409);
    expect(await methods()).toHaveLength(1);
    expect(await addedEntries(acme.id)).toHaveLength(1);

    const replay = await add('pm_card_visa', 'crash-visa-1');
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(retry.json().id);
  });

  it("adopts the method the gateway's attach event saved while the attempt was dead, instead of refusing it as already saved", async () => {
    const release = freezeAfterAttach();
    const token = await call('POST', '/local-gateway/payment-methods', {
      tenantId: globex.id,
      payload: { number: '5555 5555 5555 4444', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123', postalCode: '94107' },
    });
    const pmId = token.json().paymentMethodId as string;
    const first = add(pmId, 'crash-mc-1', globex.id);
    await vi.waitFor(async () => expect(await attachedAtGateway(globex.id)).toEqual(['4444']), { timeout: 5000 });
    // The gateway's payment_method.attached event arrives: CBP mirrors the method as the system.
    await local.deliverEvents();
    const mirrored = await methods(globex.id);
    expect(mirrored.map((m) => m.stripePaymentMethodId)).toEqual([pmId]);

    await sleep(leaseMs + 200);
    const retry = await add(pmId, 'crash-mc-1', globex.id);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toMatchObject({ id: mirrored[0]?.id, stripePaymentMethodId: pmId, isDefault: true });
    expect((await methods(globex.id)).map((m) => m.id)).toEqual([mirrored[0]?.id]);
    expect(await attachedAtGateway(globex.id)).toEqual(['4444']);
    expect(await addedEntries(globex.id)).toHaveLength(1);

    release();
    expect((await first).statusCode).toBe(409);
    await local.deliverEvents();
    expect(await methods(globex.id)).toHaveLength(1);
    expect(await addedEntries(globex.id)).toHaveLength(1);
  });

  it("answers with the row an attempt saved before it died, and sets the gateway's default it never set", async () => {
    const release = freezeBeforeGatewayDefault();
    const first = add('pm_card_discover', 'crash-discover-1');
    await vi.waitFor(async () => expect((await methods()).map((m) => m.card.last4)).toContain('1117'), { timeout: 5000 });
    const saved = (await methods()).find((m) => m.card.last4 === '1117');
    expect(saved?.isDefault).toBe(true);
    const customerId = await customerOf(acme.id);
    expect(await local.defaultPaymentMethodOf(customerId)).not.toBe(saved?.stripePaymentMethodId);

    await sleep(leaseMs + 200);
    const retry = await add('pm_card_discover', 'crash-discover-1');
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toMatchObject({ id: saved?.id, isDefault: true });
    expect(await local.defaultPaymentMethodOf(customerId)).toBe(saved?.stripePaymentMethodId);
    expect((await methods()).filter((m) => m.card.last4 === '1117')).toHaveLength(1);
    expect((await addedEntries(acme.id)).filter((e) => e.target_id === saved?.id)).toHaveLength(1);

    release();
    expect((await first).statusCode).toBe(409);
    expect((await add('pm_card_discover', 'crash-discover-1')).json().id).toBe(saved?.id);
  });

  it('adopts a method attached to the customer at the gateway that CBP has no row for, with its audit entry', async () => {
    const token = await call('POST', '/local-gateway/payment-methods', {
      payload: { number: '3782 822463 10005', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '1234', postalCode: '94107' },
    });
    const pmId = token.json().paymentMethodId as string;
    // Attached by an attempt that died before writing CBP's row (its event not yet delivered).
    await local.attachPaymentMethod({ customerId: await customerOf(acme.id), paymentMethodId: pmId, idempotencyKey: 'dead-attempt' });
    expect(await attachedAtGateway(acme.id)).toEqual(['0005', '1117', '4242']);

    const res = await call('POST', '/payment-methods', { key: 'adopt-amex-1', payload: { stripePaymentMethodId: pmId } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ stripePaymentMethodId: pmId, isDefault: false, card: { last4: '0005' } });
    expect((await methods()).filter((m) => m.stripePaymentMethodId === pmId)).toHaveLength(1);
    expect(await attachedAtGateway(acme.id)).toEqual(['0005', '1117', '4242']);
    expect((await addedEntries(acme.id)).filter((e) => e.target_id === res.json().id)).toEqual([{ actor_type: 'user', target_id: res.json().id }]);
    // The late event of that attach changes nothing.
    await local.deliverEvents();
    expect((await methods()).filter((m) => m.stripePaymentMethodId === pmId)).toHaveLength(1);
    expect(await addedEntries(acme.id)).toHaveLength(3);
  });

  it('lets exactly one of several concurrent retries take over an expired claim', async () => {
    const hung = withIdempotency(
      t.database.db,
      { tenantId: acme.id, scope: 'test.race', key: 'race-1', request: { n: 1 }, leaseMs: 300 },
      () => new Promise<never>(() => {}),
    );
    void hung;
    await sleep(500);
    let runs = 0;
    const retries = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        withIdempotency(t.database.db, { tenantId: acme.id, scope: 'test.race', key: 'race-1', request: { n: 1 }, leaseMs: 300 }, async ({ takeover }) => {
          runs++;
          expect(takeover).toBe(true);
          await sleep(100);
          return { status: 201, body: { done: true } };
        }),
      ),
    );
    expect(runs).toBe(1);
    // The others were told to wait (409), or came after the answer and got it replayed.
    const answers = retries.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    for (const a of answers) expect(a.body).toEqual({ done: true });
    for (const r of retries) if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 409, code: 'IDEMPOTENCY_IN_PROGRESS' });
    const again = await withIdempotency(t.database.db, { tenantId: acme.id, scope: 'test.race', key: 'race-1', request: { n: 1 } }, async () => {
      runs++;
      return { status: 201, body: { done: false } };
    });
    expect(again).toEqual({ status: 201, body: { done: true }, replayed: true });
    expect(runs).toBe(1);
  });

  it('makes the local gateway attach once per idempotency key, even for concurrent calls', async () => {
    const customerId = await customerOf(globex.id);
    const input = { customerId, paymentMethodId: 'pm_card_visa_debit', idempotencyKey: 'gateway-once-1' };
    const [a, b, c] = await Promise.all([local.attachPaymentMethod(input), local.attachPaymentMethod(input), local.attachPaymentMethod(input)]);
    expect(new Set([a.id, b.id, c.id]).size).toBe(1);
    expect((await attachedAtGateway(globex.id)).filter((last4) => last4 === '5556')).toHaveLength(1);
  });
});
