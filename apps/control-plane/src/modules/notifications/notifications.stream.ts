import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { notificationStreamEventName, Problem, type NotificationStreamEvent } from '@cbp/contracts';
import { withTenant, type AppDb } from '../../platform/db.js';
import { forbidden } from '../../platform/errors.js';
import type { ChannelListener } from '../../platform/events.js';
import { tenantContext } from '../../platform/guard.js';
import { everyUser, latestSeqOf, notificationsChannel, rowsAfter, type NotificationRow } from './notifications.repo.js';
import { notificationFrom } from './notifications.service.js';

/**
 * `GET /notifications/stream`: the caller's new notifications as Server-Sent Events (issue 14).
 *
 * Every API copy holds its own streams. The fan-out's insert sends `pg_notify('cbp_notifications',
 * '<tenant>:<user>:<seq>')` at commit (notifications.repo.ts; `<user>` is `*` when the fan-out
 * reached several users); this process's one LISTEN connection (`app.channels`,
 * platform/events.ts) hands it to the hub below, which looks up the open streams of that user
 * (or of the whole tenant) in that organization and reads their new rows from the database
 * (the payload only says whose inbox changed). Reads are batched: one query per tenant for all
 * waiting streams. After the listener reconnects every stream catches up from its last id.
 */

/** Rows replayed at most per stream and read (a resumed stream gets the newest ones). */
export const streamReplayLimit = 100;
/** A client this far behind (bytes buffered) is dropped; it reconnects with Last-Event-ID. */
const maxBufferedBytes = 1_000_000;
/** After a failed read (database away) the waiting streams are read again after this long. */
const retryReadMs = 1_000;

interface Stream {
  tenantId: string;
  userId: string;
  res: ServerResponse;
  /** Seq of the last row sent (or the newest when it opened). */
  last: number;
}

export interface NotificationHub {
  /** Listens (once per process) before the first stream opens; resolves when listening or retrying. */
  ready(): Promise<void>;
  open(stream: Stream): void;
  /** Open streams (tests, bench). */
  size(): number;
  /** Ends every stream and stops listening (app.close()). */
  close(): Promise<void>;
}

const keyOf = (tenantId: string, userId: string) => `${tenantId}:${userId}`;

/** The SSE text of new rows (oldest first); `unread`: the user's count after the last of them. */
function eventsOf(rows: readonly NotificationRow[], unread: number): string {
  let chunk = '';
  rows.forEach((row, i) => {
    // The count once this row arrived (the rows after it that are still unread come later).
    const later = rows.slice(i + 1).filter((r) => r.readAt === null).length;
    const event: NotificationStreamEvent = { notification: notificationFrom(row), unread: Math.max(0, unread - later) };
    chunk += `id: ${row.seq}\nevent: ${notificationStreamEventName}\ndata: ${JSON.stringify(event)}\n\n`;
  });
  return chunk;
}

