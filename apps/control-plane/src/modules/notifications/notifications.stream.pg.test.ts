import type { FastifyInstance } from 'fastify';
import type { NotificationStreamEvent } from '@cbp/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiCopies, type ApiCopies } from '../../../test/api-copies.js';
import { startPostgres, type PostgresServer } from '../../../test/postgres-server.js';
import { openSse, type SseEvent, type SseStream } from '../../../test/sse-client.js';
import { listenerApplicationName } from '../../platform/events.js';

/**
 * Issue 14, acceptance 4: two API copies on one PostgreSQL. Changes go through `writer` (which
 * also delivers the domain events: the fan-out runs there); the portal's stream is held on
 * `reader`, which only publishes and streams. A notification reaches the stream on the other copy
 * through NOTIFY, and still does after the listener connections are killed.
 */

let server: PostgresServer;
let copies: ApiCopies;
let writer: FastifyInstance;
let reader: FastifyInstance;
let readerUrl: string;
const opened: SseStream[] = [];

beforeAll(async () => {
  server = await startPostgres();
  copies = await startApiCopies(server, 'streams');
  // The writer's poll is a minute: only NOTIFY makes its delivery fast.
  writer = await copies.copy({ WORKFLOW_POLL_INTERVAL_MS: '0', EVENTS_POLL_INTERVAL_MS: '60000' });
  reader = await copies.copy({ WORKFLOW_POLL_INTERVAL_MS: '0', EVENTS_POLL_INTERVAL_MS: '0' });
  readerUrl = await reader.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  for (const s of opened) s.close();
  await copies?.close();
  await server?.stop();
});

const headers = (email: string) => copies.headers(email);
const aboutKey = (name: string) => (e: SseEvent) => e.event === 'notification' && (JSON.parse(e.data) as NotificationStreamEvent).notification.body.includes(`"${name}"`);

async function createKey(name: string) {
  const res = await writer.inject({ method: 'POST', url: '/api-keys', headers: await headers('owner@acme.test'), payload: { name } });
  expect(res.statusCode, res.body).toBe(201);
}

async function ownerQuery<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: `${server.ownerUrl}/streams` });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

describe('notification stream across API copies', () => {
  it('a change made through one copy reaches a stream held on the other within 2 s', async () => {
    const admin = await openSse(`${readerUrl}/notifications/stream`, await headers('admin@acme.test'));
    opened.push(admin);
    expect(admin.status).toBe(200);
    await createKey('through the writer');
    const event = await admin.next(aboutKey('through the writer'), 2_000);
    expect((JSON.parse(event.data) as NotificationStreamEvent).notification).toMatchObject({ type: 'api_key.created', read: false });
  });

  it('after the listener connections are killed, the stream still receives the next notification', async () => {
    const admin = await openSse(`${readerUrl}/notifications/stream`, await headers('admin@acme.test'));
    opened.push(admin);
    const killed = await ownerQuery<{ pid: number }>(
      `SELECT pid, pg_terminate_backend(pid) FROM (SELECT pid FROM pg_stat_activity WHERE application_name = '${listenerApplicationName}' OFFSET 0) AS listeners`,
    );
    // One listener per copy (domain events and streams share it).
    expect(killed).toHaveLength(2);
    // Committed while nobody listens: the reconnected listeners catch up (the fan-out on the writer, the stream on the reader).
    await createKey('while the listeners are down');
    await admin.next(aboutKey('while the listeners are down'), 10_000);
    await createKey('after reconnecting');
    await admin.next(aboutKey('after reconnecting'), 2_000);
    const names = admin.events.map((e) => (JSON.parse(e.data) as NotificationStreamEvent).notification.body);
    expect(names).toHaveLength(2);
    const listeners = await ownerQuery<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = '${listenerApplicationName}'`);
    expect(Number(listeners[0]?.n)).toBe(2);
  });
});
