import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';

let t: TestContext;
const ownerId = '00000000-0000-4000-8000-000000000a04';

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, email = 'admin@acme.test', tenantId: string = acme.id, payload?: object) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
    ...(payload ? { payload } : {}),
  });
}

beforeAll(async () => {
  t = await createTestContext();
  // Two changes a user would look for: a plan change and a new payment method.
  const plans = (await call('GET', '/plans')).json() as { id: string; name: string }[];
  const starter = plans.find((p) => p.name === 'Starter');
  expect((await call('POST', '/subscriptions/change-plan', 'owner@acme.test', acme.id, { planId: starter?.id })).statusCode).toBe(200);
  expect((await call('POST', '/payment-methods', 'owner@acme.test', acme.id, { stripePaymentMethodId: 'pm_card_visa' })).statusCode).toBe(201);
});
afterAll(() => t.close());

type Entry = { id: string; action: string; actorEmail: string | null; targetType: string; before: unknown; after: unknown; tenantId: string };

describe('GET /audit-logs', () => {
  it('shows the latest changes first, with who, what and before/after', async () => {
    const res = await call('GET', '/audit-logs?limit=2');
    expect(res.statusCode).toBe(200);
    const [latest, previous] = res.json().data as Entry[];
    expect(latest).toMatchObject({ action: 'payment_method.added', actorEmail: 'owner@acme.test', targetType: 'payment_method', after: { label: 'Visa •••• 4242' } });
    expect(previous).toMatchObject({ action: 'subscription.plan_changed', before: { plan: 'Pro' }, after: { plan: 'Starter' } });
  });

  it('filters by action, actor, target, date range and text', async () => {
    const byAction = (await call('GET', '/audit-logs?action=subscription.plan_changed')).json();
    expect(byAction.total).toBe(1);
    const byActor = (await call('GET', `/audit-logs?actorId=${ownerId}`)).json();
    expect(byActor.data.map((e: Entry) => e.action).sort()).toEqual(['payment_method.added', 'subscription.plan_changed']);
    const byTarget = (await call('GET', '/audit-logs?targetType=payment_method')).json();
    expect(byTarget.data.every((e: Entry) => e.targetType === 'payment_method')).toBe(true);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    expect((await call('GET', `/audit-logs?from=${future}`)).json().total).toBe(0);
    const past = new Date(Date.now() - 86_400_000).toISOString();
    expect((await call('GET', `/audit-logs?to=${past}`)).json().data.some((e: Entry) => e.action === 'payment_method.added')).toBe(false);
    expect((await call('GET', '/audit-logs?q=visa')).json().data.map((e: Entry) => e.action)).toEqual(['payment_method.added']);
    expect((await call('GET', '/audit-logs?q=%25')).json().total).toBe(0);
    expect((await call('GET', '/audit-logs?from=yesterday')).statusCode).toBe(400);
  });

  it('answers the shortcut routes and the count like the filters', async () => {
    const entry = (await call('GET', '/audit-logs?action=subscription.plan_changed')).json().data[0] as Entry & { targetId: string };
    expect((await call('GET', `/audit-logs/${entry.id}`)).json()).toMatchObject({ id: entry.id, action: 'subscription.plan_changed' });
    expect((await call('GET', '/audit-logs/by-action/subscription.plan_changed')).json().total).toBe(1);
    expect((await call('GET', `/audit-logs/by-target/subscription/${entry.targetId}`)).json().data[0].id).toBe(entry.id);
    expect((await call('GET', `/audit-logs/by-actor/${ownerId}`)).json().total).toBe(2);
    expect((await call('GET', '/audit-logs/count?targetType=payment_method')).json()).toEqual({ count: 1, capped: false });
  });

  it('is for admins and above', async () => {
    expect((await call('GET', '/audit-logs', 'engineer@acme.test')).statusCode).toBe(403);
    expect((await call('GET', '/audit-logs', 'analyst@acme.test')).statusCode).toBe(403);
    expect((await call('GET', '/audit-logs', 'owner@acme.test')).statusCode).toBe(200);
  });

  it('never shows Acme entries to Globex', async () => {
    const acmeEntry = (await call('GET', '/audit-logs?limit=1')).json().data[0] as Entry;
    const globexView = (await call('GET', '/audit-logs?limit=100', 'owner@globex.test', globex.id)).json();
    expect(globexView.data.every((e: Entry) => e.tenantId === globex.id)).toBe(true);
    expect((await call('GET', `/audit-logs/${acmeEntry.id}`, 'owner@globex.test', globex.id)).statusCode).toBe(404);
  });

  it('searches text only inside the tenant, and the search function refuses to run unscoped', async () => {
    expect((await call('GET', '/audit-logs?q=visa')).json().total).toBe(1);
    const globexView = (await call('GET', '/audit-logs?q=visa', 'owner@globex.test', globex.id)).json();
    expect(globexView).toMatchObject({ total: 0, data: [] });
    expect((await call('GET', '/audit-logs/count?q=acme', 'owner@globex.test', globex.id)).json()).toEqual({ count: 0, capped: false });
    await expect(
      t.database.execScript(`SELECT * FROM audit_log_search('%visa%', null, null, null, null, null, null, null, 20, 0)`),
    ).rejects.toThrow(/tenant scope/);
  });

  it('has no route that edits or deletes an entry', async () => {
    const entry = (await call('GET', '/audit-logs?limit=1')).json().data[0] as Entry;
    expect((await call('PATCH', `/audit-logs/${entry.id}`, 'owner@acme.test', acme.id, { action: 'x' })).statusCode).toBe(404);
    expect((await call('DELETE', `/audit-logs/${entry.id}`, 'owner@acme.test')).statusCode).toBe(404);
  });
});

/** What someone holding the schema owner's role could do: switch the guard off and edit rows. */
function asDatabaseOwner(statement: string) {
  return t.ownerScript(`BEGIN;
    ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only;
    ${statement};
    ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only;
    COMMIT;`);
}

describe('tamper evidence', () => {
  it('verifies an untouched chain', async () => {
    const res = await call('GET', '/audit-logs/verify');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ valid: true, firstBroken: null });
    expect(res.json().checked).toBeGreaterThanOrEqual(4);
    expect((await call('GET', '/audit-logs/verify', 'engineer@acme.test')).statusCode).toBe(403);
  });

  it('reports an entry edited directly in the database', async () => {
    const entry = (await call('GET', '/audit-logs?action=subscription.plan_changed')).json().data[0] as Entry;
    await asDatabaseOwner(`UPDATE audit_logs SET after = '{"plan": "Free"}' WHERE id = '${entry.id}'`);
    const res = (await call('GET', '/audit-logs/verify')).json();
    expect(res).toMatchObject({ valid: false, firstBroken: { id: entry.id, reason: 'content_changed' } });
  });

  it('reports the entry after one deleted directly in the database', async () => {
    const globexOwner = ['owner@globex.test', globex.id] as const;
    const { data } = (await call('GET', '/audit-logs?limit=100', ...globexOwner)).json() as { data: Entry[] };
    expect(data.length).toBeGreaterThanOrEqual(2);
    const [newest, older] = data;
    await asDatabaseOwner(`DELETE FROM audit_logs WHERE id = '${older?.id}'`);
    const res = (await call('GET', '/audit-logs/verify', ...globexOwner)).json();
    expect(res).toMatchObject({ valid: false, firstBroken: { id: newest?.id, reason: 'chain_broken' } });
  });
});
