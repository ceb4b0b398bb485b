import { inPlatformScope } from '../../apps/control-plane/src/platform/db.js';
import { demoTenants, demoUsers } from '../../apps/control-plane/src/seed/demo.js';
import { latencies, startBenchApi } from '../support.js';

const clients = Number(process.env.BENCH_SSE_CLIENTS ?? 1_000);
const rounds = Number(process.env.BENCH_SSE_ROUNDS ?? 5);
const rows = Number(process.env.BENCH_NOTIFICATION_ROWS ?? 1_000_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 200);
const acme = demoTenants[0].id;
const owner = demoUsers.find((u) => u.email === 'owner@acme.test')?.id ?? '';

/** The bench users' ids: admins of Acme, one stream each. */
const userId = (i: number) => `00000000-0000-4000-8000-${(0xbe0000000000 + i).toString(16)}`;

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

interface Client {
  /** Resolves with the receipt time (performance.now()) of the next notification whose body has `marker`. */
  next(marker: string): Promise<number>;
  close(): void;
}

async function openClient(url: string, headers: Record<string, string>): Promise<Client> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream: HTTP ${res.status}`);
  const waiting = new Map<string, (at: number) => void>();
  const seen = new Map<string, number>();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const at = performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const marker = /bench-key-\d+-\d+/.exec(block)?.[0];
          if (!marker) continue;
          const resolve = waiting.get(marker);
          if (resolve) resolve(at);
          else seen.set(marker, at);
        }
      }
    } catch {
      // closed
    }
  })();
  return {
    next(marker) {
      const already = seen.get(marker);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve) => waiting.set(marker, resolve));
    },
    close: () => abort.abort(),
  };
}

/**
 * The live notification path at scale (issue 14): `clients` SSE clients (each an admin of Acme,
 * one stream each) on one API process on a real PostgreSQL; the owner creates an API key, whose
 * `api_key.created` notification goes to every admin. Latency: from the answer to the owner's
 * POST (the change committed) to each stream's receipt, which includes the fan-out (one row and
 * one NOTIFY per recipient) and the batched reads. The clients run in the API's own process (a
 * 2-core machine), so the numbers are pessimistic. Then GET /notifications first page with
 * `rows` notifications in the table.
 */
export async function notificationsSuite(): Promise<void> {
  const api = await startBenchApi();
  await api.ownerQuery(
    inPlatformScope(`
    INSERT INTO users (id, email, name)
      SELECT ('00000000-0000-4000-8000-' || to_hex(${0xbe0000000000} + g))::uuid, 'bench-admin-' || g || '@acme.test', 'Bench Admin ' || g
      FROM generate_series(0, ${clients - 1}) AS g;
    INSERT INTO tenant_memberships (tenant_id, user_id, role)
      SELECT '${acme}', ('00000000-0000-4000-8000-' || to_hex(${0xbe0000000000} + g))::uuid, 'admin' FROM generate_series(0, ${clients - 1}) AS g;`),
  );
  const url = `${api.address}/notifications/stream`;
  const opened: Client[] = [];
  const openStarted = performance.now();
  for (let from = 0; from < clients; from += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, clients - from) }, async (_, k) => openClient(url, await api.headersForUserId(userId(from + k), acme))),
    );
    opened.push(...batch);
  }
  console.log(`  ${clients} streams open in ${((performance.now() - openStarted) / 1000).toFixed(1)} s`);

  const ownerHeaders = await api.headersForUserId(owner, acme);
  const all: number[] = [];
  const perRound: string[] = [];
  for (let round = 0; round < rounds + 1; round++) {
    const marker = `bench-key-${round}-${Date.now()}`;
    const res = await fetch(`${api.address}/api-keys`, { method: 'POST', headers: { ...ownerHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ name: marker }) });
    if (res.status !== 201) throw new Error(`POST /api-keys: HTTP ${res.status} ${await res.text()}`);
    const committed = performance.now();
    const received = await Promise.all(opened.map((c) => c.next(marker)));
    const lat = received.map((at) => at - committed).sort((a, b) => a - b);
    if (round === 0) continue; // warm-up
    all.push(...lat);
    perRound.push(`${percentile(lat, 0.99).toFixed(0)}`);
  }
  all.sort((a, b) => a - b);
  console.log(`\nPostgreSQL (embedded), one API process, ${clients} SSE clients (Acme admins), ${rounds} notifications to all of them`);
  console.log('| commit -> receipt | p50 ms | p95 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| api_key.created to ${clients} admins | ${percentile(all, 0.5).toFixed(0)} | ${percentile(all, 0.95).toFixed(0)} | ${percentile(all, 0.99).toFixed(0)} | ${(all[all.length - 1] ?? 0).toFixed(0)} |`);
  console.log(`  p99 per round: ${perRound.join(', ')} ms`);
  for (const c of opened) c.close();

  // GET /notifications with `rows` in the table: a tenth for admin@acme.test, the rest over the bench admins.
  const demoAdmin = demoUsers.find((u) => u.email === 'admin@acme.test')?.id ?? '';
  const own = Math.floor(rows / 10);
  const seeded = performance.now();
  await api.ownerQuery(
    inPlatformScope(`
    INSERT INTO notifications (tenant_id, user_id, event_id, type, severity, title, body, link, in_app, emailed, read_at, created_at)
    SELECT '${acme}',
           CASE WHEN g <= ${own} THEN '${demoAdmin}'::uuid ELSE ('00000000-0000-4000-8000-' || to_hex(${0xbe0000000000} + g % ${clients}))::uuid END,
           gen_random_uuid(), 'invoice.issued', 'info', 'New invoice', 'Invoice INV-' || g || ' was issued.', '/billing/invoices', true, false,
           CASE WHEN g % 3 = 0 THEN NULL ELSE now() END, now() - (g * interval '1 minute')
    FROM generate_series(1, ${rows}) AS g;`),
  );
  await api.ownerQuery('VACUUM ANALYZE notifications');
  console.log(`\n  seeded ${rows.toLocaleString('en-US')} notifications in ${((performance.now() - seeded) / 1000).toFixed(0)} s`);
  console.log(`\nGET /notifications first page (limit 20), ${rows.toLocaleString('en-US')} rows in the table, ${samples} sequential requests`);
  console.log('| user | their rows | p50 ms | p95 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  const health = await latencies(`${api.address}/health`, {}, { count: samples });
  console.log(`| GET /health (baseline) | - | ${health.p50.toFixed(1)} | ${health.p95.toFixed(1)} | ${health.max.toFixed(1)} |`);
  const heavy = await latencies(`${api.address}/notifications?limit=20`, await api.headersFor('admin@acme.test', acme), { count: samples });
  console.log(`| admin@acme.test | ${own.toLocaleString('en-US')} | ${heavy.p50.toFixed(1)} | ${heavy.p95.toFixed(1)} | ${heavy.max.toFixed(1)} |`);
  const light = await latencies(`${api.address}/notifications?limit=20`, await api.headersForUserId(userId(7), acme), { count: samples });
  console.log(`| a bench admin | ~${Math.round((rows - own) / clients).toLocaleString('en-US')} | ${light.p50.toFixed(1)} | ${light.p95.toFixed(1)} | ${light.max.toFixed(1)} |`);
  const unread = await latencies(`${api.address}/notifications?limit=20&read=false`, await api.headersFor('admin@acme.test', acme), { count: samples });
  console.log(`| admin@acme.test, unread only | ${Math.round(own / 3).toLocaleString('en-US')} | ${unread.p50.toFixed(1)} | ${unread.p95.toFixed(1)} | ${unread.max.toFixed(1)} |`);
  await api.close();
}
