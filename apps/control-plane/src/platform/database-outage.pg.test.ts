import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme } from '../../test/harness.js';
import { startPostgres, type PostgresServer } from '../../test/postgres-server.js';
import { accessTokenSigner } from '../../test/tokens.js';
import { generateSigningKeys } from '../adapters/identity/builtin/keys.js';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { seedDemo } from '../seed/demo.js';
import { migrate, openDatabase, type Database } from './db.js';

/**
 * PostgreSQL goes away under the API (SIGQUIT to the postmaster, as `pg_ctl stop -m immediate`
 * or a crash would) and comes back: the API keeps answering 503 problem+json while it is
 * away, never crashes (vitest fails the file on any unhandled `error` event or rejection),
 * and serves again within seconds of the database's return, without a restart.
 */

let server: PostgresServer;
let database: Database;
let app: FastifyInstance;
let owner: string;
let admin: string;
const connectionErrors: Error[] = [];

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('outage');
  const migrator = await openDatabase({ url: `${server.ownerUrl}/outage` });
  await migrate(migrator, { appRole: server.appRole });
  await migrator.close();
  database = await openDatabase({ url: `${server.appUrl}/outage` }, { onConnectionError: (err) => connectionErrors.push(err) });
  await seedDemo(database.db);
  const config = loadConfig({ NODE_ENV: 'test', CBP_DATA_DIR: '/nonexistent', AUDIT_RETENTION_INTERVAL_MS: '0', USAGE_PERIOD_CLOSE_INTERVAL_MS: '0' });
  const keys = await generateSigningKeys();
  // The local gateway's clock runs every 200 ms, so a background job also meets the outage.
  app = await buildApp({ config, db: database.db, signingKeys: keys, cookieSecret: randomBytes(32).toString('hex'), localEventIntervalMs: 200 });
  await app.ready();
  const tokens = accessTokenSigner({ keys, issuer: config.issuer, audience: config.audience });
  const tokenFor = (email: string) => tokens.forEmail(email);
  owner = await tokenFor('owner@acme.test');
  admin = await tokenFor('admin@acme.test');
}, 120_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
  await server?.stop();
});

const get = (url: string, token = owner) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, 'x-tenant-id': acme.id } });

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - started };
}

describe('PostgreSQL stopped and restarted under the API', () => {
  it('answers 503 problem+json while the database is away and recovers within 5 s of its return', async () => {
    expect((await get('/tenants/current')).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

    // Read load running through the whole outage.
    const statuses: number[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const res = await get('/me');
        statuses.push(res.statusCode);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await server.crash();
    const downSince = Date.now();
    const outage: { status: number; ms: number; code: unknown; type: string; retryAfter: unknown }[] = [];
    while (Date.now() - downSince < 10_000) {
      for (const url of ['/tenants/current', '/usage/status', '/audit-logs?limit=20']) {
        const { result, ms } = await timed(() => get(url));
        outage.push({
          status: result.statusCode,
          ms,
          code: result.json<{ code?: string }>().code,
          type: String(result.headers['content-type']),
          retryAfter: result.headers['retry-after'],
        });
      }
      const health = await timed(() => app.inject({ method: 'GET', url: '/health' }));
      expect(health.result.statusCode).toBe(503);
      expect(health.result.json()).toMatchObject({ status: 'degraded', database: 'down' });
      expect(health.ms).toBeLessThan(4_000);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(outage.length).toBeGreaterThan(10);
    for (const answer of outage) {
      expect(answer).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE', retryAfter: '5' });
      expect(answer.type).toMatch(/^application\/problem\+json/);
      // Quickly, not after a hang: the pool gives up on a connection after 3 s at most.
      expect(answer.ms).toBeLessThan(4_000);
    }

    await server.restart();
    const backSince = Date.now();
    let recoveredAfterMs: number | undefined;
    while (Date.now() - backSince < 15_000) {
      if ((await get('/tenants/current')).statusCode === 200) {
        recoveredAfterMs = Date.now() - backSince;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(recoveredAfterMs).toBeDefined();
    expect(recoveredAfterMs).toBeLessThan(5_000);
    loading = false;
    await load;

    // The load saw only successes and 503s: no 500, no hang, and success again at the end.
    expect(new Set(statuses.filter((s) => s !== 200 && s !== 503))).toEqual(new Set());
    expect(statuses).toContain(503);
    expect((await get('/me')).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

    // Writes work again, with their audit entry, and the lost connections were reported, not thrown.
    const created = await app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: { authorization: `Bearer ${admin}`, 'x-tenant-id': acme.id },
      payload: { name: 'after the outage' },
    });
    expect(created.statusCode).toBe(201);
    const trail = await get('/audit-logs?limit=5');
    expect(trail.json<{ data: { action: string }[] }>().data.map((e) => e.action)).toContain('api_key.created');
    expect(connectionErrors.length).toBeGreaterThan(0);
  }, 90_000);
});
