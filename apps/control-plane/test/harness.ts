import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../src/app.js';
import type { WorkflowDefinition } from '../src/adapters/workflows/port.js';
import { generateSigningKeys, type SigningKeys } from '../src/adapters/identity/builtin/keys.js';
import { loadConfig, type Config } from '../src/config.js';
import { inPlatformScope, migrate, openDatabase, type Database } from '../src/platform/db.js';
import { demoTenants, seedDemo } from '../src/seed/demo.js';
import { accessTokenSigner } from './tokens.js';

export const acme = demoTenants[0];
export const globex = demoTenants[1];

export interface TestContext {
  app: FastifyInstance;
  /** The API's own connection (on PostgreSQL: the plain role, audit trail insert-only). */
  database: Database;
  /**
   * Runs SQL as the role that owns the schema (fixtures, or tampering as a database owner
   * could); on PGlite the same superuser connection.
   */
  ownerScript(script: string): Promise<void>;
  config: Config;
  keys: SigningKeys;
  /** An access token exactly like the built-in issuer's, for a demo user's email. */
  tokenFor(email: string, options?: { expiresIn?: string | number; amr?: string[] }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The migrated and seeded PGlite of this worker, as a tarball: each test gets an in-memory copy,
 * which opens in about a third of the time of a new database (no initdb, migrations or seed).
 */
let pgliteTemplate: Promise<Blob> | undefined;
async function buildPgliteTemplate(): Promise<Blob> {
  const database = await openDatabase({ inMemory: true });
  try {
    await migrate(database);
    await seedDemo(database.db);
    if (!database.snapshot) throw new Error('PGlite databases take snapshots');
    return await database.snapshot();
  } finally {
    await database.close();
  }
}

/** The database of one test file: a copy of the seeded PGlite template, or a clone of the PostgreSQL template. */
async function freshDatabase(): Promise<{ database: Database; ownerScript: (script: string) => Promise<void>; drop: () => Promise<void> }> {
  const server = inject('postgres');
  if (!server) {
    pgliteTemplate ??= buildPgliteTemplate();
    const database = await openDatabase({ inMemory: true, from: await pgliteTemplate });
    return { database, ownerScript: (script) => database.execScript(script), drop: async () => {} };
  }
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${server.ownerUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE cbp_template`);
  await admin.end();
  const database = await openDatabase({ url: `${server.appUrl}/${name}` });
  return {
    database,
    async ownerScript(script) {
      const c = new pg.Client({ connectionString: `${server.ownerUrl}/${name}` });
      await c.connect();
      try {
        await c.query(script);
      } finally {
        await c.end();
      }
    },
    drop: async () => {
      const c = new pg.Client({ connectionString: `${server.ownerUrl}/postgres` });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestContextOptions {
  /** Workflow definitions the app's engine runs (its polling is off unless WORKFLOW_POLL_INTERVAL_MS is given). */
  workflows?: readonly WorkflowDefinition[];
}

export async function createTestContext(env: Record<string, string> = {}, options: TestContextOptions = {}): Promise<TestContext> {
  const { database, ownerScript, drop } = await freshDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    CBP_DATA_DIR: '/nonexistent',
    AUDIT_RETENTION_INTERVAL_MS: '0',
    USAGE_PERIOD_CLOSE_INTERVAL_MS: '0',
    NOTIFICATION_DIGEST_INTERVAL_MS: '0',
    // Suites that run workflows set a poll interval; the others' engines never poll.
    WORKFLOW_POLL_INTERVAL_MS: '0',
    // Suites fire requests as fast as they can: limits stay on (same code path) but out of reach;
    // platform/rate-limit.test.ts sets low ones.
    RATE_LIMIT_READS_PER_SECOND: '100000',
    RATE_LIMIT_WRITES_PER_SECOND: '100000',
    RATE_LIMIT_EVENTS_PER_SECOND: '100000000',
    RATE_LIMIT_ANON_PER_MINUTE: '1000000',
    ...env,
  });
  const keys = await generateSigningKeys();
  const app = await buildApp({
    config,
    db: database.db,
    signingKeys: keys,
    cookieSecret: randomBytes(32).toString('hex'),
    localEventIntervalMs: 0,
    workflows: options.workflows,
  });
  await app.ready();
  const tokens = accessTokenSigner({ keys, issuer: config.issuer, audience: config.audience });
  return {
    app,
    // Fixture scripts span tenants: they run in the platform scope, as the API's role or the
    // owner (row-level security fails closed without a scope, migration 0019).
    database: { ...database, execScript: (script) => database.execScript(inPlatformScope(script)) },
    ownerScript: (script) => ownerScript(inPlatformScope(script)),
    config,
    keys,
    tokenFor: (email, { expiresIn = '1h', amr } = {}) => tokens.forEmail(email, { expiresAt: expiresIn, amr }),
    async close() {
      await app.close();
      await database.close();
      await drop();
    },
  };
}