export function createNotificationHub({
  db,
  channels,
  heartbeatMs,
  perUser,
  logger,
}: {
  db: AppDb;
  channels: ChannelListener;
  heartbeatMs: number;
  perUser: number;
  logger: FastifyBaseLogger;
}): NotificationHub {
  /** tenant:user -> open streams, oldest first. */
  const streams = new Map<string, Set<Stream>>();
  /** tenant -> users whose streams must read (a NOTIFY, a new stream, a reconnection). */
  let dirty = new Map<string, Set<string>>();
  let flushing: Promise<void> | null = null;
  let heartbeat: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let subscribed: Promise<() => void> | null = null;
  let closed = false;

  const markDirty = (tenantId: string, userId: string) => {
    let users = dirty.get(tenantId);
    if (!users) dirty.set(tenantId, (users = new Set()));
    users.add(userId);
  };

  const remove = (stream: Stream) => {
    const key = keyOf(stream.tenantId, stream.userId);
    const set = streams.get(key);
    if (!set) return;
    set.delete(stream);
    if (set.size === 0) streams.delete(key);
    if (streams.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  };

  const end = (stream: Stream) => {
    remove(stream);
    if (!stream.res.writableEnded) stream.res.end();
  };

  const write = (stream: Stream, chunk: string) => {
    if (stream.res.writableEnded || stream.res.destroyed) return;
    stream.res.write(chunk);
    if (stream.res.writableLength > maxBufferedBytes) {
      logger.warn({ tenantId: stream.tenantId }, 'notification stream: client too slow, closing');
      stream.res.destroy();
      remove(stream);
    }
  };

  const beat = () => {
    for (const set of streams.values()) for (const stream of set) write(stream, ': heartbeat\n\n');
  };

  async function readTenant(tenantId: string, userIds: Set<string>): Promise<void> {
    const cursors: { userId: string; after: number }[] = [];
    for (const userId of userIds) {
      const set = streams.get(keyOf(tenantId, userId));
      if (!set || set.size === 0) continue;
      cursors.push({ userId, after: Math.min(...[...set].map((s) => s.last)) });
    }
    if (cursors.length === 0) return;
    const { rows, unread } = await withTenant(db, tenantId, (tx) => rowsAfter(tx, tenantId, cursors, streamReplayLimit));
    const byUser = new Map<string, NotificationRow[]>();
    for (const row of rows) {
      let list = byUser.get(row.userId);
      if (!list) byUser.set(row.userId, (list = []));
      list.push(row);
    }
    for (const [userId, list] of byUser) {
      const set = streams.get(keyOf(tenantId, userId));
      if (!set) continue;
      const count = unread.get(userId) ?? 0;
      for (const stream of set) {
        // A stream may hold more of the oldest rows than the batch if it resumed far behind:
        // it gets the newest `streamReplayLimit` of them (the portal reloads its list on open).
        const fresh = list.filter((row) => row.seq > stream.last);
        if (fresh.length === 0) continue;
        stream.last = fresh[fresh.length - 1]?.seq ?? stream.last;
        write(stream, eventsOf(fresh, count));
      }
    }
  }

  async function flushAll(): Promise<void> {
    // Let the NOTIFYs of one burst of commits arrive, then read them together.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (dirty.size > 0 && !closed) {
      const batch = dirty;
      dirty = new Map();
      for (const [tenantId, users] of batch) {
        try {
          await readTenant(tenantId, users);
        } catch (err) {
          if (closed) return;
          logger.warn({ err, tenantId }, 'notification stream: read failed, retrying');
          for (const userId of users) markDirty(tenantId, userId);
          if (!retry) {
            retry = setTimeout(() => {
              retry = undefined;
              schedule();
            }, retryReadMs);
            retry.unref();
          }
          return;
        }
      }
    }
  }

  function schedule() {
    if (closed || flushing || retry) return;
    flushing = flushAll().finally(() => {
      flushing = null;
      if (dirty.size > 0 && !retry) schedule();
    });
  }

  const onNotify = (payload: string) => {
    const [tenantId, userId, seqText] = payload.split(':');
    if (!tenantId || !userId) return;
    if (userId === everyUser) {
      // A fan-out to several users of the tenant: every stream of it reads (one query for all).
      let any = false;
      for (const set of streams.values()) {
        for (const s of set) {
          if (s.tenantId !== tenantId) break;
          markDirty(tenantId, s.userId);
          any = true;
          break;
        }
      }
      if (any) schedule();
      return;
    }
    const set = streams.get(keyOf(tenantId, userId));
    if (!set) return;
    const seq = Number(seqText);
    // Already sent to every stream of that user (e.g. read by a catch-up): nothing to do.
    if (Number.isFinite(seq) && [...set].every((s) => s.last >= seq)) return;
    markDirty(tenantId, userId);
    schedule();
  };

  const catchUp = () => {
    for (const set of streams.values()) for (const s of set) markDirty(s.tenantId, s.userId);
    schedule();
  };

  return {
    async ready() {
      if (closed) return;
      subscribed ??= channels.subscribe(notificationsChannel, { onNotify, onListening: catchUp });
      await subscribed;
    },
    open(stream) {
      if (closed) {
        stream.res.end();
        return;
      }
      const key = keyOf(stream.tenantId, stream.userId);
      let set = streams.get(key);
      if (!set) streams.set(key, (set = new Set()));
      // Per-user cap: the oldest stream makes room (a forgotten tab, a leaked connection).
      while (set.size >= perUser) {
        const oldest = set.values().next().value;
        if (!oldest) break;
        end(oldest);
        if (!streams.has(key)) streams.set(key, set);
      }
      set.add(stream);
      stream.res.on('close', () => remove(stream));
      if (!heartbeat) {
        heartbeat = setInterval(beat, heartbeatMs);
        heartbeat.unref();
      }
      // Whatever committed since its start position (Last-Event-ID, or the newest row).
      markDirty(stream.tenantId, stream.userId);
      schedule();
    },
    size() {
      let n = 0;
      for (const set of streams.values()) n += set.size;
      return n;
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      heartbeat = undefined;
      clearTimeout(retry);
      retry = undefined;
      for (const set of [...streams.values()]) for (const stream of [...set]) end(stream);
      streams.clear();
      if (subscribed) (await subscribed.catch(() => () => {}))();
      await flushing?.catch(() => {});
    },
  };
}

