/**
 * `npm run fuzz`: the hostile-input property of src/platform/hostile-input.fuzz.test.ts at
 * length (FUZZ_RUNS requests in total, default 10,000, spread over every route), against a
 * fresh in-memory PGlite with the demo data, as the owner of Acme. Prints the figures and any
 * failure with its shrunk (minimal) counterexample; exits 1 if the property broke anywhere or
 * the audit chain no longer verifies. FUZZ_SEED replays a run. Rate limits are off here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { importJWK, SignJWT } from 'jose';
import { buildApp } from '../src/app.js';
import { generateSigningKeys } from '../src/adapters/identity/builtin/keys.js';
import { loadConfig } from '../src/config.js';
import { migrate, openDatabase, queryRows, withTenant } from '../src/platform/db.js';
import { demoTenants, demoUsers, seedDemo } from '../src/seed/demo.js';
import { describeRequest, fingerprintQuery, hostileProperty, knownValues, newStats, routeTable, type HostileRequest } from './hostile.js';

const totalRuns = Number(process.env.FUZZ_RUNS ?? 10_000);
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2_147_483_647;
const acme = demoTenants[0];
const started = performance.now();

const database = await openDatabase({ inMemory: true });
await migrate(database);
await seedDemo(database.db);
const config = loadConfig({
  NODE_ENV: 'test',
  CBP_DATA_DIR: '/nonexistent',
  LOG_LEVEL: 'silent',
  AUDIT_RETENTION_INTERVAL_MS: '0',
  USAGE_PERIOD_CLOSE_INTERVAL_MS: '0',
  STRIPE_WEBHOOK_SECRET: 'whsec_fuzz',
  RATE_LIMIT_READS_PER_SECOND: '0',
  RATE_LIMIT_WRITES_PER_SECOND: '0',
  RATE_LIMIT_EVENTS_PER_SECOND: '0',
  RATE_LIMIT_ANON_PER_MINUTE: '0',
});
const keys = await generateSigningKeys();
const app = await buildApp({ config, db: database.db, signingKeys: keys, cookieSecret: randomBytes(32).toString('hex'), localEventIntervalMs: 0 });
await app.ready();
const jwk = keys.keys[0];
if (!jwk) throw new Error('no signing key');
const owner = demoUsers.find((u) => u.email === 'owner@acme.test');
if (!owner) throw new Error('no demo owner');
const token = await new SignJWT({ client_id: 'cbp-portal', scope: 'api' })
  .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid ?? '' })
  .setIssuer(config.issuer)
  .setAudience(config.audience)
  .setSubject(owner.id)
  .setIssuedAt()
  .setExpirationTime('4h')
  .setJti(randomUUID())
  .sign(await importJWK(jwk, 'RS256'));
const headers = { authorization: `Bearer ${token}`, 'x-tenant-id': acme.id };

const fingerprint = async () => withTenant(database.db, acme.id, async (tx) => (await queryRows<{ f: string }>(tx, sql.raw(fingerprintQuery)))[0]?.f ?? '');
const routes = await routeTable(app);
// Routes whose accepted call could end the owner's access go first, while they are the last owner.
const first = ['POST /team/leave', 'POST /team/transfer-ownership'];
routes.sort((a, b) => Number(first.includes(b.key)) - Number(first.includes(a.key)));
const known = await knownValues(app, headers);
const stats = newStats();
const runsPerRoute = Math.ceil(totalRuns / routes.length);
const failures: { route: string; counterexample: string; error: string; shrinks: number }[] = [];

console.log(`fuzz: ${routes.length} routes x ${runsPerRoute} runs = ${routes.length * runsPerRoute} generated requests, seed ${seed}`);
for (const [i, route] of routes.entries()) {
  const details = await fc.check(hostileProperty(route, { app, headers, fingerprint, stats, options: { knownValues: known } }), { numRuns: runsPerRoute, seed: seed + i });
  if (details.failed) {
    const [request] = (details.counterexample ?? []) as [HostileRequest];
    failures.push({ route: route.key, counterexample: request ? describeRequest(request) : '?', error: String(details.errorInstance ?? '').slice(0, 500), shrinks: details.numShrinks });
  }
  process.stdout.write(`\r  ${i + 1}/${routes.length} routes, ${stats.requests} requests, ${failures.length} failing`);
}
process.stdout.write('\n');

const verify = await app.inject({ url: '/audit-logs/verify', headers });
const chain = verify.json() as { valid: boolean; checked: number };
const seconds = (performance.now() - started) / 1000;
await app.close();
await database.close();

const byStatus = [...stats.byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
const accepted = [...stats.accepted.entries()].sort(([, a], [, b]) => b - a).map(([r, n]) => `${r} (${n})`).join(', ');
console.log(`requests:  ${stats.requests} (including shrinking), ${(stats.requests / seconds).toFixed(0)}/s`);
console.log(`by status: ${byStatus}`);
console.log(`5xx:       ${[...stats.byStatus.entries()].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0)}`);
console.log(`accepted mutations: ${accepted || 'none'}`);
console.log(`audit chain: ${chain.valid ? 'verifies' : 'BROKEN'} (${chain.checked} entries)`);
console.log(`duration:  ${seconds.toFixed(1)} s`);
console.log(`failures:  ${failures.length}${failures.length ? ` (replay with FUZZ_SEED=${seed})` : ''}`);
for (const f of failures) console.log(`  ${f.route}\n    minimal counterexample (${f.shrinks} shrinks): ${f.counterexample}\n    ${f.error.split('\n')[0]}`);
process.exit(failures.length === 0 && chain.valid && stats.requests >= totalRuns ? 0 : 1);
