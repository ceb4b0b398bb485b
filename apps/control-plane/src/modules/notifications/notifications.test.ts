import { sql } from 'drizzle-orm';
import type { Notification, NotificationPage, NotificationSettings } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { defineWorkflow, NonRetryableError } from '../../adapters/workflows/port.js';
import { inPlatformScope, platformRows } from '../../platform/db.js';

/** A tenant workflow that always fails (the engine's onRunFailed publishes workflow.failed). */
const failing = defineWorkflow({
  type: 'test.notify-failing',
  retry: { maxAttempts: 1 },
  run: async (ctx) => {
    await ctx.step('explode', async () => {
      throw new NonRetryableError('the test hook broke it');
    });
  },
});

let t: TestContext;

beforeAll(async () => {
  // The engine runs workflows; the events consumer polls only once a minute here, so a
  // notification that arrives within seconds was woken by NOTIFY at the commit.
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25', EVENTS_POLL_INTERVAL_MS: '60000' }, { workflows: [failing] });
});
afterAll(() => t.close());

async function call(email: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, tenantId: string = acme.id) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
    ...(payload ? { payload } : {}),
  });
}

const inbox = async (email: string, query = '', tenantId: string = acme.id): Promise<NotificationPage> => {
  const res = await call(email, 'GET', `/notifications${query}`, undefined, tenantId);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as NotificationPage;
};
const ofType = async (email: string, type: string, tenantId: string = acme.id): Promise<Notification[]> =>
  (await inbox(email, `?type=${type}&limit=100`, tenantId)).data;

const mails = (kind: string) =>
  platformRows<{ to_address: string; subject: string; body_text: string }>(
    t.database.db,
    sql`SELECT to_address, subject, body_text FROM mail_outbox WHERE kind = ${kind} ORDER BY to_address`,
  );

const currentUsage = async (metric: string) =>
  ((await call('analyst@acme.test', 'GET', '/usage/status')).json() as { metricType: string; currentUsage: number; softLimit: number }[]).find((s) => s.metricType === metric);

