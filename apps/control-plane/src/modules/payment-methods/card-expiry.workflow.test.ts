import { sql } from 'drizzle-orm';
import type { NotificationPage } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';
import { cardExpiryWorkflowId, startCardExpiryCheck } from './card-expiry.workflows.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25' });
});
afterAll(() => t.close());

async function call(method: 'GET' | 'POST', url: string, email: string, tenantId: string, payload?: object) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
    ...(payload ? { payload } : {}),
  });
}

/** Saves a card through the local gateway, as the portal does; answers its payment method id. */
async function saveCard(email: string, tenantId: string, number: string, expMonth: number, expYear: number): Promise<string> {
  const token = await call('POST', '/local-gateway/payment-methods', email, tenantId, { number, expMonth, expYear, cvc: '123', postalCode: '94107' });
  expect(token.statusCode, token.body).toBe(201);
  const saved = await call('POST', '/payment-methods', email, tenantId, { stripePaymentMethodId: (token.json() as { paymentMethodId: string }).paymentMethodId });
  expect(saved.statusCode, saved.body).toBe(201);
  return (saved.json() as { id: string }).id;
}

const expiring = async (email: string, tenantId: string) =>
  ((await call('GET', '/notifications?type=card.expiring&limit=100', email, tenantId)).json() as NotificationPage).data;

/** Runs the day's check as the trigger would, to completion, and delivers the events it raised. */
async function runCheck(now: Date) {
  await startCardExpiryCheck(t.app.workflows, now);
  const day = now.toISOString().slice(0, 10);
  await expect
    .poll(async () => (await platformRows<{ status: string }>(t.database.db, sql`SELECT status || coalesce(' ' || error_message, '') AS status FROM workflow_runs WHERE workflow_id = ${cardExpiryWorkflowId(day)}`))[0]?.status, { timeout: 10_000 })
    .toBe('completed');
  await t.app.events.drain();
}

describe('card expiring soon (payment-methods.card-expiry)', () => {
  it("tells the owner once about a card that expires within 30 days, and nobody else, nor about later cards", async () => {
    // Today is 2031-03-10 for the check: a card valid through March 2031 expires in 21 days,
    // one valid through December 2031 is months away.
    await saveCard('owner@acme.test', acme.id, '5555555555554444', 3, 2031);
    await saveCard('owner@acme.test', acme.id, '4242424242424242', 12, 2031);
    await saveCard('owner@globex.test', globex.id, '4000056655665556', 12, 2031);
    await runCheck(new Date('2031-03-10T08:00:00Z'));

    const [notice, ...more] = await expiring('owner@acme.test', acme.id);
    expect(more).toHaveLength(0);
    expect(notice).toMatchObject({ severity: 'warning', title: 'Card expiring soon', link: '/billing/payment-methods' });
    expect(notice?.body).toContain('The card ending in 4444 expires soon.');
    expect(await expiring('admin@acme.test', acme.id)).toHaveLength(0);
    expect(await expiring('owner@globex.test', globex.id)).toHaveLength(0);
    // A warning goes out by email too (the type's default), to the owner only.
    const mails = await platformRows<{ to_address: string }>(t.database.db, sql`SELECT to_address FROM mail_outbox WHERE kind = 'notification.card.expiring'`);
    expect(mails.map((m) => m.to_address)).toEqual(['owner@acme.test']);

    // The next day's run (and a second start of any day's) announces nothing again.
    await runCheck(new Date('2031-03-11T08:00:00Z'));
    await startCardExpiryCheck(t.app.workflows, new Date('2031-03-11T09:00:00Z'));
    expect(await expiring('owner@acme.test', acme.id)).toHaveLength(1);

    // Closer to December, the other Acme card and Globex's are announced, each once.
    await runCheck(new Date('2031-12-05T08:00:00Z'));
    expect((await expiring('owner@acme.test', acme.id)).map((n) => n.body.match(/ending in (\d{4})/)?.[1])).toEqual(['4242', '4444']);
    expect(await expiring('owner@globex.test', globex.id)).toHaveLength(1);
  });
});
