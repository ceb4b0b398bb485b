import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import * as builtin from '../../apps/control-plane/src/adapters/workflows/builtin.js';
import { defineWorkflow } from '../../apps/control-plane/src/adapters/workflows/port.js';
import { migrate, openDatabase, queryRows, withPlatformScope, type Database } from '../../apps/control-plane/src/platform/db.js';
import { schema } from '../../apps/control-plane/src/platform/schema.js';
import { startPostgres } from '../../apps/control-plane/test/postgres-server.js';
import { drizzle } from 'drizzle-orm/node-postgres';

// Issue #13, Performance: the built-in workflow engine on real PostgreSQL (embedded, fsync off,
// the API's plain role under row-level security), against plain INSERTs of the same rows in the
// same transaction shapes (baseline, same run).
//
// BENCH_WF_RUNS       workflows per throughput round (default 3000)
// BENCH_WF_ROUNDS     throughput and latency rounds, best and spread reported (default 3)
// BENCH_WF_RATE       starts per second of the latency measurement (default 100)
// BENCH_WF_SECONDS    length of one latency round (default 5)
// BENCH_WF_CONCURRENCY engine concurrency (default: the engine's default)
// BENCH_WF_PGLITE     1: also measure on PGlite in memory (informative; default 1)
// BENCH_WF_POOL       connections of the engine's pool (default: the application's, 10)
// BENCH_WF_ONLY       throughput: skip the latency rounds
// BENCH_WF_ENGINE     path of another module exporting createBuiltinWorkflowEngine (e.g. a copy of
//                     an older builtin.ts next to it), to measure before/after in one session

const runs = Number(process.env.BENCH_WF_RUNS ?? 3000);
const rounds = Number(process.env.BENCH_WF_ROUNDS ?? 3);
const rate = Number(process.env.BENCH_WF_RATE ?? 100);
const latencySeconds = Number(process.env.BENCH_WF_SECONDS ?? 5);
const concurrency = process.env.BENCH_WF_CONCURRENCY ? Number(process.env.BENCH_WF_CONCURRENCY) : undefined;
const poolMax = process.env.BENCH_WF_POOL ? Number(process.env.BENCH_WF_POOL) : undefined;
const throughputOnly = process.env.BENCH_WF_ONLY === 'throughput';
const withPglite = (process.env.BENCH_WF_PGLITE ?? '1') === '1';
/** Concurrent callers of start() in the throughput rounds (and workers of the baseline). */
const starters = 10;
const { createBuiltinWorkflowEngine } = (process.env.BENCH_WF_ENGINE ? await import(process.env.BENCH_WF_ENGINE) : builtin) as typeof builtin;
const tenants = Array.from({ length: 20 }, () => randomUUID());

/** Set by the latency rounds: when each run's first step began (performance.now()). */
const firstStepAt = new Map<string, number>();

