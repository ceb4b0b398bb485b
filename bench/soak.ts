// npm run soak: the API under steady mixed load for SOAK_SECONDS (default 600 = 10 minutes).
// 1. Forks the API (bench/soak-api.ts: embedded PostgreSQL, plain role, rate limits off).
// 2. Measures the maximum throughput of the mixed load (SOAK_PROBE_SECONDS, default 15).
// 3. Runs the mixed load at half that rate for SOAK_SECONDS and prints total requests,
//    errors, p50/p99 per interval (60 s; shorter for short runs) and the API's memory
//    (RSS, and heap after a forced GC) at start and end.
// Exits 1 if any request failed, the heap after GC grew by 10 % or more, or the last
// interval's p99 is more than twice the first's.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { SoakMessage } from './soak-api.js';

const soakSeconds = Number(process.env.SOAK_SECONDS ?? 600);
const probeSeconds = Number(process.env.SOAK_PROBE_SECONDS ?? 15);
const connections = Number(process.env.SOAK_CONNECTIONS ?? 10);
const intervalSeconds = soakSeconds >= 300 ? 60 : Math.max(5, Math.floor(soakSeconds / 6));

const here = path.dirname(fileURLToPath(import.meta.url));
const api = fork(path.join(here, 'soak-api.ts'), [], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const messages: ((m: SoakMessage) => void)[] = [];
api.on('message', (m: SoakMessage) => messages.shift()?.(m));
api.on('exit', (code) => {
  if (code !== 0 && !stopping) {
    console.error(`the API process exited with ${code}`);
    process.exit(1);
  }
});
let stopping = false;
const next = () => new Promise<SoakMessage>((resolve) => messages.push(resolve));
const memory = async (gc: boolean) => {
  const reply = next();
  api.send({ type: 'memory', gc });
  const m = await reply;
  if (m.type !== 'memory') throw new Error('unexpected message');
  return m;
};

const ready = await next();
if (ready.type !== 'ready') throw new Error('the API did not start');
const { address, headers } = ready;

let sequence = 0;
type Req = { method: 'GET' | 'POST' | 'PATCH'; path: string; body?: () => string; adminOnly?: boolean };
/** The mix: the portal's everyday reads, one write in eight (usage report, a soft-limit change). */
const mix: Req[] = [
  { method: 'GET', path: '/me' },
  { method: 'GET', path: '/tenants/current' },
  { method: 'GET', path: '/plans' },
  { method: 'GET', path: '/usage/status' },
  {
    method: 'POST',
    path: '/usage/events',
    body: () => JSON.stringify({ events: [{ metricType: 'api_calls', quantity: 1, idempotencyKey: `soak-${process.pid}-${++sequence}` }] }),
  },
  { method: 'GET', path: '/audit-logs?limit=20', adminOnly: true },
  { method: 'GET', path: '/users' },
  { method: 'PATCH', path: '/usage/quotas/workflows', body: () => JSON.stringify({ softLimit: 4_000 + (++sequence % 100) }) },
];
/** Reads go out as owner, admin and analyst in turn (the audit trail: owner and admin), writes as the owner. */
const requests = (): autocannon.Request[] => {
  let turn = 0;
  return mix.map((r) => ({
    method: r.method,
    path: r.path,
    setupRequest: (req: autocannon.Request) => {
      const who = r.method === 'GET' ? headers[turn++ % (r.adminOnly ? 2 : headers.length)] : headers[0];
      return { ...req, headers: { ...who, ...(r.body ? { 'content-type': 'application/json' } : {}) }, ...(r.body ? { body: r.body() } : {}) };
    },
  }));
};

type Bucket = { latencies: number[]; errors: number; statuses: Map<number, number> };
function run(seconds: number, overallRate: number | undefined, buckets: Bucket[] | null): Promise<autocannon.Result> {
  const started = Date.now();
  let done: (result: autocannon.Result) => void = () => {};
  let failed: (error: unknown) => void = () => {};
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const options = { url: address, connections, duration: seconds, requests: requests(), ...(overallRate ? { overallRate } : {}) };
  const instance = autocannon(options, (error: unknown, result: autocannon.Result) => (error ? failed(error) : done(result)));
  if (buckets) {
    const bucketOf = () => {
      const i = Math.min(Math.floor((Date.now() - started) / 1000 / intervalSeconds), Math.ceil(seconds / intervalSeconds) - 1);
      buckets[i] ??= { latencies: [], errors: 0, statuses: new Map() };
      return buckets[i];
    };
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      const b = bucketOf();
      b.latencies.push(responseTime);
      b.statuses.set(statusCode, (b.statuses.get(statusCode) ?? 0) + 1);
      if (statusCode >= 300) b.errors++;
    });
    instance.on('reqError', () => bucketOf().errors++);
  }
  return finished;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

