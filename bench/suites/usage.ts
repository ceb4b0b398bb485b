import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inPlatformScope } from '../../apps/control-plane/src/platform/db.js';
import { latencies, startBenchApi, type BenchApi } from '../support.js';

const bigEvents = Number(process.env.BENCH_USAGE_EVENTS ?? 10_000_000);
const smallEvents = 100_000;
const tenants = 100;
const samples = Number(process.env.BENCH_SAMPLES ?? 200);
const ingestBatches = Number(process.env.BENCH_INGEST_BATCHES ?? 300);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const only = process.env.BENCH_USAGE_ONLY; // 'ingest' or 'reads'
const metrics = ['api_calls', 'storage_gb', 'users', 'workflows', 'integrations'];

/** Runs `jobs` with `concurrency` workers; returns elapsed seconds. */
async function timed(jobs: (() => Promise<void>)[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        await job?.();
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

const batchOf = (prefix: string, b: number) =>
  Array.from({ length: 1000 }, (_, i) => ({
    metricType: metrics[i % metrics.length] ?? 'api_calls',
    quantity: 1 + (i % 7),
    occurredAt: new Date(Date.now() - ((b * 1000 + i) % 86_400) * 1000).toISOString(),
    idempotencyKey: `${prefix}-${b}-${i}`,
  }));

/**
 * Raw events for one tenant written straight into the partitioned table, with the rollups
 * and quota counters derived from them in SQL (what ingestion would have produced), spread
 * over the last 150 days.
 */
async function loadEvents(api: BenchApi, tenantId: string, count: number, tag: string) {
  const chunk = 1_000_000;
  for (let from = 0; from < count; from += chunk) {
    const n = Math.min(chunk, count - from);
    await api.ownerQuery(inPlatformScope(`
      INSERT INTO usage_events (tenant_id, metric_type, quantity, occurred_at, idempotency_key, source_type)
      SELECT '${tenantId}', (ARRAY['api_calls','storage_gb','users','workflows','integrations'])[1 + g % 5], 1 + g % 7,
             now() - ((g::bigint * 1297) % (150 * 86400)) * interval '1 second', '${tag}-' || g, 'user'
      FROM generate_series(${from}, ${from + n - 1}) AS g`));
  }
  await api.ownerQuery(inPlatformScope(`
    DELETE FROM usage_daily WHERE tenant_id = '${tenantId}';
    INSERT INTO usage_daily (tenant_id, metric_type, day, quantity, event_count)
    SELECT tenant_id, metric_type, (occurred_at AT TIME ZONE 'UTC')::date, sum(quantity), count(*)
    FROM usage_events WHERE tenant_id = '${tenantId}' GROUP BY 1, 2, 3;
    UPDATE usage_quotas q SET (current_usage, current_events) = (SELECT coalesce(sum(quantity), 0), count(*) FROM usage_events e
      WHERE e.tenant_id = q.tenant_id AND e.metric_type = q.metric_type AND e.occurred_at >= q.period_start AND e.occurred_at < q.period_end)
    WHERE q.tenant_id = '${tenantId}';
    ANALYZE usage_events; ANALYZE usage_daily; ANALYZE usage_quotas;`));
}

/**
 * Usage at scale (issue #5): batched ingestion through the API against a plain multi-row
 * INSERT of the same rows (baseline, same run), then status/trends/analytics latency for one
 * tenant at 100k and at 10M events, among 100 tenants.
 */
export async function usageSuite(): Promise<void> {
  const api = await startBenchApi();
  const ids = Array.from({ length: tenants }, () => randomUUID());
  // 100 Pro tenants with a subscription period like a real one (started 10 days ago).
  await api.ownerQuery(inPlatformScope(`
    SELECT ensure_usage_partitions((date_trunc('month', now()) - interval '6 months')::date, 10);
    INSERT INTO tenants (id, name, slug, plan_id)
      SELECT id::uuid, 'Bench ' || n, 'bench-' || n, (SELECT id FROM plans WHERE key = 'pro')
      FROM unnest(ARRAY['${ids.join("','")}']) WITH ORDINALITY AS t(id, n);
    INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end)
      SELECT t.id, t.plan_id, 'active', now() - interval '10 days', now() + interval '20 days'
      FROM tenants t WHERE t.slug LIKE 'bench-%';`));
  const staff = async (tenantId: string) => api.headersFor('staff@cbp.test', tenantId);
  for (const id of ids) {
    const res = await fetch(`${api.address}/usage/quotas`, { headers: await staff(id) });
    if (!res.ok) throw new Error(`quotas: HTTP ${res.status} ${await res.text()}`);
  }

  // 1. Ingestion: the API (keys, events, rollups, quota counters, alerts) vs a plain INSERT.
  if (only !== 'reads') await ingestion(api, ids, staff);
  if (only === 'ingest') return api.close();
  await reads(api, ids, staff);
  await api.close();
}

async function ingestion(api: BenchApi, ids: string[], staff: (tenantId: string) => Promise<Record<string, string>>) {
  const headers = { ...(await staff(ids[1] ?? '')), 'content-type': 'application/json' };
  const apiSeconds = await timed(
    Array.from({ length: ingestBatches }, (_, b) => async () => {
      const res = await fetch(`${api.address}/usage/events`, { method: 'POST', headers, body: JSON.stringify({ events: batchOf('api', b) }) });
      if (!res.ok) throw new Error(`ingest: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }),
  );
  const pool = new pg.Pool({ connectionString: api.appUrl, max: concurrency });
  const plainSeconds = await timed(
    Array.from({ length: ingestBatches }, (_, b) => async () => {
      const rows = batchOf('plain', b);
      const values: unknown[] = [];
      const tuples = rows.map((e, i) => {
        values.push(ids[2], e.metricType, e.quantity, e.occurredAt, e.idempotencyKey, 'user');
        const o = i * 6;
        return `($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5}, $${o + 6})`;
      });
      // In the tenant's scope, as the API writes (row-level security fails closed without one).
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [ids[2]]);
        await client.query(`INSERT INTO usage_events (tenant_id, metric_type, quantity, occurred_at, idempotency_key, source_type) VALUES ${tuples.join(', ')}`, values);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    }),
  );
  await pool.end();
  const total = ingestBatches * 1000;
  const apiRate = total / apiSeconds;
  const plainRate = total / plainSeconds;
  console.log(`PostgreSQL (embedded), ${total.toLocaleString('en-US')} events in batches of 1,000, ${concurrency} concurrent senders`);
  console.log('| ingestion | events/s | vs plain INSERT |');
  console.log('|---|---:|---:|');
  console.log(`| plain multi-row INSERT into usage_events (baseline) | ${plainRate.toFixed(0)} | 1.00x |`);
  console.log(`| POST /usage/events (HTTP, validation, dedupe, rollups, quotas, alerts) | ${apiRate.toFixed(0)} | ${(apiRate / plainRate).toFixed(2)}x |`);
}

async function reads(api: BenchApi, ids: string[], staff: (tenantId: string) => Promise<Record<string, string>>) {
  // 2. Reads for one tenant at 100k and at 10M events (the 99 others hold 10k each).
  const reader = ids[0] ?? '';
  for (const id of ids.slice(1)) await loadEvents(api, id, 10_000, `t${id.slice(0, 8)}`);
  await loadEvents(api, reader, smallEvents, 'small');
  const readHeaders = await staff(reader);
  const reads = [
    ['GET /usage/status', '/usage/status'],
    ['GET /usage/trends/api_calls (6 months)', '/usage/trends/api_calls?months=6'],
    ['GET /usage/trends/api_calls (daily)', '/usage/trends/api_calls?granularity=day'],
    ['GET /usage/analytics', '/usage/analytics'],
  ] as const;
  const health = await latencies(`${api.address}/health`, {}, { count: samples });
  const atSmall = new Map<string, Awaited<ReturnType<typeof latencies>>>();
  for (const [name, path] of reads) atSmall.set(name, await latencies(`${api.address}${path}`, readHeaders, { count: samples }));
  const loadStarted = performance.now();
  await loadEvents(api, reader, bigEvents, 'big');
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  console.log(`\nloaded ${bigEvents.toLocaleString('en-US')} more events for one tenant in ${loadSeconds.toFixed(0)} s (SQL, rollups derived)`);
  console.log(`| request | p50 ms at 100k | p95 ms at 100k | p50 ms at ${(bigEvents / 1e6).toFixed(0)}M | p95 ms at ${(bigEvents / 1e6).toFixed(0)}M | p95 ratio big/small | p95 vs baseline |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  console.log(`| GET /health (baseline) | ${health.p50.toFixed(1)} | ${health.p95.toFixed(1)} | | | | 1.0x |`);
  for (const [name, path] of reads) {
    const big = await latencies(`${api.address}${path}`, readHeaders, { count: samples });
    const small = atSmall.get(name);
    console.log(
      `| ${name} | ${small?.p50.toFixed(1)} | ${small?.p95.toFixed(1)} | ${big.p50.toFixed(1)} | ${big.p95.toFixed(1)} | ${(big.p95 / (small?.p95 ?? 1)).toFixed(2)}x | ${(big.p95 / health.p95).toFixed(1)}x |`,
    );
  }
}