const threeStep = defineWorkflow({
  type: 'bench.three-step',
  async run(ctx, input: { n: number }) {
    const a = await ctx.step('one', async ({ runId }) => {
      if (!firstStepAt.has(runId)) firstStepAt.set(runId, performance.now());
      return input.n + 1;
    });
    const b = await ctx.step('two', async () => a + 1);
    const c = await ctx.step('three', async () => b + 1);
    return { c };
  },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;

/**
 * CPU time (ms) used so far by this process and by the PostgreSQL server (postmaster and its
 * children, from /proc), so that a figure can be put per workflow whatever else runs on the
 * machine. Backends that have exited are not counted: read it before closing connections.
 */
type CpuMeter = () => Promise<{ node: number; postgres: number }>;
async function cpuMeter(database: Database | null): Promise<CpuMeter> {
  const tick = 100; // USER_HZ
  let postmaster: number | null = null;
  if (database?.kind === 'postgres') {
    const [row] = await queryRows<{ pid: number }>(database.db, sql`SELECT pg_backend_pid() AS pid`);
    const status = await readFile(`/proc/${row?.pid}/status`, 'utf8');
    postmaster = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
  }
  const stat = async (pid: string) => {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) * (1000 / tick) };
  };
  return async () => {
    const usage = process.cpuUsage();
    let postgres = 0;
    if (postmaster) {
      for (const pid of await readdir('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        const s = await stat(pid);
        if (Number(pid) === postmaster || s.ppid === postmaster) postgres += s.cpu;
      }
    }
    return { node: (usage.user + usage.system) / 1000, postgres };
  };
}

/** CPU ms per workflow between two readings. */
function cpuPer(before: { node: number; postgres: number }, after: { node: number; postgres: number }, n: number) {
  return { node: (after.node - before.node) / n, postgres: (after.postgres - before.postgres) / n };
}

async function completedCount(database: Database): Promise<number> {
  const [row] = await withPlatformScope(database.db, (tx) =>
    queryRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM workflow_runs WHERE status = 'completed'`),
  );
  return Number(row?.n ?? 0);
}

/** Empties the workflow tables before each measurement (TRUNCATE: no dead rows left for autovacuum to chase mid-round). */
let truncate: () => Promise<void> = async () => {};

/** Runs `count` jobs with `workers` concurrent loops. */
async function pool(count: number, workers: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/** Engine throughput: `runs` workflows started by `starters` callers, until all completed. Workflows/s. */
interface Throughput {
  rate: number;
  /** CPU ms per workflow. */
  node: number;
  postgres: number;
}

async function engineThroughput(database: Database, meter: CpuMeter): Promise<Throughput> {
  await truncate();
  const engine = createBuiltinWorkflowEngine({ db: database.db, workflows: [threeStep], concurrency });
  try {
    const cpu = await meter();
    const started = performance.now();
    await pool(runs, starters, async (i) => {
      await engine.start({ type: threeStep.type, tenantId: tenants[i % tenants.length] ?? null, input: { n: i } });
    });
    const deadline = Date.now() + 600_000;
    while ((await completedCount(database)) < runs) {
      if (Date.now() > deadline) throw new Error('workflows did not complete in 10 minutes');
      await sleep(20);
    }
    const rate = runs / ((performance.now() - started) / 1000);
    return { rate, ...cpuPer(cpu, await meter(), runs) };
  } finally {
    await engine.close();
  }
}

/**
 * The same rows with plain INSERTs, in the engine's transaction shapes: the run in one
 * transaction, then one transaction per step checkpoint (the last also closes the run),
 * each in the run's tenant scope. Workflows/s.
 */
async function plainThroughput(database: Database, connect: () => Promise<PlainClient>, meter: CpuMeter): Promise<Throughput> {
  await truncate();
  const clients = await Promise.all(Array.from({ length: starters }, connect));
  try {
    const cpu = await meter();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < runs) {
          const i = next++;
          const tenant = tenants[i % tenants.length] ?? '';
          const [run] = await client.tx(tenant, [
            [`INSERT INTO workflow_runs (tenant_id, workflow_id, type, status, input) VALUES ($1, $2, 'bench.plain', 'running', $3::jsonb) RETURNING id`, [tenant, randomUUID(), JSON.stringify({ n: i })]],
          ]);
          const runId = String(run?.id);
          for (const [seq, name] of ['one', 'two', 'three'].entries()) {
            await client.tx(tenant, [
              [
                `INSERT INTO workflow_steps (run_id, tenant_id, name, seq, kind, status, attempts, started_at, finished_at, result)
                 VALUES ($1, $2, $3, $4, 'local', 'completed', 1, now(), clock_timestamp(), $5::jsonb)`,
                [runId, tenant, name, seq, JSON.stringify({ v: i + seq })],
              ],
              ...(name === 'three'
                ? ([[`UPDATE workflow_runs SET status = 'completed', closed_at = now() WHERE id = $1`, [runId]]] as [string, unknown[]][])
                : []),
            ]);
          }
        }
      }),
    );
    const rate = runs / ((performance.now() - started) / 1000);
    return { rate, ...cpuPer(cpu, await meter(), runs) };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

interface PlainClient {
  tx(tenant: string, statements: [string, unknown[]][]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** node-postgres connection of the API's role (one transaction at a time). */
async function pgClient(url: string): Promise<PlainClient> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let queue: Promise<unknown> = Promise.resolve();
  const run = async (tenant: string, statements: [string, unknown[]][]) => {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.tenant_id', $1, true), set_config('app.scope', '', true)`, [tenant]);
    let rows: Record<string, unknown>[] = [];
    for (const [text, values] of statements) rows = (await client.query(text, values)).rows as Record<string, unknown>[];
    await client.query('COMMIT');
    return rows;
  };
  return {
    tx(tenant, statements) {
      const result = queue.then(() => run(tenant, statements));
      queue = result.catch(() => {});
      return result;
    },
    close: () => client.end(),
  };
}