console.log(`soak: one API process on embedded PostgreSQL (plain role), rate limits off (RATE_LIMIT_*=0), ${connections} connections`);
console.log(`mix: ${mix.map((r) => `${r.method} ${r.path}`).join(', ')}`);
const probe = await run(probeSeconds, undefined, null);
const maxRps = probe.requests.average;
const probeErrors = probe.errors + probe.timeouts + probe.non2xx;
console.log(`max throughput of the mix: ${maxRps.toFixed(0)} req/s (p50 ${probe.latency.p50} ms, p99 ${probe.latency.p99} ms, ${probeErrors} errors over ${probeSeconds} s)`);

const rate = Math.max(1, Math.floor(maxRps / 2));
const memStart = await memory(true);
console.log(`soak: ${soakSeconds} s at ${rate} req/s (half the maximum), intervals of ${intervalSeconds} s`);
const buckets: Bucket[] = [];
const result = await run(soakSeconds, rate, buckets);
const memEnd = await memory(true);

console.log('| interval | requests | req/s | p50 ms | p99 ms | errors |');
console.log('|---|---:|---:|---:|---:|---:|');
const rows = buckets.map((b, i) => {
  const sorted = [...b.latencies].sort((x, y) => x - y);
  return { i, count: b.latencies.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), errors: b.errors, statuses: b.statuses };
});
for (const r of rows) {
  console.log(`| ${r.i * intervalSeconds}-${(r.i + 1) * intervalSeconds} s | ${r.count} | ${(r.count / intervalSeconds).toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`);
}
const total = rows.reduce((n, r) => n + r.count, 0);
const errors = rows.reduce((n, r) => n + r.errors, 0) + result.timeouts;
const statuses = new Map<number, number>();
for (const r of rows) for (const [s, n] of r.statuses) statuses.set(s, (statuses.get(s) ?? 0) + n);
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const growth = (a: number, b: number) => ((b - a) / a) * 100;
const heapGrowth = growth(memStart.heapUsed, memEnd.heapUsed);
const rssGrowth = growth(memStart.rss, memEnd.rss);
const firstP99 = rows[0]?.p99 ?? 0;
const lastP99 = rows[rows.length - 1]?.p99 ?? 0;
console.log(`total requests: ${total} (${(total / soakSeconds).toFixed(0)} req/s), by status: ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}`);
console.log(`errors (non-2xx, connection errors, timeouts): ${errors}`);
console.log(`API memory at start: RSS ${mb(memStart.rss)}, heap after GC ${mb(memStart.heapUsed)}`);
console.log(`API memory at end:   RSS ${mb(memEnd.rss)}, heap after GC ${mb(memEnd.heapUsed)}`);
console.log(`growth: heap ${heapGrowth.toFixed(1)} %, RSS ${rssGrowth.toFixed(1)} %`);
console.log(`p99 first interval ${firstP99.toFixed(1)} ms, last ${lastP99.toFixed(1)} ms (${firstP99 ? (lastP99 / firstP99).toFixed(2) : '-'}x)`);

const failures = [
  ...(errors > 0 ? [`${errors} errors`] : []),
  ...(heapGrowth >= 10 ? [`heap grew ${heapGrowth.toFixed(1)} %`] : []),
  ...(firstP99 > 0 && lastP99 > 2 * firstP99 ? [`p99 of the last interval is ${(lastP99 / firstP99).toFixed(2)}x the first`] : []),
];
console.log(failures.length ? `SOAK FAILED: ${failures.join('; ')}` : 'soak passed: no errors, heap growth under 10 %, p99 stable');
stopping = true;
api.send({ type: 'stop' });
await new Promise((resolve) => api.once('exit', resolve));
process.exit(failures.length ? 1 : 0);
