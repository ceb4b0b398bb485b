import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { queryRows, type AppDb } from './db.js';
import { AppError } from './errors.js';

/**
 * Rate limits (issue 12).
 *
 * - Authenticated callers spend budgets keyed by who they are, after the guard has
 *   authenticated them: a user's reads (GET/HEAD) and mutations separately, an API key's
 *   usage events (counted per event, not per batch). They run in `@fastify/rate-limit`'s
 *   `preValidation` hook with the database-backed store below, so every API copy on the same
 *   PostgreSQL spends the same budget.
 * - Everything else is keyed by client address and counted in this process only, so an
 *   anonymous flood never costs a database write: public routes (health, docs, the identity
 *   provider, invitation pages, webhooks), paths without a route, and failed authentications
 *   (each 401 spends one unit). An address that has spent its budget is refused before the
 *   guard runs, except for requests carrying a bearer JWT (checked without the database).
 *
 * Answers 429 problem+json `RATE_LIMITED` with `Retry-After` and the IETF draft
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` headers (those three on every
 * limited answer).
 */

export interface RateLimitSettings {
  readsPerSecond: number;
  writesPerSecond: number;
  eventsPerSecond: number;
  anonPerMinute: number;
  windowMs: number;
}

export function rateLimitSettings(config: Config): RateLimitSettings {
  return {
    readsPerSecond: config.RATE_LIMIT_READS_PER_SECOND,
    writesPerSecond: config.RATE_LIMIT_WRITES_PER_SECOND,
    eventsPerSecond: config.RATE_LIMIT_EVENTS_PER_SECOND,
    anonPerMinute: config.RATE_LIMIT_ANON_PER_MINUTE,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
  };
}

/** How often a copy adds its local counts to the shared table and reads the totals back. */
const flushIntervalMs = 100;
/** How often counters of ended windows are deleted. */
const pruneIntervalMs = 60_000;
/** A failing database is reported at most this often. */
const errorLogIntervalMs = 10_000;
/** After a failed flush, the next one waits this long (one statement at a time in any case). */
const retryAfterErrorMs = 1_000;

interface WindowCount {
  start: number;
  end: number;
  /** Total in the database at the last flush (every copy's hits). */
  shared: number;
  /** Hits of this copy being written right now. */
  inFlight: number;
  /** Hits of this copy not written yet. */
  pending: number;
  lastHit: number;
}

/** A key hit this recently is refreshed from the database even without new hits of its own. */
const refreshForMs = 1_000;

/**
 * Fixed-window counters shared through PostgreSQL without a database round trip on the
 * request path. A hit is counted in memory and answered at once from what this copy knows
 * (last shared total + its own unwritten hits); every 100 ms one statement adds each key's
 * unwritten hits to `rate_limit_counters` (`INSERT ... ON CONFLICT DO UPDATE SET count =
 * count + n RETURNING count`) and brings back the totals, which include the other copies'
 * hits. A copy therefore sees the others' traffic within ~100 ms; a burst spread over several
 * copies can overshoot a budget by what they take in that time. Database errors are logged
 * and the hits are kept for the next flush: limits then hold per copy (fail open, never a
 * blocked or failed request).
 */