/** A Last-Event-ID we issued: a seq (anything else starts from now). */
function lastEventIdOf(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}

export const notificationStreamRoutes: FastifyPluginAsyncZod<{ db: AppDb; heartbeatMs: number; perUser: number }> = async (app, { db, heartbeatMs, perUser }) => {
  const hub = createNotificationHub({ db, channels: app.channels, heartbeatMs, perUser, logger: app.log });
  // Before the server stops accepting: open streams would otherwise keep app.close() waiting.
  app.addHook('preClose', async () => hub.close());

  app.get(
    '/notifications/stream',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Your new notifications, live (Server-Sent Events)',
        description:
          '`text/event-stream`: each new notification as `id: <seq>`, `event: notification`, `data: {notification, unread}`; ' +
          'a comment every 15 s as heartbeat. Send `Last-Event-ID` (the last id received) to get what came after it first (the newest 100). ' +
          'At most 5 open streams per user and organization: a new one closes the oldest.',
        security: [{ bearer: [], tenant: [] }],
        response: { 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request, reply) => {
      const ctx = tenantContext(request);
      if (ctx.actor.type !== 'user') throw forbidden('Notifications belong to signed-in users.');
      const userId = ctx.actor.id;
      const tenantId = ctx.tenantId;
      // Listening and the start position before answering: a database failure is still a problem+json.
      await hub.ready();
      const newest = await withTenant(db, tenantId, (tx) => latestSeqOf(tx, tenantId, userId));
      const resumeFrom = lastEventIdOf(request.headers['last-event-id']);
      const last = resumeFrom === null ? newest : Math.min(resumeFrom, newest);

      reply.hijack();
      const res = reply.raw;
      const headers: Record<string, string | number | string[]> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      // The first bytes: the client knows it is connected.
      res.write(': connected\n\n');
      if ((res as { isLightMyRequest?: boolean }).isLightMyRequest) {
        // app.inject() (the route sweeps of the test suite) cannot hold a stream open: it gets
        // the opening and what Last-Event-ID resumes, then the end.
        const { rows, unread } = await withTenant(db, tenantId, (tx) => rowsAfter(tx, tenantId, [{ userId, after: last }], streamReplayLimit));
        res.end(eventsOf(rows, unread.get(userId) ?? 0));
        return;
      }
      hub.open({ tenantId, userId, res, last });
    },
  );
};
