import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { isDatabaseUnavailable, queryRows, scopeToTenant, withPlatformScope, type AppDb, type ScopedTx, type TenantTx } from './db.js';
import { scheduleJob } from './jobs.js';
import { domainEvents } from './schema.js';

/**
 * Domain events (issue 14; docs/ARCHITECTURE.md, Domain events and notifications).
 *
 * A module announces what happened with `publishEvent(tx, …)` in the transaction of the change
 * (like its audit entry): the event exists exactly when the change committed. The same
 * transaction sends `NOTIFY cbp_domain_events`, which PostgreSQL delivers at commit to every
 * API copy listening (this one included), so the consumer starts within milliseconds; a poll
 * catches anything a lost listener connection missed.
 *
 * The consumer claims one pending event per transaction with `FOR UPDATE SKIP LOCKED` (copies
 * never wait for each other, and never run one event at once), then runs each handler that has
 * no delivery row for it yet, in a savepoint together with its delivery row. A crash before the
 * commit repeats the handlers, so their effects must be idempotent (a unique key on the effect).
 */

export const domainEventsChannel = 'cbp_domain_events';

export interface DomainEventInput {
  /** E.g. `workflow.failed`, `member.role_changed` (contracts notificationTypes for those that notify). */
  type: string;
  tenantId: string;
  payload?: Record<string, unknown>;
}

export interface DomainEvent {
  id: string;
  tenantId: string;
  type: string;
  payload: Record<string, unknown>;
  occurredAt: Date;
  /** Deliveries tried before this one (0 the first time). */
  attempts: number;
}

/** Writes the event in the caller's transaction and wakes every listening consumer at commit. */
export async function publishEvent(tx: ScopedTx, event: DomainEventInput): Promise<string> {
  const [row] = await tx
    .insert(domainEvents)
    .values({ tenantId: event.tenantId, type: event.type, payload: event.payload ?? {} })
    .returning({ id: domainEvents.id });
  await tx.execute(sql`SELECT pg_notify(${domainEventsChannel}, ${event.type})`);
  if (!row) throw new Error('domain event not recorded');
  return row.id;
}

export interface EventHandler {
  /** Stable name: the key of its delivery rows (renaming a handler delivers every event again). */
  name: string;
  /** Runs in the event's tenant scope; must be idempotent (it may run again after a crash). */
  handle(tx: TenantTx, event: DomainEvent): Promise<void>;
}

interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** After this many failed deliveries an event is set aside (delivered_at set, last_error kept). */
export const maxEventAttempts = 10;
const maxRetryDelayMs = 10 * 60_000;
export const eventRetryDelayMs = (attempts: number) => Math.min(maxRetryDelayMs, 1_000 * 2 ** Math.max(0, attempts - 1));

export interface EventConsumer {
  /** Delivers every due event now (at most `limit`); resolves with how many were handled. One drain at a time per process. */
  drain(limit?: number): Promise<number>;
  /** Starts a drain soon (after a NOTIFY or a local commit); errors are logged, the poll retries. */
  wake(): void;
}

