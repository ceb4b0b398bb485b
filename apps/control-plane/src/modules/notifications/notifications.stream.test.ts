import type { NotificationStreamEvent } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { openSse, type SseEvent, type SseStream } from '../../../test/sse-client.js';

/**
 * GET /notifications/stream (issue 14, acceptance 3): each user's stream carries only their own
 * new notifications, resumes after Last-Event-ID without duplicates, and ends on app.close().
 * The events consumer here is woken only by NOTIFY (its poll is a minute).
 */

let t: TestContext;
let base: string;
const opened: SseStream[] = [];

beforeAll(async () => {
  t = await createTestContext({ EVENTS_POLL_INTERVAL_MS: '60000', NOTIFICATIONS_HEARTBEAT_MS: '50', NOTIFICATIONS_STREAMS_PER_USER: '2' });
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = address;
});
afterAll(async () => {
  for (const s of opened) s.close();
  await t.close();
});

const headers = async (email: string, tenantId: string = acme.id) => ({ authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId });

async function stream(email: string, tenantId: string = acme.id, extra: Record<string, string> = {}): Promise<SseStream> {
  const s = await openSse(`${base}/notifications/stream`, { ...(await headers(email, tenantId)), ...extra });
  opened.push(s);
  expect(s.status).toBe(200);
  return s;
}

async function createKey(email: string, name: string, tenantId: string = acme.id) {
  const res = await t.app.inject({ method: 'POST', url: '/api-keys', headers: await headers(email, tenantId), payload: { name } });
  expect(res.statusCode, res.body).toBe(201);
}

const parsed = (e: SseEvent) => JSON.parse(e.data) as NotificationStreamEvent;
const aboutKey = (name: string) => (e: SseEvent) => e.event === 'notification' && parsed(e).notification.body.includes(`"${name}"`);
const keyNames = (s: SseStream) => s.events.map((e) => /"([^"]+)"/.exec(parsed(e).notification.body)?.[1]);

