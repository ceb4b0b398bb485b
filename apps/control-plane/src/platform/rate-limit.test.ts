import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../test/harness.js';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { demoUsers } from '../seed/demo.js';
import { platformRows } from './db.js';

// Low limits over a 10 s window (long, so each sequence below fits in one even on a loaded
// machine): 20 reads, 8 changes and 40 usage events per window; 20 unauthenticated requests
// per minute per address.
const windowMs = 10_000;
const lowLimits = {
  RATE_LIMIT_READS_PER_SECOND: '2',
  RATE_LIMIT_WRITES_PER_SECOND: '0.8',
  RATE_LIMIT_EVENTS_PER_SECOND: '4',
  RATE_LIMIT_ANON_PER_MINUTE: '20',
  RATE_LIMIT_WINDOW_MS: String(windowMs),
};

let t: TestContext;
const extraApps: FastifyInstance[] = [];
beforeAll(async () => {
  t = await createTestContext(lowLimits);
});
afterAll(async () => {
  for (const app of extraApps) await app.close();
  await t.close();
});

/** Another API copy on the same database (same keys, so the same tokens are valid). */
async function anotherCopy(env: Record<string, string>, logLines?: string[]): Promise<FastifyInstance> {
  const config = loadConfig({ NODE_ENV: 'test', CBP_DATA_DIR: '/nonexistent', AUDIT_RETENTION_INTERVAL_MS: '0', USAGE_PERIOD_CLOSE_INTERVAL_MS: '0', ...env });
  const app = await buildApp({
    config,
    db: t.database.db,
    signingKeys: t.keys,
    cookieSecret: randomBytes(32).toString('hex'),
    localEventIntervalMs: 0,
    logger: logLines ? { level: 'warn', stream: { write: (line: string) => void logLines.push(line) } } : false,
  });
  await app.ready();
  extraApps.push(app);
  return app;
}

/** Waits for the start of a counting window, so a short sequence stays inside one. */
async function freshWindow(ms = windowMs) {
  await sleep(ms - (Date.now() % ms) + 20);
}

const userId = (email: string) => {
  const user = demoUsers.find((u) => u.email === email);
  if (!user) throw new Error(email);
  return user.id;
};