export class SharedCounters {
  private readonly windows = new Map<string, WindowCount>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastPrune = Date.now();
  private lastErrorLog = 0;
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly db: AppDb,
    private readonly onError: (err: unknown) => void,
  ) {}

  hit(key: string, weight: number, windowMs: number): { current: number; ttl: number } {
    const now = Date.now();
    const start = now - (now % windowMs);
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, end: start + windowMs, shared: 0, inFlight: 0, pending: 0, lastHit: now };
      this.windows.set(key, w);
    }
    w.pending += weight;
    w.lastHit = now;
    this.schedule();
    return { current: w.shared + w.inFlight + w.pending, ttl: w.end - now };
  }

  /** One flush at a time: a slow or unreachable database never piles statements up. */
  private schedule() {
    if (this.timer || this.flushing || this.closed) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flushing = this.flush().finally(() => {
          this.flushing = undefined;
          if (this.hasWork()) this.schedule();
        });
      },
      Math.max(flushIntervalMs, this.retryAt - Date.now()),
    );
    this.timer.unref();
  }

  /** Unwritten hits, or keys hit lately whose shared total is worth refreshing. */
  private hasWork(): boolean {
    const now = Date.now();
    for (const w of this.windows.values()) {
      if (w.pending > 0 || (w.end > now && now - w.lastHit < refreshForMs)) return true;
    }
    return false;
  }

  private async flush(): Promise<void> {
    const now = Date.now();
    const batch: { key: string; w: WindowCount; n: number }[] = [];
    for (const [key, w] of this.windows) {
      if (w.end <= now) {
        this.windows.delete(key);
        continue;
      }
      // Keys hit lately are refreshed even without new hits (adding 0): other copies' hits show up.
      if (w.pending === 0 && now - w.lastHit >= refreshForMs) continue;
      batch.push({ key, w, n: w.pending });
      w.inFlight += w.pending;
      w.pending = 0;
    }
    try {
      if (batch.length > 0) {
        batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)); // one lock order for every copy
        const rows = JSON.stringify(
          batch.map(({ key, w, n }) => ({ key, window_start: new Date(w.start).toISOString(), expires_at: new Date(w.end).toISOString(), n })),
        );
        const totals = await queryRows<{ key: string; count: number }>(
          this.db,
          sql`INSERT INTO rate_limit_counters AS c (key, window_start, expires_at, count)
              SELECT r.key, r.window_start, r.expires_at, r.n
                FROM jsonb_to_recordset(${rows}::jsonb) AS r(key text, window_start timestamptz, expires_at timestamptz, n integer)
               ORDER BY r.key
              ON CONFLICT (key, window_start) DO UPDATE SET count = c.count + excluded.count
              RETURNING c.key, c.count`,
        );
        const byKey = new Map(totals.map((t) => [t.key, Number(t.count)]));
        for (const { key, w, n } of batch) {
          w.inFlight -= n;
          w.shared = Math.max(w.shared, byKey.get(key) ?? w.shared + n);
        }
      }
    } catch (err) {
      // Keep the hits: they are written with the next flush (or dropped with their window).
      for (const { w, n } of batch) {
        w.inFlight -= n;
        w.pending += n;
      }
      this.failed(err);
      return;
    }
    if (now - this.lastPrune >= pruneIntervalMs) {
      this.lastPrune = now;
      try {
        await this.db.execute(sql`DELETE FROM rate_limit_counters WHERE expires_at < ${new Date(now).toISOString()}::timestamptz`);
      } catch (err) {
        this.failed(err);
      }
    }
  }

  private failed(err: unknown) {
    const now = Date.now();
    this.retryAt = now + retryAfterErrorMs;
    if (now - this.lastErrorLog >= errorLogIntervalMs) {
      this.lastErrorLog = now;
      this.onError(err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
  }
}

/** Fixed-window counters of this process only (anonymous callers by address). */
class LocalCounters {
  private start = 0;
  private readonly counts = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  private roll(now: number) {
    const start = now - (now % this.windowMs);
    if (start !== this.start) {
      this.start = start;
      this.counts.clear(); // the whole map belongs to the ended window
    }
  }

  hit(key: string): { current: number; ttl: number } {
    const now = Date.now();
    this.roll(now);
    const current = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, current);
    return { current, ttl: this.start + this.windowMs - now };
  }

  peek(key: string): { current: number; ttl: number } {
    const now = Date.now();
    this.roll(now);
    return { current: this.counts.get(key) ?? 0, ttl: this.start + this.windowMs - now };
  }
}

type Budget = 'read' | 'write' | 'events';

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Separates the weight (events in a batch) carried in a store key: `k:<id>:events#<n>`. */
function splitWeight(key: string): { key: string; weight: number } {
  const at = key.lastIndexOf('#');
  if (at < 0) return { key, weight: 1 };
  return { key: key.slice(0, at), weight: Math.max(1, Number(key.slice(at + 1)) || 1) };
}

function budgetOf(key: string): Budget {
  const base = splitWeight(key).key;
  return base.endsWith(':events') ? 'events' : base.endsWith(':write') ? 'write' : 'read';
}

