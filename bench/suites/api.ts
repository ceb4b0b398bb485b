import { randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { importJWK, SignJWT } from 'jose';
import { buildApp } from '../../apps/control-plane/src/app.js';
import { generateSigningKeys } from '../../apps/control-plane/src/adapters/identity/builtin/keys.js';
import { loadConfig } from '../../apps/control-plane/src/config.js';
import { migrate, openDatabase } from '../../apps/control-plane/src/platform/db.js';
import { demoTenants, demoUsers, seedDemo } from '../../apps/control-plane/src/seed/demo.js';
import { startPostgres } from '../../apps/control-plane/test/postgres-server.js';

const durationSeconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = 10;

/**
 * What authentication and tenant scope cost per request, on real PostgreSQL:
 * GET /health (one SELECT 1, no auth) is the baseline measured in the same run.
 */
export async function apiSuite(): Promise<void> {
  const server = await startPostgres();
  await server.createDatabase('bench');
  const database = await openDatabase({ url: `${server.baseUrl}/bench` });
  await migrate(database);
  await seedDemo(database.db);
  const config = loadConfig({ NODE_ENV: 'production', CBP_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent' });
  const keys = await generateSigningKeys();
  const app = await buildApp({ config, db: database.db, signingKeys: keys, cookieSecret: randomBytes(32).toString('hex') });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });

  const jwk = keys.keys[0];
  if (!jwk) throw new Error('no key');
  const owner = demoUsers.find((u) => u.email === 'owner@acme.test');
  const token = await new SignJWT({ scope: 'api' })
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid ?? '' })
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setSubject(owner?.id ?? '')
    .setExpirationTime('1h')
    .setJti(randomUUID())
    .sign(await importJWK(jwk, 'RS256'));
  const headers = { authorization: `Bearer ${token}`, 'x-tenant-id': demoTenants[0].id };

  const cases = [
    { name: 'GET /health (baseline)', path: '/health', headers: {} },
    { name: 'GET /me', path: '/me', headers },
    { name: 'GET /tenants/current', path: '/tenants/current', headers },
    { name: 'GET /plans', path: '/plans', headers },
  ];
  const rows: { name: string; rps: number; p50: number; p97_5: number; p99: number; errors: number }[] = [];
  for (const c of cases) {
    const result = await autocannon({ url: `${address}${c.path}`, headers: c.headers, connections, duration: durationSeconds });
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
  await app.close();
  await database.close();
  await server.stop();
}
