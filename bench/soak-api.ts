// The API process of `npm run soak` (bench/soak.ts forks it, so the memory it reports is the
// API's alone): an embedded PostgreSQL migrated by the owner role, the demo data, one API
// listening as the plain role. Rate limits are off (RATE_LIMIT_*=0): the soak measures the
// API, not its limiter. Talks to its parent over IPC: `ready`, then `memory` on request, `stop`.
import { randomBytes, randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { buildApp } from '../apps/control-plane/src/app.js';
import { generateSigningKeys } from '../apps/control-plane/src/adapters/identity/builtin/keys.js';
import { loadConfig } from '../apps/control-plane/src/config.js';
import { migrate, openDatabase } from '../apps/control-plane/src/platform/db.js';
import { demoTenants, demoUsers, seedDemo } from '../apps/control-plane/src/seed/demo.js';
import { startPostgres } from '../apps/control-plane/test/postgres-server.js';

export type SoakMessage =
  | { type: 'ready'; address: string; headers: Record<string, string>[] }
  | { type: 'memory'; rss: number; heapUsed: number; heapTotal: number; external: number };

const send = (message: SoakMessage) => process.send?.(message);

const server = await startPostgres();
await server.createDatabase('soak');
const owner = await openDatabase({ url: `${server.ownerUrl}/soak` });
await migrate(owner, { appRole: server.appRole });
await owner.close();
const database = await openDatabase({ url: `${server.appUrl}/soak` });
await seedDemo(database.db);
const config = loadConfig({
  NODE_ENV: 'production',
  CBP_DATA_DIR: '/nonexistent',
  LOG_LEVEL: 'silent',
  AUDIT_RETENTION_INTERVAL_MS: '0',
  RATE_LIMIT_READS_PER_SECOND: '0',
  RATE_LIMIT_WRITES_PER_SECOND: '0',
  RATE_LIMIT_EVENTS_PER_SECOND: '0',
  RATE_LIMIT_ANON_PER_MINUTE: '0',
});
const keys = await generateSigningKeys();
const app = await buildApp({ config, db: database.db, signingKeys: keys, cookieSecret: randomBytes(32).toString('hex'), localEventIntervalMs: 0 });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
const jwk = keys.keys[0];
if (!jwk) throw new Error('no signing key');
const key = await importJWK(jwk, 'RS256');

/** Acme's owner, admin and analyst: several users, as a portal in use would have. */
const headers = await Promise.all(
  ['owner@acme.test', 'admin@acme.test', 'analyst@acme.test'].map(async (email) => {
    const user = demoUsers.find((u) => u.email === email);
    if (!user) throw new Error(`no demo user ${email}`);
    const token = await new SignJWT({ client_id: 'cbp-portal', scope: 'api' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid ?? '' })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime('24h')
      .setJti(randomUUID())
      .sign(key);
    return { authorization: `Bearer ${token}`, 'x-tenant-id': demoTenants[0].id };
  }),
);

process.on('message', async (message: { type: 'memory' | 'stop'; gc?: boolean }) => {
  if (message.type === 'memory') {
    if (message.gc && typeof globalThis.gc === 'function') globalThis.gc();
    const m = process.memoryUsage();
    send({ type: 'memory', rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external });
  } else {
    await app.close();
    await database.close();
    await server.stop();
    process.exit(0);
  }
});
send({ type: 'ready', address, headers });
