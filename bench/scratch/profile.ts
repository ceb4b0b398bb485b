import pg from 'pg';
import { startBenchApi, latencies } from '../support.js';
import { demoTenants } from '../../apps/control-plane/src/seed/demo.js';

const log: string[] = [];
let on = false;
const orig = pg.Client.prototype.query as (...a: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]) {
  if (on) {
    const a = args[0] as string | { text?: string; name?: string };
    const text = typeof a === 'string' ? a : a?.text ?? '';
    log.push(text.replace(/\s+/g, ' ').slice(0, 220));
  }
  return orig.apply(this, args);
};
const routes = (process.env.ROUTES ?? '/health,/me,/tenants/current,/plans,/subscriptions/current,/payment-methods,/usage/status,/audit-logs?limit=20,/users,/invoices,/workflows,/notifications').split(',');
const api = await startBenchApi();
const headers = await api.headersFor('owner@acme.test', demoTenants[0].id);
for (const r of routes) {
  const h = r === '/health' ? {} : headers;
  await (await fetch(api.address + r, { headers: h })).arrayBuffer();
  log.length = 0; on = true;
  const res = await fetch(api.address + r, { headers: h });
  const body = await res.text();
  on = false;
  const l = await latencies(api.address + r, h, { count: 300, warmup: 30 });
  console.log(`\n## ${r}  status ${res.status} bytes ${body.length}  p50 ${l.p50.toFixed(2)} p95 ${l.p95.toFixed(2)} ms  statements ${log.length}`);
  for (const s of log) console.log('  - ' + s);
}
await api.close();
process.exit(0);
