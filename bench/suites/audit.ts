import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { inPlatformScope, queryRows } from '../../apps/control-plane/src/platform/db.js';
import { demoTenants } from '../../apps/control-plane/src/seed/demo.js';
import { latencies, startBenchApi } from '../support.js';

const entries = Number(process.env.BENCH_AUDIT_ENTRIES ?? 1_000_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 200);
const acme = demoTenants[0].id;

/**
 * The audit viewer at scale: one tenant with 1M entries (written through the chain and
 * word-index triggers, as the API writes them), 40 actors, 5,000 targets, a year of history.
 * Measures the first page and the count of each single filter, and a full CSV export
 * (rows/s, memory). Baseline: GET /health in the same run.
 */
export async function auditSuite(): Promise<void> {
  const api = await startBenchApi();
  const started = performance.now();
  const batch = 100_000;
  for (let from = 1; from <= entries; from += batch) {
    const to = Math.min(entries, from + batch - 1);
    await api.database.execScript(inPlatformScope(`
      INSERT INTO audit_logs (tenant_id, actor_type, actor_id, actor_email, action, target_type, target_id, target_name, after, metadata, ip_address, user_agent, created_at)
      SELECT '${acme}', 'user', overlay(overlay(md5('actor' || (g % 40)) placing '4' from 13) placing '8' from 17)::uuid, 'user' || (g % 40) || '@acme.test',
             (ARRAY['member.role_changed','payment_method.added','subscription.plan_changed','organization.updated','quota.reset',
                    'member.invited','member.removed','workflow.cancelled','domain.verified','invoice.paid'])[1 + g % 10],
             (ARRAY['user','payment_method','subscription','organization','quota','invitation'])[1 + g % 6],
             'obj-' || (g % 5000), 'Object ' || (g % 5000), jsonb_build_object('n', g), '{}', '10.0.0.' || (g % 250), 'bench',
             now() - ((${entries} - g) * interval '30 seconds')
      FROM generate_series(${from}, ${to}) AS g`));
    process.stdout.write(`\r  seeded ${to.toLocaleString('en-US')} entries`);
  }
  const seedSeconds = (performance.now() - started) / 1000;
  console.log(`\r  seeded ${entries.toLocaleString('en-US')} entries in ${seedSeconds.toFixed(0)} s (${(entries / seedSeconds).toFixed(0)}/s through the chain and word-index triggers)`);
  // The word index (migration 0016) is written by the same statements; autovacuum would get
  // to its tables too, so they are vacuumed like the trail itself.
  await api.ownerQuery('VACUUM ANALYZE audit_logs, audit_search.audit_log_words, audit_search.audit_log_vocabulary');
  const sizes = await queryRows<{ name: string; mb: number }>(
    api.database.db,
    sql`SELECT c.relname AS name, round(pg_total_relation_size(c.oid) / 1e6)::int AS mb FROM pg_class c
        WHERE c.oid = 'audit_logs'::regclass OR (c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'audit_search') AND c.relkind = 'r')
        ORDER BY 2 DESC`,
  );
  console.log(`  on disk (table + indexes): ${sizes.map((r) => `${r.name} ${r.mb} MB`).join(', ')}`);

  const headers = await api.headersFor('admin@acme.test', acme);
  const weekAgo = new Date(Date.now() - 37 * 86_400_000).toISOString();
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const filters: [string, string][] = [
    ['none', ''],
    ['action', 'action=member.role_changed'],
    ['actor', `actorId=${actorId(7)}`],
    ['target', 'targetType=user&targetId=obj-42'],
    ['date range (one week)', `from=${encodeURIComponent(weekAgo)}&to=${encodeURIComponent(monthAgo)}`],
    ['text, common (one actor in 40)', 'q=user7%40'],
    ['text, rare (one target in 5,000)', 'q=Object%204242'],
  ];
  const health = await latencies(`${api.address}/health`, {}, { count: samples });
  console.log(`\nPostgreSQL (embedded), ${entries.toLocaleString('en-US')} entries for one tenant, ${samples} sequential requests per row`);
  console.log('| request | p50 ms | p95 ms | max ms | p95 vs baseline |');
  console.log('|---|---:|---:|---:|---:|');
  const row = (name: string, r: { p50: number; p95: number; max: number }) =>
    console.log(`| ${name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.max.toFixed(1)} | ${(r.p95 / health.p95).toFixed(1)}x |`);
  row('GET /health (baseline)', health);
  for (const [name, query] of filters) row(`first page, filter: ${name}`, await latencies(`${api.address}/audit-logs?limit=20&${query}`, headers, { count: samples }));
  for (const [name, query] of filters) row(`/count, filter: ${name}`, await latencies(`${api.address}/audit-logs/count?${query}`, headers, { count: samples }));

  // Export everything as CSV, reading the stream as a client would; memory sampled meanwhile.
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 50);
  const exportStarted = performance.now();
  const res = await fetch(`${api.address}/audit-logs/export?format=csv`, { headers });
  if (!res.ok || !res.body) throw new Error(`export: HTTP ${res.status}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) lines++;
  }
  const exportSeconds = (performance.now() - exportStarted) / 1000;
  clearInterval(sampler);
  const rows = lines - 1;
  console.log('\n| export | rows | MB | seconds | rows/s | RSS before MB | RSS peak MB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| CSV, no filter | ${rows.toLocaleString('en-US')} | ${(bytes / 1e6).toFixed(0)} | ${exportSeconds.toFixed(1)} | ${(rows / exportSeconds).toFixed(0)} | ${(rssBefore / 1e6).toFixed(0)} | ${(rssPeak / 1e6).toFixed(0)} |`,
  );

  // Write cost of the word index for entries written one at a time, as requests write them
  // (each its own transaction, new words every time: a uuid target id), with its trigger and
  // without (switched off by the owner for the measurement, on another tenant, at the end).
  const other = demoTenants[1].id;
  const perEntry = async (indexed: boolean) => {
    await api.ownerQuery(`ALTER TABLE audit_logs ${indexed ? 'ENABLE' : 'DISABLE'} TRIGGER audit_search_added`);
    const n = 500;
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      await api.database.execScript(inPlatformScope(`INSERT INTO audit_logs (tenant_id, actor_type, actor_id, actor_email, action, target_type, target_id, target_name, metadata)
        VALUES ('${other}', 'user', '${randomUUID()}', 'person${i % 30}@globex.test', 'member.role_changed', 'user', '${randomUUID()}', 'Person ${i}', '{}')`));
    }
    return (performance.now() - started) / n;
  };
  const rounds: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (let round = 0; round < 3; round++) {
    rounds.off.push(await perEntry(false));
    rounds.on.push(await perEntry(true));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  console.log('\n| single-entry transactions (INSERT through the API role) | ms per entry |');
  console.log('|---|---:|');
  console.log(`| without the word index trigger | ${median(rounds.off).toFixed(2)} |`);
  console.log(`| with the word index trigger | ${median(rounds.on).toFixed(2)} |`);
  await api.close();
}

/** The uuid the seed gives actor n: md5('actor' || n) with the version 4 / variant bits set. */
function actorId(n: number): string {
  const md5 = createHash('md5').update(`actor${n}`).digest('hex');
  const hex = `${md5.slice(0, 12)}4${md5.slice(13, 16)}8${md5.slice(17)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