describe('GET /notifications/stream', () => {
  it('refuses a caller without a token (401) and a member of another organization (403), as problem+json', async () => {
    const anonymous = await t.app.inject({ url: '/notifications/stream', headers: { 'x-tenant-id': acme.id } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    const outsider = await t.app.inject({ url: '/notifications/stream', headers: await headers('owner@globex.test', acme.id) });
    expect(outsider.statusCode).toBe(403);
  });

  it("delivers each user's own new notifications live, and nothing to other members or to Globex", async () => {
    const admin = await stream('admin@acme.test');
    const owner = await stream('owner@acme.test');
    const analyst = await stream('analyst@acme.test');
    const globexOwner = await stream('owner@globex.test', globex.id);
    expect(admin.headers.get('content-type')).toContain('text/event-stream');

    // The owner's key notifies the admin (not the owner who made it).
    await createKey('owner@acme.test', 'made by owner');
    const first = await admin.next(aboutKey('made by owner'), 5_000);
    const event = parsed(first);
    expect(first.event).toBe('notification');
    expect(first.id).toMatch(/^\d+$/);
    expect(event.notification).toMatchObject({ type: 'api_key.created', severity: 'info', read: false, link: '/usage/api-keys' });
    expect(event.unread).toBeGreaterThanOrEqual(1);
    // The same notification through the list: the stream sent the stored row.
    const list = await t.app.inject({ url: '/notifications?limit=1', headers: await headers('admin@acme.test') });
    expect(list.json()).toMatchObject({ data: [{ id: event.notification.id }], unread: event.unread });

    // The admin's key notifies the owner.
    await createKey('admin@acme.test', 'made by admin');
    await owner.next(aboutKey('made by admin'), 5_000);

    // Platform staff make a key in Globex: Globex's owner hears of it, and of nothing of Acme's.
    await createKey('staff@cbp.test', 'globex key', globex.id);
    // Fan-outs commit in order and each stream gets its rows in order: by now the Acme ones are out.
    await globexOwner.next(aboutKey('globex key'), 5_000);

    expect(keyNames(admin)).toEqual(['made by owner']);
    expect(keyNames(owner)).toEqual(['made by admin']);
    expect(keyNames(globexOwner)).toEqual(['globex key']);
    expect(analyst.events).toEqual([]);
    for (const s of [admin, owner, analyst, globexOwner]) s.close();
  });

  it('sends heartbeat comments while idle', async () => {
    const s = await stream('analyst@acme.test');
    await s.until(() => s.comments >= 4, 5_000, 'heartbeats'); // ": connected" and at least three beats (50 ms here)
    s.close();
  });

  it('resumes after Last-Event-ID: what came meanwhile first, oldest first, without duplicates', async () => {
    const before = await stream('admin@acme.test');
    await createKey('owner@acme.test', 'seen live');
    const seen = await before.next(aboutKey('seen live'), 5_000);
    before.close();
    await before.ended;

    await createKey('owner@acme.test', 'while away 1');
    await createKey('owner@acme.test', 'while away 2');
    const resumed = await stream('admin@acme.test', acme.id, { 'last-event-id': seen.id ?? '' });
    await resumed.next(aboutKey('while away 2'), 5_000);
    await createKey('owner@acme.test', 'after resuming');
    await resumed.next(aboutKey('after resuming'), 5_000);

    expect(keyNames(resumed)).toEqual(['while away 1', 'while away 2', 'after resuming']);
    const ids = resumed.events.map((e) => Number(e.id));
    expect(ids.every((id, i) => id > Number(seen.id) && (i === 0 || id > (ids[i - 1] ?? 0)))).toBe(true);
    expect(parsed(resumed.events[2] as SseEvent).unread).toBeGreaterThan(parsed(resumed.events[0] as SseEvent).unread);

    // Without Last-Event-ID a new stream starts from now: nothing old is replayed.
    const fresh = await stream('admin@acme.test');
    await createKey('owner@acme.test', 'only new');
    await fresh.next(aboutKey('only new'), 5_000);
    expect(keyNames(fresh)).toEqual(['only new']);
    resumed.close();
    fresh.close();
  });

  it('keeps at most the configured number of streams per user (the oldest closes) and forgets streams whose client left', async () => {
    const a = await stream('admin@acme.test');
    const b = await stream('admin@acme.test');
    b.close();
    await b.ended;
    // b left: the registry holds only a, so c fits beside it (cap 2 here).
    const c = await stream('admin@acme.test');
    await createKey('owner@acme.test', 'two tabs');
    await a.next(aboutKey('two tabs'), 5_000);
    await c.next(aboutKey('two tabs'), 5_000);
    expect(a.isEnded()).toBe(false);

    // A third open stream closes the oldest one (a).
    const d = await stream('admin@acme.test');
    await a.ended;
    await createKey('owner@acme.test', 'after the cap');
    await d.next(aboutKey('after the cap'), 5_000);
    await c.next(aboutKey('after the cap'), 5_000);
    expect(keyNames(a)).toEqual(['two tabs']);
    c.close();
    d.close();
  });

  it('through app.inject (which cannot hold a connection): the opening and what Last-Event-ID resumes, then the end', async () => {
    await createKey('owner@acme.test', 'seen by inject');
    const live = await stream('admin@acme.test');
    await createKey('owner@acme.test', 'after the mark');
    const mark = await live.next(aboutKey('after the mark'), 5_000);
    live.close();
    const res = await t.app.inject({ url: '/notifications/stream', headers: { ...(await headers('admin@acme.test')), 'last-event-id': String(Number(mark.id) - 1) } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(res.body).toContain(`id: ${mark.id}\nevent: notification\n`);
    expect(res.body).toContain('after the mark');
    expect(res.body).not.toContain('seen by inject');
  });

  it('API keys have no notifications to stream (403)', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api-keys', headers: await headers('owner@acme.test'), payload: { name: 'for the stream' } });
    const { secret } = created.json() as { secret: string };
    const res = await t.app.inject({ url: '/notifications/stream', headers: { authorization: `Bearer ${secret}`, 'x-tenant-id': acme.id } });
    expect(res.statusCode).toBe(403);
  });
});

describe('shutdown', () => {
  it('app.close() ends open streams and does not hang', async () => {
    const own = await createTestContext({ NOTIFICATIONS_HEARTBEAT_MS: '60000' });
    const url = await own.app.listen({ port: 0, host: '127.0.0.1' });
    const s = await openSse(`${url}/notifications/stream`, { authorization: `Bearer ${await own.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id });
    expect(s.status).toBe(200);
    const started = Date.now();
    await own.close();
    await s.ended;
    expect(s.isEnded()).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