async function get(app: FastifyInstance, url: string, token: string, remoteAddress?: string) {
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` }, ...(remoteAddress ? { remoteAddress } : {}) });
}

function expectRateLimited(res: LightMyRequestResponse, limit: number) {
  expect(res.statusCode).toBe(429);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED', title: 'Too many requests' });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(res.headers['ratelimit-limit']).toBe(String(limit));
  expect(res.headers['ratelimit-remaining']).toBe('0');
  expect(Number(res.headers['ratelimit-reset'])).toBe(retryAfter);
}

const counts = (responses: LightMyRequestResponse[]) =>
  responses.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.statusCode]: (acc[r.statusCode] ?? 0) + 1 }), {});

describe('rate limits with the documented defaults (100 reads/s per user)', { timeout: 60_000 }, () => {
  it('admits at most 100 reads per second from a burst of 300 with one token (the rest 429); other users and a page load go through', async () => {
    const app = await anotherCopy({
      RATE_LIMIT_READS_PER_SECOND: '100',
      RATE_LIMIT_WRITES_PER_SECOND: '20',
      RATE_LIMIT_EVENTS_PER_SECOND: '5000',
      RATE_LIMIT_ANON_PER_MINUTE: '600',
    });
    const token = await t.tokenFor('staff@cbp.test');
    await freshWindow(1_000);
    const started = Date.now();
    const burst = await Promise.all(Array.from({ length: 300 }, () => get(app, '/me', token)));
    // The limit is per second: however slow this machine served the burst, no second admitted
    // more than 100 (when it took at most two seconds, at least 100 were refused).
    const seconds = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
    const byStatus = counts(burst);
    expect(byStatus[200] ?? 0).toBeLessThanOrEqual(100 * seconds);
    expect((byStatus[200] ?? 0) + (byStatus[429] ?? 0)).toBe(300);
    for (const refused of burst.filter((r) => r.statusCode === 429)) {
      expectRateLimited(refused, 100);
      expect(refused.json().detail).toMatch(/Too many reads \(limit 100 per second\)/);
    }
    for (const accepted of burst.filter((r) => r.statusCode === 200)) {
      expect(accepted.headers['ratelimit-limit']).toBe('100');
      expect(Number(accepted.headers['ratelimit-remaining'])).toBeLessThan(100);
    }

    // Another user is not affected; a portal page load (10 parallel reads) never hits the limit.
    const other = await t.tokenFor('admin@acme.test');
    const page = await Promise.all(Array.from({ length: 10 }, () => get(app, '/me', other)));
    expect(page.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
  });

  it('turns each limit off with 0', async () => {
    const app = await anotherCopy({ RATE_LIMIT_READS_PER_SECOND: '0', RATE_LIMIT_WRITES_PER_SECOND: '0', RATE_LIMIT_EVENTS_PER_SECOND: '0', RATE_LIMIT_ANON_PER_MINUTE: '0', RATE_LIMIT_WINDOW_MS: '60000' });
    const token = await t.tokenFor('engineer@acme.test');
    const reads = await Promise.all(Array.from({ length: 40 }, () => get(app, '/me', token)));
    expect(reads.map((r) => r.statusCode)).toEqual(Array(40).fill(200));
    // Not counted at all: no budget headers.
    expect(reads.some((r) => r.headers['ratelimit-limit'] !== undefined)).toBe(false);
    const change = await app.inject({ method: 'POST', url: '/usage/events', headers: { authorization: `Bearer ${token}` }, payload: { events: [] } });
    expect(change.statusCode).toBe(400);
    expect(change.headers['ratelimit-limit']).toBeUndefined();
  });
});

describe('rate limits (low limits)', { timeout: 60_000 }, () => {
  it('counts a user’s reads and changes in separate budgets', async () => {
    const token = await t.tokenFor('engineer@acme.test');
    await freshWindow();
    const reads: LightMyRequestResponse[] = [];
    for (let i = 0; i < 22; i++) reads.push(await get(t.app, '/me', token));
    expect(reads.slice(0, 20).map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expect(reads[0]?.headers['ratelimit-remaining']).toBe('19');
    expectRateLimited(reads[20]!, 20);
    expectRateLimited(reads[21]!, 20);

    // Changes have their own, smaller budget (counted before the body is validated).
    const changes: LightMyRequestResponse[] = [];
    for (let i = 0; i < 9; i++) {
      changes.push(await t.app.inject({ method: 'POST', url: '/usage/events', headers: { authorization: `Bearer ${token}` }, payload: { events: [] } }));
    }
    expect(changes.slice(0, 8).map((r) => r.statusCode)).toEqual(Array(8).fill(400));
    expectRateLimited(changes[8]!, 8);
    expect(changes[8]!.json().detail).toMatch(/Too many changes \(limit 8 per 10 s\)/);
  });

  it('limits an API key’s usage ingestion by events, not by requests', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}` },
      payload: { name: 'Rate-limited meter' },
    });
    expect(created.statusCode).toBe(201);
    const { secret } = created.json() as { secret: string };
    let n = 0;
    const send = (events: number) =>
      t.app.inject({
        method: 'POST',
        url: '/usage/events',
        headers: { authorization: `Bearer ${secret}` },
        payload: { events: Array.from({ length: events }, () => ({ metricType: 'api_calls', quantity: 1, idempotencyKey: `rl-${n++}` })) },
      });
    await freshWindow();
    const first = await send(30);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['ratelimit-limit']).toBe('40');
    expect(first.headers['ratelimit-remaining']).toBe('10');
    expect((await send(10)).statusCode).toBe(200);
    const third = await send(1);
    expectRateLimited(third, 40);
    expect(third.json().detail).toMatch(/usage events for this API key/);
    // Nothing of the refused batch was recorded.
    const [row] = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM usage_event_keys WHERE idempotency_key LIKE 'rl-%'`);
    expect(row?.n).toBe(40);
  });

  it('limits unauthenticated requests and failed authentications by address, in this process', async () => {
    // Keep the sequence inside one minute.
    if (60_000 - (Date.now() % 60_000) < 5_000) await freshWindow(60_000);
    const health = [];
    for (let i = 0; i < 21; i++) health.push(await t.app.inject({ method: 'GET', url: '/health', remoteAddress: '198.51.100.7' }));
    expect(health.slice(0, 20).map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expectRateLimited(health[20]!, 20);
    // The identity provider's pages are counted too.
    expect((await t.app.inject({ method: 'GET', url: '/oidc/.well-known/openid-configuration', remoteAddress: '198.51.100.7' })).statusCode).toBe(429);
    // Another address is not affected; a signed-in user from the same address keeps their own budget.
    expect((await t.app.inject({ method: 'GET', url: '/health', remoteAddress: '198.51.100.8' })).statusCode).toBe(200);
    expect((await get(t.app, '/me', await t.tokenFor('owner@acme.test'), '198.51.100.7')).statusCode).toBe(200);

    // Wrong API keys: each costs a lookup until the address's budget is spent, then none.
    const wrongKey = () =>
      t.app.inject({ method: 'POST', url: '/usage/events', headers: { authorization: 'Bearer cbp_live_notakey' }, payload: { events: [] }, remoteAddress: '198.51.100.9' });
    const attempts = [];
    for (let i = 0; i < 21; i++) attempts.push(await wrongKey());
    expect(attempts.slice(0, 20).map((r) => r.statusCode)).toEqual(Array(20).fill(401));
    expectRateLimited(attempts[20]!, 20);
    const noToken = await t.app.inject({ method: 'GET', url: '/me', remoteAddress: '198.51.100.9' });
    expect(noToken.statusCode).toBe(429);
    // A valid token from that address still signs in.
    expect((await get(t.app, '/me', await t.tokenFor('analyst@acme.test'), '198.51.100.9')).statusCode).toBe(200);
  });

  it('shares a user’s count between two API copies on the same database', async () => {
    const first = await anotherCopy(lowLimits);
    const second = await anotherCopy(lowLimits);
    const token = await t.tokenFor('analyst@globex.test');
    await freshWindow();
    for (let i = 0; i < 15; i++) expect((await get(first, '/me', token)).statusCode).toBe(200);
    await sleep(1_000); // the first copy has written its count (every 100 ms)
    expect((await get(second, '/me', token)).statusCode).toBe(200);
    await sleep(1_000); // the second copy has read the shared total back (16)
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await get(second, '/me', token)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
    // The first copy learns the second's requests with its next flush.
    await get(first, '/me', token);
    await sleep(1_000);
    expectRateLimited(await get(first, '/me', token), 20);
    await sleep(1_000);
    const [row] = await platformRows<{ count: number }>(
      t.database.db,
      sql`SELECT count FROM rate_limit_counters WHERE key = ${`u:${userId('analyst@globex.test')}:read`} ORDER BY window_start DESC LIMIT 1`,
    );
    expect(row?.count).toBe(26);
  });

  it('keeps answering when the shared counters fail (logged, limits held per copy) and shares again after', async () => {
    const logs: string[] = [];
    const app = await anotherCopy(lowLimits, logs);
    const token = await t.tokenFor('owner@globex.test');
    await t.ownerScript('ALTER TABLE rate_limit_counters RENAME TO rate_limit_counters_away');
    try {
      await freshWindow();
      const statuses = [];
      for (let i = 0; i < 22; i++) {
        statuses.push((await get(app, '/me', token)).statusCode);
        if (i === 5) await sleep(1_000); // a flush has failed meanwhile
      }
      expect(statuses).toEqual([...Array(20).fill(200), 429, 429]);
      expect(logs.join('\n')).toMatch(/rate-limit counters not shared/);
    } finally {
      await t.ownerScript('ALTER TABLE rate_limit_counters_away RENAME TO rate_limit_counters');
    }
    await freshWindow();
    expect((await get(app, '/me', token)).statusCode).toBe(200);
    await sleep(1_000);
    const [row] = await platformRows<{ count: number }>(
      t.database.db,
      sql`SELECT count FROM rate_limit_counters WHERE key = ${`u:${userId('owner@globex.test')}:read`} AND window_start > now() - interval '1 minute' ORDER BY window_start DESC LIMIT 1`,
    );
    expect(row?.count).toBe(1);
  });
});
