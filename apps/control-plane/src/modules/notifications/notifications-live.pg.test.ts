import type { FastifyInstance } from 'fastify';
import type { Notification, NotificationPage } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiCopies, type ApiCopies } from '../../../test/api-copies.js';
import { startPostgres, type PostgresServer } from '../../../test/postgres-server.js';

/**
 * Two API copies on one PostgreSQL: `consumer` delivers domain events (its poll is a minute, so
 * only NOTIFY can make delivery fast), `client` only publishes. A change made through the
 * client reaches the consumer's recipients within seconds; after PostgreSQL crashes and comes
 * back, the consumer's LISTEN connection reconnects by itself and delivery is fast again.
 */

let server: PostgresServer;
let copies: ApiCopies;
let client: FastifyInstance;

beforeAll(async () => {
  server = await startPostgres();
  copies = await startApiCopies(server, 'live');
  // The consumer: it only delivers events (closed with the others).
  await copies.copy({ WORKFLOW_POLL_INTERVAL_MS: '0', EVENTS_POLL_INTERVAL_MS: '60000' });
  client = await copies.copy({ WORKFLOW_POLL_INTERVAL_MS: '0', EVENTS_POLL_INTERVAL_MS: '0' });
}, 120_000);

afterAll(async () => {
  await copies?.close();
  await server?.stop();
});

const headers = (email: string) => copies.headers(email);

async function createKey(app: FastifyInstance, name: string) {
  for (;;) {
    const res = await app.inject({ method: 'POST', url: '/api-keys', headers: await headers('owner@acme.test'), payload: { name } });
    if (res.statusCode === 201) return;
    // While the database recovers the API answers 503: retry, as a client would.
    if (res.statusCode !== 503) throw new Error(`${res.statusCode} ${res.body}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until admin@acme.test sees a notification about the key (read through `app`). */
async function untilNotified(app: FastifyInstance, name: string, timeoutMs: number): Promise<Notification> {
  const started = Date.now();
  for (;;) {
    const res = await app.inject({ url: '/notifications?type=api_key.created&limit=100', headers: await headers('admin@acme.test') });
    const found = res.statusCode === 200 ? (res.json() as NotificationPage).data.find((n) => n.body.includes(`"${name}"`)) : undefined;
    if (found) return found;
    if (Date.now() - started > timeoutMs) throw new Error(`no notification for ${name} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('live delivery across API copies', () => {
  it('a change made through a publish-only copy is delivered by the other copy within seconds (NOTIFY, not its 1-minute poll)', async () => {
    await createKey(client, 'through the client copy');
    const notice = await untilNotified(client, 'through the client copy', 5_000);
    expect(notice).toMatchObject({ type: 'api_key.created', severity: 'info', read: false, link: '/usage/api-keys' });
    // The owner who made the key is not told of their own act.
    const own = await client.inject({ url: '/notifications?type=api_key.created', headers: await headers('owner@acme.test') });
    expect((own.json() as NotificationPage).total).toBe(0);
  });

  it('after PostgreSQL crashes and returns, the listener reconnects by itself: delivery is fast again', async () => {
    await server.crash();
    await new Promise((r) => setTimeout(r, 1_500));
    await server.restart();
    await createKey(client, 'after the outage');
    // Reconnection backs off at most 5 s; the reconnected listener catches up at once.
    expect((await untilNotified(client, 'after the outage', 10_000)).body).toBe('API key "after the outage" was created by owner@acme.test.');
  });
});