/** Pushes Acme's metric just over its soft limit, as the engineer. */
async function crossSoftLimit(metric: string, key: string) {
  const status = await currentUsage(metric);
  if (!status) throw new Error(`no ${metric} quota`);
  const res = await call('engineer@acme.test', 'POST', '/usage/events', {
    events: [{ metricType: metric, quantity: Math.max(1, status.softLimit - status.currentUsage + 1), idempotencyKey: key }],
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what}: not there within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('quota soft limit crossed', () => {
  let adminNotification: Notification;

  it("reaches Acme's admin in-app within seconds of the commit (woken by NOTIFY), as a warning", async () => {
    await crossSoftLimit('api_calls', 'notify-soft-1');
    adminNotification = await waitFor('admin notification', async () => (await ofType('admin@acme.test', 'quota.soft_limit_crossed'))[0], 5_000);
    expect(adminNotification).toMatchObject({
      type: 'quota.soft_limit_crossed',
      severity: 'warning',
      title: 'Usage above the soft limit',
      link: '/usage/quotas',
      read: false,
    });
    expect(adminNotification.body).toMatch(/API calls reached .* over the soft limit of 800,000/);
  });

  it('notifies the owner too, not the analyst or the engineer, and nobody at Globex', async () => {
    await t.app.events.drain();
    expect(await ofType('owner@acme.test', 'quota.soft_limit_crossed')).toHaveLength(1);
    expect(await ofType('admin@acme.test', 'quota.soft_limit_crossed')).toHaveLength(1);
    expect((await inbox('analyst@acme.test')).total).toBe(0);
    expect(await ofType('engineer@acme.test', 'quota.soft_limit_crossed')).toHaveLength(0);
    expect((await inbox('owner@globex.test', '', globex.id)).total).toBe(0);
    expect((await inbox('analyst@globex.test', '', globex.id)).total).toBe(0);
  });

  it('queues one mail per opted-in recipient (admin and owner), none for the analyst', async () => {
    const sent = await mails('notification.quota.soft_limit_crossed');
    expect(sent.map((m) => m.to_address)).toEqual(['admin@acme.test', 'owner@acme.test']);
    expect(sent[0]?.subject).toBe('[CBP] Usage above the soft limit');
    expect(sent[0]?.body_text).toContain('/usage/quotas');
  });

  it("keeps a user's notifications their own: another user's id is 404 to read-mark, in any tenant", async () => {
    const byAnalyst = await call('analyst@acme.test', 'PATCH', `/notifications/${adminNotification.id}/read`);
    expect(byAnalyst.statusCode).toBe(404);
    expect(byAnalyst.json()).toMatchObject({ code: 'NOT_FOUND' });
    const byOwner = await call('owner@acme.test', 'PATCH', `/notifications/${adminNotification.id}/read`);
    expect(byOwner.statusCode).toBe(404);
    const fromGlobex = await call('owner@globex.test', 'PATCH', `/notifications/${adminNotification.id}/read`, undefined, globex.id);
    expect(fromGlobex.statusCode).toBe(404);
    expect((await ofType('admin@acme.test', 'quota.soft_limit_crossed'))[0]?.read).toBe(false);
  });

  it('marks one read: the unread count drops by one, the read filter sees it', async () => {
    const before = await inbox('admin@acme.test');
    expect(before.unread).toBeGreaterThanOrEqual(1);
    const res = await call('admin@acme.test', 'PATCH', `/notifications/${adminNotification.id}/read`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: adminNotification.id, read: true });
    const after = await inbox('admin@acme.test');
    expect(after.unread).toBe(before.unread - 1);
    expect((await inbox('admin@acme.test', '?read=true')).data.map((n) => n.id)).toEqual([adminNotification.id]);
    expect((await inbox('admin@acme.test', '?read=false')).data.map((n) => n.id)).not.toContain(adminNotification.id);
    // The owner's copy of the same event is still unread.
    expect((await ofType('owner@acme.test', 'quota.soft_limit_crossed'))[0]?.read).toBe(false);
  });
});

describe('read-all and the list', () => {
  it('read-all marks every notification of the caller read, and only theirs', async () => {
    // One more for each admin/owner: an API key created by the owner (the owner is not told of their own act).
    const key = await call('owner@acme.test', 'POST', '/api-keys', { name: 'Notifier' });
    expect(key.statusCode, key.body).toBe(201);
    await t.app.events.drain();
    const keyNotices = await ofType('admin@acme.test', 'api_key.created');
    expect(keyNotices).toHaveLength(1);
    expect(keyNotices[0]).toMatchObject({ severity: 'info', body: 'API key "Notifier" was created by owner@acme.test.' });
    expect(await ofType('owner@acme.test', 'api_key.created')).toHaveLength(0);
    expect(await mails('notification.api_key.created')).toEqual([]); // info types mail nobody by default

    const ownerUnread = (await inbox('owner@acme.test')).unread;
    expect(ownerUnread).toBeGreaterThan(0);
    const res = await call('admin@acme.test', 'POST', '/notifications/read-all');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ unread: 0 });
    expect(res.json().updated).toBeGreaterThanOrEqual(1);
    const page = await inbox('admin@acme.test');
    expect(page.unread).toBe(0);
    expect(page.data.every((n) => n.read)).toBe(true);
    expect((await inbox('owner@acme.test')).unread).toBe(ownerUnread);
  });

  it('pages newest first and caps the limit', async () => {
    const all = await inbox('admin@acme.test', '?limit=100');
    expect(all.total).toBeGreaterThanOrEqual(2);
    const first = await inbox('admin@acme.test', '?limit=1&page=1');
    expect(first.data).toHaveLength(1);
    expect(first.total).toBe(all.total);
    expect(first.data[0]?.id).toBe(all.data[0]?.id);
    const times = all.data.map((n) => n.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect((await call('admin@acme.test', 'GET', '/notifications?limit=101')).statusCode).toBe(400);
    expect((await call('admin@acme.test', 'GET', '/notifications?type=nope')).statusCode).toBe(400);
  });

  it('answers total and unread that match the rows, through fan-outs, reads, the filters and removals', async () => {
    const exact = async (email: string) => {
      const [row] = await platformRows<{ total: number; unread: number }>(
        t.database.db,
        sql`SELECT count(*)::int AS total, (count(*) FILTER (WHERE read_at IS NULL))::int AS unread
            FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = ${email} AND n.tenant_id = ${acme.id} AND n.in_app`,
      );
      return row ?? { total: -1, unread: -1 };
    };
    const check = async (email: string) => {
      const want = await exact(email);
      const all = await inbox(email);
      expect({ total: all.total, unread: all.unread }).toEqual(want);
      expect((await inbox(email, '?read=false')).total).toBe(want.unread);
      expect((await inbox(email, '?read=true')).total).toBe(want.total - want.unread);
      return want;
    };
    // A fan-out to the admins and the owner (one statement for all of them).
    expect((await call('owner@acme.test', 'POST', '/api-keys', { name: 'counted' })).statusCode).toBe(201);
    await t.app.events.drain();
    const before = await check('admin@acme.test');
    expect(before.unread).toBeGreaterThanOrEqual(1);
    await check('owner@acme.test');
    const [first] = (await inbox('admin@acme.test', '?read=false')).data;
    expect((await call('admin@acme.test', 'PATCH', `/notifications/${first?.id}/read`)).statusCode).toBe(200);
    expect(await check('admin@acme.test')).toEqual({ total: before.total, unread: before.unread - 1 });
    // Rows removed (as retention or a tenant deletion would) leave the counts exact too.
    await t.database.execScript(`BEGIN; ${inPlatformScope(`DELETE FROM notifications WHERE id = '${first?.id}'`)}; COMMIT;`);
    expect(await check('admin@acme.test')).toEqual({ total: before.total - 1, unread: before.unread - 1 });
  });
});

