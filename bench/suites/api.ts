import autocannon from 'autocannon';
import { demoTenants } from '../../apps/control-plane/src/seed/demo.js';
import { startBenchApi } from '../support.js';

const durationSeconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = 10;

/**
 * What authentication and tenant scope cost per request, on real PostgreSQL:
 * GET /health (one SELECT 1, no auth) is the baseline measured in the same run.
 */
export async function apiSuite(): Promise<void> {
  const api = await startBenchApi();
  const headers = await api.headersFor('owner@acme.test', demoTenants[0].id);
  const cases = [
    { name: 'GET /health (baseline)', path: '/health', headers: {} },
    { name: 'GET /me', path: '/me', headers },
    { name: 'GET /tenants/current', path: '/tenants/current', headers },
    { name: 'GET /plans', path: '/plans', headers },
  ];
  const rows: { name: string; rps: number; p50: number; p97_5: number; p99: number; errors: number }[] = [];
  for (const c of cases) {
    const result = await autocannon({ url: `${api.address}${c.path}`, headers: c.headers, connections, duration: durationSeconds });
    rows.push({
      name: c.name,
      rps: result.requests.average,
      p50: result.latency.p50,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
    });
  }
  const baseline = rows[0]?.rps ?? 1;
  console.log(`PostgreSQL (embedded), ${connections} connections, ${durationSeconds}s per route, one API process`);
  console.log('| route | req/s | vs baseline | p50 ms | p97.5 ms | p99 ms | errors |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${(r.rps / baseline).toFixed(2)}x | ${r.p50} | ${r.p97_5} | ${r.p99} | ${r.errors} |`);
  }
  await api.close();
}
