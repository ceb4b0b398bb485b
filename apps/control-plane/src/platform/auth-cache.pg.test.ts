import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../test/postgres-server.js';
import { accessTokenSigner } from '../../test/tokens.js';
import { buildApp } from '../app.js';
import { generateSigningKeys } from '../adapters/identity/builtin/keys.js';
import { loadConfig } from '../config.js';
import { demoTenants, demoUsers, seedDemo } from '../seed/demo.js';
import { migrate, openDatabase, type Database } from './db.js';

// Two API copies (two apps, each with its own pool and authentication cache) on one real
// PostgreSQL: a change made through copy A, or straight in the database, is refused by copy B
// within the documented bound (5 s, src/platform/auth.ts), although B had the caller cached.

const [acme, globex] = demoTenants;
const bound = 5_000;
const dbName = 'cbp_auth_cache';
const idOf = (email: string) => {
  const user = demoUsers.find((u) => u.email === email);
  if (!user) throw new Error(email);
  return user.id;
};

let server: PostgresServer;
const databases: Database[] = [];
const apps: FastifyInstance[] = [];
let copyA: FastifyInstance;
let copyB: FastifyInstance;
let tokenFor: (email: string) => Promise<string>;

async function startCopy(keys: Awaited<ReturnType<typeof generateSigningKeys>>, cookieSecret: string): Promise<FastifyInstance> {
  const database = await openDatabase({ url: `${server.appUrl}/${dbName}` });
  databases.push(database);
  const config = loadConfig({
    NODE_ENV: 'test',
    CBP_DATA_DIR: '/nonexistent',
    LOG_LEVEL: 'silent',
    AUDIT_RETENTION_INTERVAL_MS: '0',
    USAGE_PERIOD_CLOSE_INTERVAL_MS: '0',
    WORKFLOW_POLL_INTERVAL_MS: '0',
    RATE_LIMIT_READS_PER_SECOND: '100000',
    RATE_LIMIT_WRITES_PER_SECOND: '100000',
    RATE_LIMIT_EVENTS_PER_SECOND: '100000000',
    RATE_LIMIT_ANON_PER_MINUTE: '1000000',
  });
  const app = await buildApp({ config, db: database.db, signingKeys: keys, cookieSecret, localEventIntervalMs: 0 });
  await app.ready();
  apps.push(app);
  tokenFor ??= (email) => accessTokenSigner({ keys, issuer: config.issuer, audience: config.audience }).forEmail(email);
  return app;
}

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase(dbName);
  const migrating = await openDatabase({ url: `${server.ownerUrl}/${dbName}` });
  await migrate(migrating, { appRole: server.appRole });
  await migrating.close();
  const seeding = await openDatabase({ url: `${server.appUrl}/${dbName}` });
  await seedDemo(seeding.db);
  await seeding.close();
  // The copies share what production copies share: the issuer's keys and cookie secret.
  const keys = await generateSigningKeys();
  const cookieSecret = randomBytes(32).toString('hex');
  copyA = await startCopy(keys, cookieSecret);
  copyB = await startCopy(keys, cookieSecret);
}, 180_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  for (const database of databases) await database.close();
  await server?.stop();
}, 60_000);

async function call(app: FastifyInstance, email: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, tenantId: string, payload?: object) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${await tokenFor(email)}`, 'x-tenant-id': tenantId }, ...(payload ? { payload } : {}) });
}

/** Polls `probe` until it holds; the milliseconds it took (fails after twice the bound). */
async function msUntil(probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > 2 * bound) throw new Error(`still not refused after ${2 * bound} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