function eventsIn(body: unknown): number {
  const events = typeof body === 'object' && body !== null ? (body as { events?: unknown }).events : undefined;
  return Array.isArray(events) ? Math.max(1, events.length) : 1;
}

function refuse(reply: FastifyReply, limit: number, ttlMs: number, detail: string): never {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  reply.header('retry-after', seconds);
  reply.header('ratelimit-limit', limit);
  reply.header('ratelimit-remaining', 0);
  reply.header('ratelimit-reset', seconds);
  throw new AppError(429, 'RATE_LIMITED', detail);
}

/** Registers the limits; call after the guard and before the routes. */
export async function registerRateLimits(app: FastifyInstance, { db, settings }: { db: AppDb; settings: RateLimitSettings }) {
  const { windowMs } = settings;
  const perWindow = (perSecond: number) => Math.max(1, Math.round((perSecond * windowMs) / 1000));
  const limits: Record<Budget, number> = {
    read: settings.readsPerSecond > 0 ? perWindow(settings.readsPerSecond) : 0,
    write: settings.writesPerSecond > 0 ? perWindow(settings.writesPerSecond) : 0,
    events: settings.eventsPerSecond > 0 ? perWindow(settings.eventsPerSecond) : 0,
  };
  const window = windowMs === 1000 ? 'second' : `${windowMs / 1000} s`;

  // Anonymous callers: by address, in this process.
  if (settings.anonPerMinute > 0) {
    const anon = new LocalCounters(60_000);
    const limit = settings.anonPerMinute;
    const isAnonymousRoute = (request: FastifyRequest) => {
      const policy = request.routeOptions.config?.policy;
      return !policy || policy.access === 'public';
    };
    const detail = `Too many unauthenticated requests from your address (limit ${limit} per minute); retry later.`;
    app.addHook('onRequest', async (request, reply) => {
      if (request.method === 'OPTIONS') return; // CORS preflights (answered by @fastify/cors, no work)
      const ip = normalizeIP(request.ip);
      if (isAnonymousRoute(request)) {
        const { current, ttl } = anon.hit(ip);
        if (current > limit) refuse(reply, limit, ttl, detail);
        return;
      }
      const { current, ttl } = anon.peek(ip);
      if (current < limit) return;
      // Spent by failed authentications: no more API-key lookups or credential-less tries from
      // here; a bearer JWT is still verified (no database work before its signature holds).
      if (/^Bearer (?!cbp_)\S+$/.test(request.headers.authorization ?? '')) return;
      refuse(reply, limit, ttl, detail);
    });
    app.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode === 401 && !isAnonymousRoute(request)) anon.hit(normalizeIP(request.ip));
    });
  }

  if (limits.read === 0 && limits.write === 0 && limits.events === 0) return;

  const counters = new SharedCounters(db, (err) => app.log.warn({ err }, 'rate-limit counters not shared (database error); limiting per copy meanwhile'));
  app.addHook('onClose', () => counters.close());

  class SharedStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number) {
      const { key: base, weight } = splitWeight(key);
      callback(null, counters.hit(base, weight, timeWindow));
    }
    child() {
      return this;
    }
  }

  await app.register(rateLimit, {
    global: true,
    // After the guard (onRequest) has authenticated the caller; before the body is validated.
    hook: 'preValidation',
    enableDraftSpec: true,
    store: SharedStore,
    skipOnError: true,
    timeWindow: windowMs,
    keyGenerator: (request) => {
      const { actor } = request.ctx;
      if (actor.type === 'api_key') return `k:${actor.id}:events#${eventsIn(request.body)}`;
      if (actor.type === 'user') return `u:${actor.id}:${readMethods.has(request.method) ? 'read' : 'write'}`;
      return ''; // public route: counted by address above
    },
    allowList: (_request, key) => key === '' || limits[budgetOf(key)] === 0,
    max: (_request, key) => limits[budgetOf(key)],
    errorResponseBuilder: (request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      const what =
        request.ctx.actor.type === 'api_key' ? 'usage events for this API key' : readMethods.has(request.method) ? 'reads' : 'changes';
      return new AppError(429, 'RATE_LIMITED', `Too many ${what} (limit ${context.max} per ${window}); retry in ${seconds} s.`);
    },
  });
}