describe('settings', () => {
  it('answers the defaults when unset: in-app on, email on for warnings and critical ones', async () => {
    const res = await call('owner@acme.test', 'GET', '/notifications/settings');
    expect(res.statusCode, res.body).toBe(200);
    const settings = res.json() as NotificationSettings;
    expect(settings.channels).toEqual({ inApp: true, email: true });
    expect(settings.digest).toBe(false);
    expect(settings.types['quota.soft_limit_crossed']).toEqual({ inApp: true, email: true });
    expect(settings.types['workflow.failed']).toEqual({ inApp: true, email: true });
    expect(settings.types['invoice.issued']).toEqual({ inApp: true, email: false });
  });

  it('turning email off for quota warnings stops the mail but keeps the in-app entry', async () => {
    const patch = await call('admin@acme.test', 'PATCH', '/notifications/settings', { types: { 'quota.soft_limit_crossed': { email: false } }, digest: true });
    expect(patch.statusCode, patch.body).toBe(200);
    const saved = patch.json() as NotificationSettings;
    expect(saved.types['quota.soft_limit_crossed']).toEqual({ inApp: true, email: false });
    expect(saved.digest).toBe(true);
    expect((await call('admin@acme.test', 'GET', '/notifications/settings')).json()).toEqual(saved);
    // The owner's settings are theirs: unchanged.
    expect(((await call('owner@acme.test', 'GET', '/notifications/settings')).json() as NotificationSettings).types['quota.soft_limit_crossed'].email).toBe(true);

    const mailsBefore = (await mails('notification.quota.soft_limit_crossed')).length;
    await crossSoftLimit('workflows', 'notify-soft-workflows');
    await t.app.events.drain();
    const adminRows = await ofType('admin@acme.test', 'quota.soft_limit_crossed');
    expect(adminRows.filter((n) => n.body.startsWith('Workflow runs'))).toHaveLength(1);
    const sent = (await mails('notification.quota.soft_limit_crossed')).slice();
    expect(sent.length).toBe(mailsBefore + 1);
    expect(sent.filter((m) => m.to_address === 'admin@acme.test')).toHaveLength(1); // the first crossing's only
    expect(sent.filter((m) => m.to_address === 'owner@acme.test')).toHaveLength(2);
  });

  it('refuses unknown types and fields', async () => {
    expect((await call('admin@acme.test', 'PATCH', '/notifications/settings', { types: { 'no.such': { email: false } } })).statusCode).toBe(400);
    expect((await call('admin@acme.test', 'PATCH', '/notifications/settings', { sms: true })).statusCode).toBe(400);
  });
});