/** The same through the application's own database handle (PGlite: its only connection). */
function drizzleClient(database: Database): () => Promise<PlainClient> {
  return async () => ({
    async tx(tenant, statements) {
      return database.db.transaction(async (tx) => {
        await tx.execute(sql`SELECT set_config('app.tenant_id', ${tenant}, true), set_config('app.scope', '', true)`);
        let rows: Record<string, unknown>[] = [];
        for (const [text, values] of statements) {
          const chunks = text.split(/\$\d+/);
          const numbers = [...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
          const query = sql.join(
            chunks.flatMap((chunk, k) => (k < numbers.length ? [sql.raw(chunk), sql`${values[(numbers[k] ?? 1) - 1]}`] : [sql.raw(chunk)])),
            sql``,
          );
          rows = await queryRows<Record<string, unknown>>(tx, query);
        }
        return rows;
      });
    },
    close: async () => {},
  });
}

interface Latency {
  p50: number;
  p95: number;
  p99: number;
  startP50: number;
  startP95: number;
}

/** Start -> first step at a steady `rate` per second: p50/p95/p99 ms, and of the start call itself. */
async function engineLatency(database: Database): Promise<Latency> {
  await truncate();
  firstStepAt.clear();
  const engine = createBuiltinWorkflowEngine({ db: database.db, workflows: [threeStep], concurrency });
  const returnedAt = new Map<string, number>();
  const startMs: number[] = [];
  try {
    const total = Math.round(rate * latencySeconds);
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(
        (async () => {
          const before = performance.now();
          const started = await engine.start({ type: threeStep.type, tenantId: tenants[i % tenants.length] ?? null, input: { n: i } });
          const after = performance.now();
          returnedAt.set(started.runId, after);
          startMs.push(after - before);
        })(),
      );
    }
    await Promise.all(pending);
    const deadline = Date.now() + 120_000;
    while (firstStepAt.size < total || (await completedCount(database)) < total) {
      if (Date.now() > deadline) throw new Error('latency round did not complete');
      await sleep(20);
    }
    // A first step may begin before the start call's continuation runs: that counts as 0.
    const lat = [...returnedAt].map(([runId, at]) => Math.max(0, (firstStepAt.get(runId) ?? Infinity) - at)).sort((a, b) => a - b);
    startMs.sort((a, b) => a - b);
    return { p50: pct(lat, 0.5), p95: pct(lat, 0.95), p99: pct(lat, 0.99), startP50: pct(startMs, 0.5), startP95: pct(startMs, 0.95) };
  } finally {
    await engine.close();
  }
}

/** Baseline latency: the plain INSERT transaction of a run row at the same rate. */
async function plainLatency(database: Database, connect: () => Promise<PlainClient>): Promise<{ p50: number; p95: number }> {
  await truncate();
  const clients = await Promise.all(Array.from({ length: 4 }, connect));
  const times: number[] = [];
  try {
    const total = Math.round(rate * latencySeconds);
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const client = clients[i % clients.length];
      const tenant = tenants[i % tenants.length] ?? '';
      pending.push(
        (async () => {
          const before = performance.now();
          await client?.tx(tenant, [
            [`INSERT INTO workflow_runs (tenant_id, workflow_id, type, status, input) VALUES ($1, $2, 'bench.plain', 'running', $3::jsonb)`, [tenant, randomUUID(), '{}']],
          ]);
          times.push(performance.now() - before);
        })(),
      );
    }
    await Promise.all(pending);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 0.5), p95: pct(times, 0.95) };
}

const fmt = (t: Throughput | undefined) => (t ? `${t.rate.toFixed(0)}/s (cpu ${t.node.toFixed(2)}+${t.postgres.toFixed(2)} ms)` : '');

