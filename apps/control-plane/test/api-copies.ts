import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { generateSigningKeys, type SigningKeys } from '../src/adapters/identity/builtin/keys.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrate, openDatabase, type Database } from '../src/platform/db.js';
import { seedDemo } from '../src/seed/demo.js';
import { acme } from './harness.js';
import type { PostgresServer } from './postgres-server.js';
import { accessTokenSigner } from './tokens.js';

/**
 * Several API copies on one real PostgreSQL database (migrated by the owner, seeded with the
 * demo), each with its own pool on the plain app role and the same signing keys, as a load
 * balancer's copies would run: for tests of what must hold across copies (LISTEN/NOTIFY, the
 * auth cache bound). Background timers are off; each copy's env adds its own settings.
 */
export interface ApiCopies {
  /** Another copy with these settings (over the defaults: test mode, no timers). */
  copy(env: Record<string, string>): Promise<FastifyInstance>;
  /** Bearer and tenant headers of a demo user, for Acme unless told. */
  headers(email: string, tenantId?: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function startApiCopies(server: PostgresServer, name: string): Promise<ApiCopies> {
  await server.createDatabase(name);
  const migrator = await openDatabase({ url: `${server.ownerUrl}/${name}` });
  await migrate(migrator, { appRole: server.appRole });
  await migrator.close();
  const seeder = await openDatabase({ url: `${server.appUrl}/${name}` });
  await seedDemo(seeder.db);
  await seeder.close();
  const keys: SigningKeys = await generateSigningKeys();
  const config = loadConfig({ NODE_ENV: 'test', CBP_DATA_DIR: '/nonexistent' });
  const tokens = accessTokenSigner({ keys, issuer: config.issuer, audience: config.audience });
  const apps: FastifyInstance[] = [];
  const databases: Database[] = [];
  return {
    async copy(env) {
      const database = await openDatabase({ url: `${server.appUrl}/${name}` }, { onConnectionError: () => {} });
      databases.push(database);
      const app = await buildApp({
        config: loadConfig({ ...env, NODE_ENV: 'test', CBP_DATA_DIR: '/nonexistent', AUDIT_RETENTION_INTERVAL_MS: '0', USAGE_PERIOD_CLOSE_INTERVAL_MS: '0' }),
        db: database.db,
        signingKeys: keys,
        cookieSecret: randomBytes(32).toString('hex'),
        localEventIntervalMs: 0,
      });
      await app.ready();
      apps.push(app);
      return app;
    },
    headers: async (email, tenantId = acme.id) => ({ authorization: `Bearer ${await tokens.forEmail(email)}`, 'x-tenant-id': tenantId }),
    async close() {
      for (const app of apps.reverse()) await app.close();
      for (const database of databases) await database.close();
    },
  };
}
