import { createRequire } from 'node:module';
import path from 'node:path';
import { buildApp } from './app.js';
import { loadSigningKeys } from './adapters/identity/builtin/keys.js';
import { loadConfig } from './config.js';
import { migrate, openDatabase } from './platform/db.js';
import { persistentSecret } from './platform/secrets.js';
import { demoPassword, demoUsers, seedDemo, seedPlanCatalog } from './seed/demo.js';

function canResolve(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

// boot: config -> database -> migrations -> app (adapters) -> seed -> listen
const config = loadConfig();
// Lost connections are logged through the app's logger once it exists; they never end the process.
let logConnectionError: (err: Error) => void = (err) => process.stderr.write(`[db] connection error: ${err.message}\n`);
let lastConnectionError = 0;
const database = await openDatabase(
  config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: path.join(config.CBP_DATA_DIR, 'pglite') },
  {
    poolSize: config.DATABASE_POOL_SIZE,
    readPoolSize: config.DATABASE_READ_POOL_SIZE,
    onConnectionError: (err) => {
      if (Date.now() - lastConnectionError < 1_000) return;
      lastConnectionError = Date.now();
      logConnectionError(err);
    },
  },
);
if (config.DATABASE_URL && config.DATABASE_MIGRATION_URL) {
  // Migrate as the owner role, then grant the API's role what it may do (audit: insert-only).
  const owner = await openDatabase({ url: config.DATABASE_MIGRATION_URL });
  await migrate(owner, { appRole: decodeURIComponent(new URL(config.DATABASE_URL).username) });
  await owner.close();
} else {
  await migrate(database);
}

const app = await buildApp({
  config,
  db: database.db,
  signingKeys: config.embeddedIdentity ? await loadSigningKeys(config.CBP_DATA_DIR, config.OIDC_SIGNING_JWKS) : undefined,
  cookieSecret: config.embeddedIdentity
    ? await persistentSecret(config.CBP_DATA_DIR, 'oidc-cookie', config.OIDC_COOKIE_SECRET)
    : undefined,
  unsubscribeSecret: await persistentSecret(config.CBP_DATA_DIR, 'notification-unsubscribe', config.NOTIFICATION_TOKEN_SECRET),
  logger: {
    level: config.LOG_LEVEL,
    // Readable logs in development (pino-pretty is a dev dependency); JSON lines otherwise.
    ...(config.NODE_ENV === 'development' && canResolve('pino-pretty')
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } }
      : {}),
  },
});

logConnectionError = (err) => app.log.warn({ err }, 'database connection lost; requests answer 503 until it is back');

// Demo billing goes through the configured gateway, so its customers exist where payments happen.
const seeded = config.demo
  ? await seedDemo(database.db, app.payments.gateway, { portalUrl: config.portalOrigins[0] })
  : (await seedPlanCatalog(database.db), false);

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, 'shutting down: finishing in-flight requests');
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  try {
    await app.close();
    await database.close();
    process.exit(0);
  } catch (err) {
    app.log.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.HOST, port: config.PORT });

const db = config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${path.join(config.CBP_DATA_DIR, 'pglite')}`;
const lines = [
  '',
  `  CBP control plane  ${config.PUBLIC_URL}   (OpenAPI: ${config.PUBLIC_URL}/docs)`,
  `  Customer portal    ${config.portalOrigins[0] ?? ''}`,
  `  Database           ${db}${seeded ? ' (demo data seeded)' : ''}`,
  `  Identity           ${config.embeddedIdentity ? `built-in provider at ${config.issuer}` : config.issuer}`,
];
if (config.demo && config.embeddedIdentity) {
  lines.push(`  Demo logins (password ${demoPassword}):`);
  for (const u of demoUsers) lines.push(`    ${u.email.padEnd(22)} ${u.platformRole ?? `${u.role} @ ${u.tenant}`}`);
}
process.stdout.write(`${lines.join('\n')}\n\n`);