export function createEventConsumer({ db, handlers, logger }: { db: AppDb; handlers: readonly EventHandler[]; logger?: Logger }): EventConsumer {
  let running: Promise<number> | null = null;
  /** A drain is waiting for the running one: it will see everything committed before it starts. */
  let queued = false;

  async function deliverOne(): Promise<boolean> {
    return withPlatformScope(db, async (ptx) => {
      const [row] = await queryRows<{ id: string; tenant_id: string; type: string; payload: Record<string, unknown>; occurred_at: string | Date; attempts: number }>(
        ptx,
        sql`SELECT id, tenant_id, type, payload, occurred_at, attempts FROM domain_events
            WHERE delivered_at IS NULL AND next_attempt_at <= now()
            ORDER BY next_attempt_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      if (!row) return false;
      const event: DomainEvent = {
        id: row.id,
        tenantId: row.tenant_id,
        type: row.type,
        payload: row.payload,
        occurredAt: new Date(row.occurred_at),
        attempts: Number(row.attempts),
      };
      const tx = await scopeToTenant(ptx, event.tenantId);
      const done = new Set(
        (await queryRows<{ handler: string }>(tx, sql`SELECT handler FROM domain_event_deliveries WHERE event_id = ${event.id}`)).map((r) => r.handler),
      );
      let failure: unknown = null;
      for (const handler of handlers) {
        if (done.has(handler.name)) continue;
        try {
          await tx.transaction(async (savepoint) => {
            const scoped = savepoint as unknown as TenantTx;
            await handler.handle(scoped, event);
            await scoped.execute(
              sql`INSERT INTO domain_event_deliveries (event_id, handler, tenant_id) VALUES (${event.id}, ${handler.name}, ${event.tenantId})
                  ON CONFLICT DO NOTHING`,
            );
          });
        } catch (err) {
          if (isDatabaseUnavailable(err)) throw err;
          failure = err;
          logger?.error({ err, eventId: event.id, eventType: event.type, handler: handler.name }, 'domain event handler failed');
        }
      }
      if (failure === null) {
        await tx.execute(sql`UPDATE domain_events SET delivered_at = now(), last_error = NULL WHERE id = ${event.id}`);
      } else {
        const attempts = event.attempts + 1;
        const message = failure instanceof Error ? failure.message : String(failure);
        const giveUp = attempts >= maxEventAttempts;
        await tx.execute(
          sql`UPDATE domain_events SET attempts = ${attempts}, last_error = ${message},
                next_attempt_at = now() + ${`${eventRetryDelayMs(attempts)} milliseconds`}::interval,
                delivered_at = ${giveUp ? sql`now()` : sql`NULL`}
              WHERE id = ${event.id}`,
        );
      }
      return true;
    });
  }

  async function drainLoop(limit: number): Promise<number> {
    let n = 0;
    while (n < limit && (await deliverOne())) n += 1;
    return n;
  }

  const consumer: EventConsumer = {
    async drain(limit = 1_000) {
      // One drain at a time in this process; a drain asked for meanwhile runs after it.
      while (running) await running.catch(() => 0);
      queued = false;
      running = drainLoop(limit);
      try {
        return await running;
      } finally {
        running = null;
      }
    },
    wake() {
      // Wakes arriving during a drain collapse into one drain after it (nothing is missed).
      if (queued) return;
      queued = true;
      consumer.drain().catch((err: unknown) => {
        if (isDatabaseUnavailable(err)) logger?.warn({}, 'domain events: database unavailable, the poll retries');
        else logger?.error({ err }, 'domain events: delivery failed');
      });
    },
  };
  return consumer;
}

export interface ChannelSubscriber {
  /** A NOTIFY on the channel (payload as sent). */
  onNotify(payload: string): void;
  /**
   * The channel is listened to: after the first LISTEN and after every reconnection. Whatever
   * was sent while not listening is lost, so subscribers catch up from the database here.
   */
  onListening?(): void;
}

/**
 * ONE LISTEN connection per API process for every channel (domain events, the notification
 * stream). PostgreSQL: its own `pg.Client` (application_name `cbp-listener`), reconnecting with
 * backoff after the server or an administrator drops it; PGlite: in process.
 */
export interface ChannelListener {
  /** Listens to `channel` (connecting on the first subscription); resolves once listening or retrying. Returns the unsubscribe function. */
  subscribe(channel: string, subscriber: ChannelSubscriber): Promise<() => void>;
  /** Drops the connection; later subscriptions are ignored. */
  close(): Promise<void>;
}

export const listenerApplicationName = 'cbp-listener';

const isChannelName = (channel: string) => /^[a-z_][a-z0-9_]{0,62}$/.test(channel);

export function createChannelListener(db: AppDb, logger?: Logger): ChannelListener {
  const subscribers = new Map<string, Set<ChannelSubscriber>>();
  const deliver = (channel: string, payload: string) => {
    for (const s of subscribers.get(channel) ?? []) {
      try {
        s.onNotify(payload);
      } catch (err) {
        logger?.error({ err, channel }, 'channel listener: subscriber failed');
      }
    }
  };
  const listening = (subs: Iterable<ChannelSubscriber>) => {
    for (const s of subs) {
      try {
        s.onListening?.();
      } catch (err) {
        logger?.error({ err }, 'channel listener: subscriber failed');
      }
    }
  };
  const add = (channel: string, subscriber: ChannelSubscriber) => {
    if (!isChannelName(channel)) throw new Error(`invalid channel name ${channel}`);
    let set = subscribers.get(channel);
    if (!set) subscribers.set(channel, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
    };
  };
  const client = (db as unknown as { $client?: unknown }).$client;

  if (client instanceof pg.Pool) {
    const options = client.options;
    let stopped = false;
    let current: pg.Client | null = null;
    /** The channels LISTENed on `current` (empty while (re)connecting). */
    let listened = new Set<string>();
    let ready = false;
    let connecting: Promise<void> | null = null;
    let timer: NodeJS.Timeout | undefined;
    let failures = 0;
    const listenOn = async (c: pg.Client, channel: string) => {
      if (listened.has(channel)) return;
      listened.add(channel);
      await c.query(`LISTEN ${channel}`);
    };
    const connect = async () => {
      if (stopped) return;
      const c = new pg.Client({ ...options, application_name: listenerApplicationName });
      const retry = () => {
        if (stopped || current !== c) return;
        current = null;
        ready = false;
        failures += 1;
        c.end().catch(() => {});
        timer = setTimeout(() => {
          timer = undefined;
          connecting = connect().finally(() => (connecting = null));
        }, Math.min(5_000, 250 * 2 ** Math.min(failures, 5)));
        timer.unref();
      };
      current = c;
      listened = new Set();
      c.on('error', (err) => {
        logger?.warn({ err: err.message }, 'channel listener: connection lost, reconnecting');
        retry();
      });
      c.on('end', retry);
      c.on('notification', (msg) => deliver(msg.channel, msg.payload ?? ''));
      try {
        await c.connect();
        // Channels subscribed meanwhile are picked up by this loop (Map iteration sees new keys).
        for (const channel of subscribers.keys()) await listenOn(c, channel);
        if (current !== c) return;
        ready = true;
        failures = 0;
        // Catch up with what was sent while not listening.
        listening([...subscribers.values()].flatMap((set) => [...set]));
      } catch {
        retry();
      }
    };
    return {
      async subscribe(channel, subscriber) {
        const remove = add(channel, subscriber);
        if (stopped) return remove;
        if (ready && current) {
          const c = current;
          try {
            await listenOn(c, channel);
            subscriber.onListening?.();
          } catch {
            // The connection is going away: its retry listens again and calls onListening.
          }
        } else if (!connecting && !current && !timer) {
          connecting = connect().finally(() => (connecting = null));
          await connecting;
        } else if (connecting) {
          await connecting;
        }
        return remove;
      },
      async close() {
        stopped = true;
        clearTimeout(timer);
        const c = current;
        current = null;
        ready = false;
        await atMost(2_000, c?.end().catch(() => {}));
      },
    };
  }

  if (client && typeof (client as PGlite).listen === 'function') {
    const pglite = client as PGlite;
    const unlisteners = new Map<string, Promise<() => Promise<void>>>();
    let stopped = false;
    return {
      async subscribe(channel, subscriber) {
        const remove = add(channel, subscriber);
        if (stopped) return remove;
        let unlisten = unlisteners.get(channel);
        if (!unlisten) {
          unlisten = pglite.listen(channel, (payload) => deliver(channel, payload));
          unlisteners.set(channel, unlisten);
        }
        await unlisten;
        subscriber.onListening?.();
        return remove;
      },
      async close() {
        stopped = true;
        const all = [...unlisteners.values()];
        unlisteners.clear();
        for (const u of all) await (await u)().catch(() => {});
      },
    };
  }

  return {
    async subscribe(channel, subscriber) {
      return add(channel, subscriber);
    },
    async close() {},
  };
}

/**
 * Calls `onNotify` whenever an event is published by any API copy, on a listener of its own
 * (the app shares one, `app.channels`). Returns a stop function.
 */
export async function listenForEvents(db: AppDb, onNotify: () => void, logger?: Logger): Promise<() => Promise<void>> {
  const listener = createChannelListener(db, logger);
  await listener.subscribe(domainEventsChannel, { onNotify, onListening: onNotify });
  return () => listener.close();
}

/** Waits for `work`, but no longer than `ms`. */
async function atMost(ms: number, work: Promise<unknown> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The domain events consumer (tests call `app.events.drain()`). */
    events: EventConsumer;
    /** This process's one LISTEN connection (domain events, notification stream). */
    channels: ChannelListener;
  }
}

/**
 * Decorates the app with the consumer. With `pollIntervalMs > 0` this copy consumes: it listens
 * for NOTIFY (delivery within milliseconds of a commit) and polls as a fallback (backing off
 * while the database is away, platform/jobs.ts). With 0 it only publishes; other copies deliver.
 */
export async function registerDomainEvents(
  app: FastifyInstance,
  { db, handlers, pollIntervalMs }: { db: AppDb; handlers: readonly EventHandler[]; pollIntervalMs: number },
): Promise<EventConsumer> {
  const consumer = createEventConsumer({ db, handlers, logger: app.log });
  app.decorate('events', consumer);
  // The process's LISTEN connection, shared with the notification stream; it connects on the
  // first subscription, so a copy that neither consumes nor streams opens none.
  const channels = createChannelListener(db, app.log);
  app.decorate('channels', channels);
  // Bounded: closing never hangs on a connection the server dropped.
  app.addHook('onClose', async () => atMost(2_000, channels.close()));
  if (pollIntervalMs <= 0) return consumer;
  app.addHook('onReady', async () => {
    const wake = () => consumer.wake();
    await channels.subscribe(domainEventsChannel, { onNotify: wake, onListening: wake });
  });
  app.addHook('onClose', async () => {
    // Let a drain in progress finish its transaction before the database closes.
    await atMost(10_000, consumer.drain(0).catch(() => 0));
  });
  scheduleJob(app, 'domain-events', pollIntervalMs, () => consumer.drain());
  return consumer;
}
