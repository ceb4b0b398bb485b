import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';
import { demoUsers } from '../../seed/demo.js';

// Seats (decision 004, issue 17): a plan's `users` limit caps active members plus pending
// invitations. Globex is moved to the Free plan (3 seats) with its two demo members.

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
  await t.database.execScript(`UPDATE tenants SET plan_id = (SELECT id FROM plans WHERE key = 'free') WHERE id = '${globex.id}'`);
});
afterAll(() => t.close());

async function call(email: string | null, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) {
  return t.app.inject({
    method,
    url,
    headers: email ? { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': globex.id } : {},
    ...(payload ? { payload } : {}),
  });
}

const count = async (query: ReturnType<typeof sql>) => (await platformRows<{ n: number }>(t.database.db, query))[0]?.n ?? 0;
const globexRows = () =>
  Promise.all([
    count(sql`SELECT count(*)::int AS n FROM user_invitations WHERE tenant_id = ${globex.id}`),
    count(sql`SELECT count(*)::int AS n FROM tenant_memberships WHERE tenant_id = ${globex.id}`),
    count(sql`SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = ${globex.id}`),
    count(sql`SELECT count(*)::int AS n FROM mail_outbox WHERE tenant_id = ${globex.id}`),
  ]);

async function mailedToken(email: string): Promise<string> {
  const [mail] = await platformRows<{ body_text: string }>(
    t.database.db,
    sql`SELECT body_text FROM mail_outbox WHERE to_address = ${email} AND kind = 'invitation' ORDER BY created_at DESC LIMIT 1`,
  );
  return /invitations\/accept\?token=([\w-]+)/.exec(mail?.body_text ?? '')?.[1] ?? '';
}

const analystId = demoUsers.find((u) => u.email === 'analyst@globex.test')?.id ?? '';

describe('seats of the plan', () => {
  it('counts pending invitations: the invitation that would need a fourth seat on Free is refused and writes nothing', async () => {
    expect((await call('owner@globex.test', 'POST', '/user-invitations', { email: 'third@globex.test', role: 'analyst' })).statusCode).toBe(201);
    const before = await globexRows();
    const refused = await call('owner@globex.test', 'POST', '/user-invitations', { email: 'fourth@globex.test', role: 'analyst' });
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({
      code: 'SEAT_LIMIT_REACHED',
      detail: 'All 3 seats of the Free plan are taken (active members and pending invitations). Remove or suspend a member, cancel an invitation, or move to a larger plan.',
    });
    expect(await globexRows()).toEqual(before);
    // Acme (Pro, 50 seats) is not affected.
    const acmeInvite = await t.app.inject({
      method: 'POST',
      url: '/user-invitations',
      headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id },
      payload: { email: 'fourth@globex.test', role: 'analyst' },
    });
    expect(acmeInvite.statusCode).toBe(201);
  });

  it('reports the rows beyond the seats in a bulk invitation and its dry run alike; cancelling an invitation frees its seat', async () => {
    const invitations = [{ email: 'fifth@globex.test', role: 'analyst' }];
    for (const dryRun of [true, false]) {
      const res = await call('owner@globex.test', 'POST', '/user-invitations/bulk', { invitations, dryRun });
      expect(res.json().results).toEqual([expect.objectContaining({ index: 0, ok: false, status: 422, code: 'SEAT_LIMIT_REACHED' })]);
    }
    const pending = (await call('owner@globex.test', 'GET', '/user-invitations?status=pending')).json() as { data: { id: string; email: string }[] };
    const third = pending.data.find((i) => i.email === 'third@globex.test');
    if (!third) throw new Error('no pending invitation');
    expect((await call('owner@globex.test', 'DELETE', `/user-invitations/${third.id}`)).statusCode).toBe(204);
    const res = await call('owner@globex.test', 'POST', '/user-invitations/bulk', { invitations: [...invitations, { email: 'sixth@globex.test', role: 'analyst' }] });
    expect(res.json()).toMatchObject({ created: 1, failed: 1 });
    expect(res.json().results[1]).toMatchObject({ ok: false, status: 422, code: 'SEAT_LIMIT_REACHED' });
  });

  it('lets an invitation holding its seat be accepted, then refuses to reactivate a member while the seats are full', async () => {
    const token = await mailedToken('fifth@globex.test');
    const accepted = await call(null, 'POST', '/user-invitations/accept', { token, name: 'Fifth Person', password: 'long-enough-pw-1' });
    expect(accepted.statusCode).toBe(200);
    // Three active members now: suspending one frees a seat, an invitation takes it, reactivating is refused.
    expect((await call('owner@globex.test', 'PATCH', `/users/${analystId}/status`, { status: 'suspended' })).statusCode).toBe(200);
    expect((await call('owner@globex.test', 'POST', '/user-invitations', { email: 'seventh@globex.test', role: 'analyst' })).statusCode).toBe(201);
    const before = await globexRows();
    const reactivate = await call('owner@globex.test', 'PATCH', `/users/${analystId}/status`, { status: 'active' });
    expect(reactivate.statusCode).toBe(422);
    expect(reactivate.json().code).toBe('SEAT_LIMIT_REACHED');
    expect(await globexRows()).toEqual(before);
    const members = (await call('owner@globex.test', 'GET', '/users?status=suspended')).json() as { data: { id: string }[] };
    expect(members.data.map((m) => m.id)).toEqual([analystId]);
  });
});