async function measure(label: string, database: Database, connect: () => Promise<PlainClient>, roundsHere: number) {
  const meter = await cpuMeter(database);
  const engine: Throughput[] = [];
  const plain: Throughput[] = [];
  const lat: Latency[] = [];
  const plainLat: { p50: number; p95: number }[] = [];
  for (let r = 0; r < roundsHere; r++) {
    plain.push(await plainThroughput(database, connect, meter));
    engine.push(await engineThroughput(database, meter));
    if (!throughputOnly) {
      plainLat.push(await plainLatency(database, connect));
      lat.push(await engineLatency(database));
    }
    process.stdout.write(
      `  ${label} round ${r + 1}: plain ${fmt(plain[r])}, engine ${fmt(engine[r])}, start->first step p95 ${lat[r]?.p95.toFixed(1) ?? '-'} ms\n`,
    );
  }
  const best = [...engine].sort((a, b) => b.rate - a.rate)[0] ?? engine[0];
  const bestPlain = [...plain].sort((a, b) => b.rate - a.rate)[0] ?? plain[0];
  if (!best || !bestPlain) return;
  const cpuMs = (t: Throughput) => t.node + t.postgres;
  // What two idle cores would do if CPU is the limit: 2,000 ms of CPU per second.
  const ceiling = (t: Throughput) => (t.postgres > 0 ? (2000 / cpuMs(t)).toFixed(0) : '');
  const bestLat = [...lat].sort((a, b) => a.p95 - b.p95)[0];
  const bestPlainLat = [...plainLat].sort((a, b) => a.p95 - b.p95)[0];
  console.log(`\n${label}: ${runs} three-step workflows per round, ${starters} concurrent starters, engine concurrency ${concurrency ?? 'default'}, ${roundsHere} rounds (best, spread)`);
  console.log('| throughput | workflows/s (best) | spread | vs baseline | CPU ms/workflow: node | postgres | 2 cores / CPU = workflows/s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| plain INSERTs, same rows and transactions (baseline) | ${bestPlain.rate.toFixed(0)} | ${spread(plain.map((t) => t.rate))} | 1.00x | ${bestPlain.node.toFixed(2)} | ${bestPlain.postgres.toFixed(2)} | ${ceiling(bestPlain)} |`,
  );
  console.log(
    `| built-in engine: start, run, 3 steps, complete | ${best.rate.toFixed(0)} | ${spread(engine.map((t) => t.rate))} | ${(best.rate / bestPlain.rate).toFixed(2)}x | ${best.node.toFixed(2)} | ${best.postgres.toFixed(2)} | ${ceiling(best)} |`,
  );
  if (throughputOnly) return;
  console.log(`\n${label}: ${rate} starts/s for ${latencySeconds} s (round with the best p95; p95 spread ${spread(lat.map((l) => l.p95))} ms)`);
  console.log('| latency | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---:|---:|---:|');
  console.log(`| plain INSERT transaction of a run row (baseline) | ${bestPlainLat?.p50.toFixed(1)} | ${bestPlainLat?.p95.toFixed(1)} | |`);
  console.log(`| engine.start() call | ${bestLat?.startP50.toFixed(1)} | ${bestLat?.startP95.toFixed(1)} | |`);
  console.log(`| start() returned -> first step began | ${bestLat?.p50.toFixed(1)} | ${bestLat?.p95.toFixed(1)} | ${bestLat?.p99.toFixed(1)} |`);
}

export async function workflowsSuite(): Promise<void> {
  const server = await startPostgres();
  try {
    await server.createDatabase('bench');
    const owner = await openDatabase({ url: `${server.ownerUrl}/bench` });
    await migrate(owner, { appRole: server.appRole });
    truncate = () => owner.execScript('TRUNCATE workflow_runs, workflow_steps');
    const opened = await openDatabase({ url: `${server.appUrl}/bench` });
    let database = opened;
    if (poolMax) {
      const pool = new pg.Pool({ connectionString: `${server.appUrl}/bench`, max: poolMax });
      database = { ...opened, db: drizzle({ client: pool, schema }) as unknown as Database['db'], close: async () => { await pool.end(); await opened.close(); } };
    }
    try {
      await measure('PostgreSQL (embedded, fsync off, API role under RLS)', database, () => pgClient(`${server.appUrl}/bench`), rounds);
    } finally {
      await database.close();
      await owner.close();
    }
  } finally {
    await server.stop();
  }
  if (withPglite) {
    const database = await openDatabase({ inMemory: true });
    try {
      await migrate(database);
      truncate = () => database.execScript('TRUNCATE workflow_runs, workflow_steps');
      await measure('PGlite (in memory, one connection; informative)', database, drizzleClient(database), 1);
    } finally {
      await database.close();
    }
  }
}