describe('workflow failures', () => {
  it("notify Acme's admins and owner of a failed Acme run (critical, linking the run); nobody for a platform run", async () => {
    const { runId } = await t.app.workflows.start({ type: failing.type, input: null, tenantId: acme.id });
    const platformRun = await t.app.workflows.start({ type: failing.type, input: null, tenantId: null });
    const notice = await waitFor(
      'workflow.failed notification',
      async () => (await ofType('admin@acme.test', 'workflow.failed')).find((n) => n.link === `/workflows/${runId}`),
      10_000,
    );
    expect(notice).toMatchObject({ severity: 'critical', title: 'Workflow failed' });
    expect(notice.body).toContain('the test hook broke it');
    await waitFor('platform run failed', async () => {
      const [run] = await platformRows<{ status: string }>(t.database.db, sql`SELECT status FROM workflow_runs WHERE id = ${platformRun.runId}`);
      return run?.status === 'failed' ? true : undefined;
    }, 10_000);
    await t.app.events.drain();
    expect(await ofType('owner@acme.test', 'workflow.failed')).toHaveLength(1);
    expect(await ofType('analyst@acme.test', 'workflow.failed')).toHaveLength(0);
    expect(await ofType('owner@globex.test', 'workflow.failed', globex.id)).toHaveLength(0);
    const [events] = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM domain_events WHERE type = 'workflow.failed'`);
    expect(events?.n).toBe(1);
  });
});

describe('delivery', () => {
  it('delivering one event again (after a crash before its delivery record) makes no second notification or mail', async () => {
    const [event] = await platformRows<{ id: string }>(
      t.database.db,
      sql`SELECT id FROM domain_events WHERE type = 'quota.soft_limit_crossed' AND tenant_id = ${acme.id} ORDER BY seq LIMIT 1`,
    );
    if (!event) throw new Error('no event');
    const rows = async () =>
      platformRows<{ user_id: string }>(t.database.db, sql`SELECT user_id FROM notifications WHERE event_id = ${event.id} ORDER BY user_id`);
    const before = await rows();
    const mailsBefore = (await mails('notification.quota.soft_limit_crossed')).length;
    expect(before).toHaveLength(2);
    for (let i = 0; i < 2; i++) {
      // As if the consumer had died after the handler's effects but before recording the delivery.
      await t.database.execScript(
        `DELETE FROM domain_event_deliveries WHERE event_id = '${event.id}'; UPDATE domain_events SET delivered_at = NULL, next_attempt_at = now() WHERE id = '${event.id}'`,
      );
      expect(await t.app.events.drain()).toBeGreaterThanOrEqual(1);
    }
    expect(await rows()).toEqual(before);
    expect((await mails('notification.quota.soft_limit_crossed')).length).toBe(mailsBefore);
    const [state] = await platformRows<{ delivered: boolean }>(t.database.db, sql`SELECT delivered_at IS NOT NULL AS delivered FROM domain_events WHERE id = ${event.id}`);
    expect(state?.delivered).toBe(true);
  });

  it("tells a member of their own role change, in their inbox only", async () => {
    const res = await call('owner@acme.test', 'PATCH', '/users/00000000-0000-4000-8000-000000000a01/role', { role: 'engineer' });
    expect(res.statusCode, res.body).toBe(200);
    await t.app.events.drain();
    const [notice] = await ofType('analyst@acme.test', 'member.role_changed');
    expect(notice).toMatchObject({ severity: 'info', body: 'analyst@acme.test is now engineer (was analyst).' });
    expect(await ofType('admin@acme.test', 'member.role_changed')).toHaveLength(0);
  });
});
