import autocannon from 'autocannon';
import { startBenchApi } from '../support.js';
import { demoTenants } from '../../apps/control-plane/src/seed/demo.js';
const routes = (process.env.ROUTES ?? '/notifications').split(',');
const api = await startBenchApi();
const headers = await api.headersFor('owner@acme.test', demoTenants[0].id);
for (const r of routes) {
  const h = r === '/health' ? {} : headers;
  await autocannon({ url: api.address + r, headers: h, connections: 10, duration: 1 });
  const res = await autocannon({ url: api.address + r, headers: h, connections: 10, duration: Number(process.env.SECS ?? 5) });
  console.log(r, Math.round(res.requests.average), 'req/s p50', res.latency.p50, 'p99', res.latency.p99);
}
await api.close();
process.exit(0);
