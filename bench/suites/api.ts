import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../apps/control-plane/src/app.js';
import { generateSigningKeys } from '../../apps/control-plane/src/adapters/identity/builtin/keys.js';
import { loadConfig } from '../../apps/control-plane/src/config.js';
import { migrate, openDatabase } from '../../apps/control-plane/src/platform/db.js';
import { demoTenants, seedDemo } from '../../apps/control-plane/src/seed/demo.js';
import { accessTokenSigner } from '../../apps/control-plane/test/tokens.js';
import { latencies, postgresCpuMicros, startBenchApi } from '../support.js';

const durationSeconds = Number(process.env.BENCH_SECONDS ?? 5);
const connectionCounts = (process.env.BENCH_CONNECTIONS ?? '10,32').split(',').map(Number);
const acme = demoTenants[0];

/** The reads a portal page makes (dashboard, team, billing, usage, audit, workflows). */
const portalRoutes = [
  '/me',
  '/tenants/current',
  '/plans',
  '/subscriptions/current',
  '/payment-methods',
  '/usage/status',
  '/audit-logs?limit=20',
  '/users',
  '/invoices',
  '/workflows',
  '/notifications',
];

interface Row {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU µs per request: this process (the API and autocannon), and PostgreSQL. */
  apiCpu: number;
  dbCpu: number;
}

async function measure(url: string, headers: Record<string, string>, connections: number, duration: number): Promise<Row> {
  const cpu = process.cpuUsage();
  const db = postgresCpuMicros();
  const result = await autocannon({ url, headers, connections, duration });
  const used = process.cpuUsage(cpu);
  const n = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    apiCpu: (used.user + used.system) / n,
    dbCpu: (postgresCpuMicros() - db) / n,
  };
}

/**
 * What authentication and tenant scope cost per request, on real PostgreSQL: every route a
 * portal page calls, as the owner of a demo tenant, at 10 and 32 connections, against
 * GET /health (one SELECT 1, no auth) measured in the same run. Then, informative, the
 * sequential p95 of GET /me and GET /usage/status on PGlite (the embedded default).
 */
export async function apiSuite(): Promise<void> {
  const api = await startBenchApi();
  const headers = await api.headersFor('owner@acme.test', acme.id);
  const cases = [{ name: 'GET /health (baseline)', path: '/health', headers: {} as Record<string, string> }];
  for (const path of portalRoutes) {
    // Routes of features not built yet (404) are left out, and said so.
    const probe = await fetch(`${api.address}${path}`, { headers });
    await probe.arrayBuffer();
    const anonymous = await fetch(`${api.address}${path}`);
    await anonymous.arrayBuffer();
    if (probe.status === 404 && anonymous.status === 404) {
      console.log(`(skipped GET ${path}: not built)`);
      continue;
    }
    if (!probe.ok) throw new Error(`GET ${path}: HTTP ${probe.status}`);
    cases.push({ name: `GET ${path}`, path, headers });
  }
  // GET /health again at the end: the baseline is the mean of both (the machine may be shared).
  cases.push({ name: 'GET /health (again, at the end)', path: '/health', headers: {} });
  const results = new Map<string, Map<number, Row>>();
  for (const c of cases) {
    // A short warm-up (JIT, prepared statements, pool) that is not counted.
    await measure(`${api.address}${c.path}`, c.headers, 10, 1);
    const byConnections = new Map<number, Row>();
    for (const connections of connectionCounts) {
      byConnections.set(connections, await measure(`${api.address}${c.path}`, c.headers, connections, durationSeconds));
    }
    results.set(c.name, byConnections);
  }
  await api.close();

  console.log(`PostgreSQL (embedded), ${durationSeconds}s per route and connection count, one API process, owner@acme.test; vs /health: mean of its two runs`);
  console.log('CPU µs/req: this process (API + autocannon) / PostgreSQL, at the first connection count');
  const head = connectionCounts.map((n) => `${n} conn req/s | vs /health | p50 ms | p99 ms`).join(' | ');
  console.log(`| route | ${head} | CPU µs/req | errors |`);
  console.log(`|---|${connectionCounts.map(() => '---:|---:|---:|---:|').join('')}---:|---:|`);
  const first = results.get(cases[0]?.name ?? '');
  const last = results.get(cases[cases.length - 1]?.name ?? '');
  const baseline = (n: number) => ((first?.get(n)?.rps ?? 1) + (last?.get(n)?.rps ?? 1)) / 2;
  for (const [name, byConnections] of results) {
    const cells = connectionCounts.map((n) => {
      const r = byConnections.get(n);
      const base = baseline(n);
      return r ? `${r.rps.toFixed(0)} | ${(r.rps / base).toFixed(2)}x | ${r.p50} | ${r.p99}` : '- | - | - | -';
    });
    const errors = [...byConnections.values()].reduce((sum, r) => sum + r.errors, 0);
    const atFirst = byConnections.get(connectionCounts[0] ?? 10);
    const cpu = atFirst ? `${atFirst.apiCpu.toFixed(0)} / ${atFirst.dbCpu.toFixed(0)}` : '-';
    console.log(`| ${name} | ${cells.join(' | ')} | ${cpu} | ${errors} |`);
  }
  if (process.env.BENCH_PGLITE !== '0') await pgliteLatencies();
}

/** GET /me and GET /usage/status on an in-memory PGlite, sequential requests: p50/p95/max. */
async function pgliteLatencies(): Promise<void> {
  const database = await openDatabase({ inMemory: true });
  await migrate(database);
  await seedDemo(database.db);
  const config = loadConfig({
    NODE_ENV: 'production',
    CBP_DATA_DIR: '/nonexistent',
    LOG_LEVEL: 'silent',
    AUDIT_RETENTION_INTERVAL_MS: '0',
    RATE_LIMIT_READS_PER_SECOND: '0',
    RATE_LIMIT_WRITES_PER_SECOND: '0',
    RATE_LIMIT_EVENTS_PER_SECOND: '0',
    RATE_LIMIT_ANON_PER_MINUTE: '0',
  });
  const keys = await generateSigningKeys();
  const app = await buildApp({ config, db: database.db, signingKeys: keys, cookieSecret: randomBytes(32).toString('hex'), localEventIntervalMs: 0 });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const token = await accessTokenSigner({ keys, issuer: config.issuer, audience: config.audience }).forEmail('owner@acme.test', { expiresAt: '2h' });
  const headers = { authorization: `Bearer ${token}`, 'x-tenant-id': acme.id };
  console.log('\nPGlite (in memory), sequential requests (200 after 20 warm-up), informative');
  console.log('| route | p50 ms | p95 ms | max ms |');
  console.log('|---|---:|---:|---:|');
  for (const path of ['/health', '/me', '/usage/status']) {
    const l = await latencies(`${address}${path}`, path === '/health' ? {} : headers);
    console.log(`| GET ${path} | ${l.p50.toFixed(1)} | ${l.p95.toFixed(1)} | ${l.max.toFixed(1)} |`);
  }
  await app.close();
  await database.close();
}