describe('authentication cache across two API copies on one PostgreSQL', () => {
  it('a role lowered on copy A is refused by copy B within 5 s', async () => {
    const token = await tokenFor('engineer@acme.test');
    const onB = () => copyB.inject({ method: 'GET', url: '/workflows', headers: { authorization: `Bearer ${token}`, 'x-tenant-id': acme.id } });
    // B knows the engineer (and has them cached).
    expect((await onB()).statusCode).toBe(200);
    expect((await onB()).statusCode).toBe(200);
    const changed = await call(copyA, 'admin@acme.test', 'PATCH', `/users/${idOf('engineer@acme.test')}/role`, acme.id, { role: 'analyst' });
    expect(changed.statusCode, changed.body).toBe(200);
    const ms = await msUntil(async () => (await onB()).statusCode === 403);
    expect(ms).toBeLessThanOrEqual(bound);
    expect((await onB()).json()).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a member removed on copy A is refused by copy B within 5 s', async () => {
    const token = await tokenFor('analyst@acme.test');
    const onB = () => copyB.inject({ method: 'GET', url: '/tenants/current', headers: { authorization: `Bearer ${token}`, 'x-tenant-id': acme.id } });
    expect((await onB()).statusCode).toBe(200);
    expect((await onB()).statusCode).toBe(200);
    expect((await call(copyA, 'admin@acme.test', 'DELETE', `/users/${idOf('analyst@acme.test')}`, acme.id)).statusCode).toBe(204);
    const ms = await msUntil(async () => (await onB()).statusCode === 403);
    expect(ms).toBeLessThanOrEqual(bound);
    expect((await onB()).json()).toMatchObject({ code: 'NOT_A_MEMBER' });
  });

  it('an API key revoked on copy A is refused by copy B within 5 s', async () => {
    const created = await call(copyA, 'admin@acme.test', 'POST', '/api-keys', acme.id, { name: 'Metering' });
    expect(created.statusCode, created.body).toBe(201);
    const { id, secret } = created.json() as { id: string; secret: string };
    let n = 0;
    const onB = () =>
      copyB.inject({ method: 'POST', url: '/usage/events', headers: { authorization: `Bearer ${secret}` }, payload: { events: [{ metricType: 'api_calls', quantity: 1, idempotencyKey: `k-${(n += 1)}` }] } });
    expect((await onB()).statusCode).toBe(200);
    expect((await onB()).statusCode).toBe(200);
    expect((await call(copyA, 'admin@acme.test', 'DELETE', `/api-keys/${id}`, acme.id)).statusCode).toBe(204);
    const ms = await msUntil(async () => (await onB()).statusCode === 401);
    expect(ms).toBeLessThanOrEqual(bound);
  });

  it('a suspended tenant is refused, to its members and its API keys, by both copies within 5 s; reactivated, it works again', async () => {
    const created = await call(copyA, 'owner@globex.test', 'POST', '/api-keys', globex.id, { name: 'Metering' });
    expect(created.statusCode, created.body).toBe(201);
    const { secret } = created.json() as { secret: string };
    const token = await tokenFor('owner@globex.test');
    let n = 0;
    const member = (app: FastifyInstance) => app.inject({ method: 'GET', url: '/plans', headers: { authorization: `Bearer ${token}`, 'x-tenant-id': globex.id } });
    const key = (app: FastifyInstance) =>
      app.inject({ method: 'POST', url: '/usage/events', headers: { authorization: `Bearer ${secret}` }, payload: { events: [{ metricType: 'api_calls', quantity: 1, idempotencyKey: `s-${(n += 1)}` }] } });
    for (const app of [copyA, copyB]) {
      expect((await member(app)).statusCode).toBe(200);
      expect((await key(app)).statusCode).toBe(200);
    }
    // Staff suspend it through the staff console on copy A (issue 16).
    const suspended = await call(copyA, 'staff@cbp.test', 'POST', `/admin/tenants/${globex.id}/suspend`, globex.id, { reason: 'Unpaid invoices' });
    expect(suspended.statusCode, suspended.body).toBe(200);
    const ms = await msUntil(async () => {
      const answers = await Promise.all([member(copyA), member(copyB), key(copyA), key(copyB)]);
      return answers.every((r) => r.statusCode === 403 && r.json().code === 'TENANT_SUSPENDED');
    });
    expect(ms).toBeLessThanOrEqual(bound);
    // Platform staff still reach the tenant (to look into it and reactivate it).
    expect((await call(copyB, 'staff@cbp.test', 'GET', '/tenants/current', globex.id)).statusCode).toBe(200);

    expect((await call(copyA, 'staff@cbp.test', 'POST', `/admin/tenants/${globex.id}/reactivate`, globex.id)).statusCode).toBe(200);
    const back = await msUntil(async () => (await member(copyB)).statusCode === 200 && (await key(copyB)).statusCode === 200);
    expect(back).toBeLessThanOrEqual(bound);
  });
});
