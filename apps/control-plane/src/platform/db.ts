import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql, type ExtractTablesWithRelations, type SQL } from 'drizzle-orm';
import { PgTransaction, type PgDatabase, type PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg, NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { schema, type Schema } from './schema.js';

export type AppDb = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the database or an open transaction: repos accept both. */
export type Queryable = AppDb | Tx;

export interface Database {
  kind: 'pglite' | 'postgres';
  db: AppDb;
  /** Runs a script of several statements (migrations, test fixtures). */
  execScript(script: string): Promise<void>;
  /** PGlite only: the whole database as a tarball, to open copies of it (`{ inMemory, from }`). */
  snapshot?(): Promise<Blob>;
  close(): Promise<void>;
}

// From src/platform/db.ts (tsx, tests) or from the compiled bundle dist/main.js (production).
const moduleDir = path.dirname(fileURLToPath(import.meta.url));
const migrationsDir = path.resolve(moduleDir, path.basename(moduleDir) === 'dist' ? '../migrations' : '../../migrations');

/** `from`: an in-memory copy of a `snapshot()` (tests start each file's database this way). */
export type DatabaseTarget = { url: string } | { dataDir: string } | { inMemory: true; from?: Blob };

/** The extensions the migrations use where available (trigram search of the audit trail). */
const pgliteExtensions = { pg_trgm, btree_gin };

/** How long a request waits for a connection before it answers 503 (the server may be gone). */
const connectTimeoutMs = 3_000;

export interface OpenOptions {
  /** Where connection errors are reported (they never crash the process). Default: stderr, once per burst. */
  onConnectionError?: (err: Error) => void;
  /** PostgreSQL: connections of the main pool (writes, transactions, authentication); default 10. */
  poolSize?: number;
  /** PostgreSQL: connections of the read pool (readTenant); default 10. */
  readPoolSize?: number;
}

function defaultConnectionErrorReporter(): (err: Error) => void {
  let last = 0;
  return (err) => {
    // A lost server ends every pooled connection at once: one line per second is enough.
    if (Date.now() - last < 1_000) return;
    last = Date.now();
    process.stderr.write(`[db] connection error: ${err.message}\n`);
  };
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  if ('url' in target) {
    const onError = options.onConnectionError ?? defaultConnectionErrorReporter();
    // pg emits `error` on the pool for idle connections and on a checked-out client whose
    // server went away between queries; without listeners either one crashes the process.
    // The broken client is dropped from the pool and the next checkout connects anew.
    const newPool = (extra: pg.PoolConfig = {}) => {
      const created = new pg.Pool({ connectionString: target.url, max: options.poolSize ?? 10, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true, ...extra });
      created.on('error', onError);
      created.on('connect', (client) => client.on('error', onError));
      return created;
    };
    const pool = newPool();
    // Tenant reads (readTenant) have their own connections: read-only for their whole session,
    // and never handed to any other code, so the tenant scope they keep between requests cannot
    // reach a query that expects none.
    const readPool = newPool({ max: options.readPoolSize ?? 10, options: '-c default_transaction_read_only=on' });
    const db = drizzlePg({ client: pool, schema }) as unknown as AppDb;
    drivers.set(db, postgresDriver(db, pool, readPool));
    return {
      kind: 'postgres',
      db,
      execScript: async (script) => {
        await pool.query(script);
      },
      close: async () => {
        await Promise.all([pool.end(), readPool.end()]);
      },
    };
  }
  let client: PGlite;
  if ('inMemory' in target) {
    client = await PGlite.create({ extensions: pgliteExtensions, ...(target.from ? { loadDataDir: target.from } : {}) });
  } else {
    await mkdir(target.dataDir, { recursive: true });
    client = await PGlite.create(target.dataDir, { extensions: pgliteExtensions });
  }
  const db = drizzlePglite({ client, schema }) as unknown as AppDb;
  const pglite = client;
  drivers.set(db, {
    dialect: internalsOf(db).dialect,
    async rows(_name, query) {
      const { sql: text, params } = internalsOf(db).dialect.sqlToQuery(query);
      return (await pglite.query<Record<string, unknown>>(text, params)).rows;
    },
  });
  return {
    kind: 'pglite',
    db,
    execScript: async (script) => {
      await client.exec(script);
    },
    snapshot: () => client.dumpDataDir('none'),
    close: () => client.close(),
  };
}

/**
 * Privileges of the API's own role when migrations run as a separate owner role
 * (`DATABASE_MIGRATION_URL`): data access on every table, but the audit trail is
 * insert-only and its retention anchors, like the migration ledger, are read-only.
 */
export function appRoleGrants(role: string): string {
  const r = `"${role.replaceAll('"', '""')}"`;
  return [
    `GRANT USAGE ON SCHEMA public TO ${r}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`,
    `REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs FROM ${r}`,
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log_anchors, schema_migrations FROM ${r}`,
    // Read versions are written by their triggers only (migration 0042).
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON tenant_read_versions FROM ${r}`,
    // Tenants are never deleted by the API (a later workflow archives the trail first).
    `REVOKE DELETE, TRUNCATE ON tenants FROM ${r}`,
  ].join(';\n');
}

/**
 * Applies the forward-only SQL migrations in `migrations/` that have not run yet, each in its
 * own transaction, under an advisory lock so several API copies can start at once.
 * With `appRole` (the API connects as another role than the one migrating), grants that role
 * its privileges afterwards, on every run, so new tables are covered.
 */
export async function migrate(database: Database, { appRole }: { appRole?: string } = {}): Promise<string[]> {
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).sort();
  // Checked first: a role without CREATE on the schema can still run migrate() when nothing is pending.
  const [ledger] = await queryRows<{ t: string | null }>(database.db, sql`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!ledger?.t) {
    await database.execScript(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
  }
  const applied: string[] = [];
  for (const file of files) {
    const script = await readFile(path.join(migrationsDir, file), 'utf8');
    const quoted = file.replaceAll("'", "''");
    const ran = await database.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(727271)`);
      const done = await queryRows(tx, sql`SELECT 1 FROM schema_migrations WHERE name = ${file}`);
      return done.length > 0;
    });
    if (ran) continue;
    await database.execScript(
      `BEGIN;\nSELECT pg_advisory_xact_lock(727271);\nSELECT set_config('app.scope', 'platform', true);\n` +
        `DO $$ BEGIN IF EXISTS (SELECT 1 FROM schema_migrations WHERE name = '${quoted}') THEN RAISE EXCEPTION 'migration ${quoted} already applied'; END IF; END $$;\n` +
        `${script}\nINSERT INTO schema_migrations (name) VALUES ('${quoted}');\nCOMMIT;`,
    );
    applied.push(file);
  }
  if (appRole) await database.execScript(`BEGIN;\n${appRoleGrants(appRole)};\nCOMMIT;`);
  return applied;
}

/**
 * Runs `fn` in one transaction scoped to a tenant: `app.tenant_id` is set for the row-level
 * security policies, so a query that forgets its tenant filter still sees only this tenant.
 */
export function withTenant<T>(db: AppDb, tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
  const tenantTransaction = drivers.get(db)?.tenantTransaction;
  // A tenant id that is not a UUID cannot be written as a literal: the parameterised path
  // (whose policies then refuse it as before).
  if (tenantTransaction && uuidPattern.test(tenantId)) return tenantTransaction(tenantId, fn);
  return db.transaction(async (tx) => fn(await scopeToTenant(tx, tenantId)));
}

/**
 * Runs `fn`, which only reads, scoped to a tenant like withTenant() but without a transaction
 * on PostgreSQL (issue 18): on a connection of the read pool whose session is read-only and
 * already scoped to this tenant, the route's statements are its only round trips (no BEGIN,
 * scope or COMMIT); a connection last used for another tenant is re-scoped first, in one round
 * trip. Each statement still sees committed data as of its start, as in a READ COMMITTED
 * transaction. A write fails (read-only session); so does a nested transaction (no block to
 * nest in). On PGlite, and for an id that is not a UUID, it is withTenant().
 */
export function readTenant<T>(db: AppDb, tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
  const tenantRead = drivers.get(db)?.tenantRead;
  if (tenantRead && uuidPattern.test(tenantId)) return tenantRead(tenantId, fn);
  return withTenant(db, tenantId, fn);
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What withTenant() and preparedRows() need beyond Drizzle's public API, per opened database. */
interface Driver {
  dialect: PgDialect;
  /** Rows of one statement; on PostgreSQL a named (per-connection prepared) statement. */
  rows(name: string, query: SQL): Promise<Record<string, unknown>[]>;
  tenantTransaction?: <T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>) => Promise<T>;
  tenantRead?: <T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>) => Promise<T>;
  /** PostgreSQL: where prepared statements are built once (their client: the current read's). */
  statementDb?: Tx;
}

/** The read in progress (readTenant on PostgreSQL): its transaction object and connection. */
interface ReadContext {
  driver: Driver;
  tx: TenantTx;
  client: pg.PoolClient;
}
const readContext = new AsyncLocalStorage<ReadContext>();

/**
 * preparedQuery() for a query whose shape varies (which filters a list was asked with): one
 * prepared query per shape, made on first use and named `prefix_` + the shape's values.
 */
export function preparedQueries<S extends Record<string, boolean | string>, P extends Record<string, unknown>, R>(
  prefix: string,
  build: (shape: S, q: Queryable) => { prepare(name: string): Prepared<P, R> },
): (shape: S) => (tx: ScopedTx | AppDb, values: P) => Promise<R> {
  const byName = new Map<string, (tx: ScopedTx | AppDb, values: P) => Promise<R>>();
  return (shape) => {
    const parts = Object.keys(shape)
      .sort()
      .map((key) => {
        const value = shape[key];
        return typeof value === 'boolean' ? String(Number(value)) : value;
      });
    const name = `${prefix}_${parts.join('')}`;
    let query = byName.get(name);
    if (!query) {
      query = preparedQuery(name, (q) => build(shape, q));
      byName.set(name, query);
    }
    return query;
  };
}

/** A statement built once, executed with these placeholder values. */
interface Prepared<P, R> {
  execute(values?: P): Promise<R>;
}

/**
 * A query that Drizzle builds once per database instead of on every call (issue 18: building a
 * select is a third of a simple read's CPU). `build` makes it with `sql.placeholder(...)` for
 * every value; the result runs it in `tx` with `values`. In a readTenant() read on PostgreSQL it
 * is built once and runs as a named statement on the read's connection; anywhere else (PGlite,
 * withTenant, platform scope) it is built for `tx` each time, with the same result.
 * `name` must be unique per query (it names the prepared statement). Given the database itself
 * (queries of no tenant, e.g. the plan catalog), it is built once per database, on its pool.
 */
export function preparedQuery<P extends Record<string, unknown>, R>(
  name: string,
  build: (q: Queryable) => { prepare(name: string): Prepared<P, R> },
): (tx: ScopedTx | AppDb, values: P) => Promise<R> {
  const built = new WeakMap<object, Prepared<P, R>>();
  const once = (key: object, q: Queryable) => {
    let statement = built.get(key);
    if (!statement) {
      statement = build(q).prepare(name);
      built.set(key, statement);
    }
    return statement;
  };
  return (tx, values) => {
    const read = readContext.getStore();
    if (read && read.tx === tx && read.driver.statementDb) return once(read.driver, read.driver.statementDb).execute(values);
    if (!(tx instanceof PgTransaction)) return once(tx, tx).execute(values);
    return build(tx).prepare(name).execute(values);
  };
}
const drivers = new WeakMap<AppDb, Driver>();

/** Drizzle's own parts of a database object (runtime fields that its typings mark internal). */
interface DrizzleInternals {
  dialect: PgDialect;
  session: { schema: ConstructorParameters<typeof NodePgSession>[2]; options: ConstructorParameters<typeof NodePgSession>[3] };
}
const internalsOf = (db: AppDb) => db as unknown as DrizzleInternals;

/**
 * node-postgres sends one statement per round trip and waits for its answer. A tenant
 * transaction therefore opens with BEGIN and its scope as ONE simple-query message
 * (`BEGIN; SELECT set_config(...)`, the tenant id checked as a UUID first), then runs `fn` on a
 * Drizzle transaction over that connection, then COMMIT (or ROLLBACK): one round trip fewer
 * than `db.transaction()` + `scopeToTenant()`, same statements, same fail-closed scope.
 */
function postgresDriver(db: AppDb, pool: pg.Pool, readPool: pg.Pool): Driver {
  const { dialect, session } = internalsOf(db);
  /** The tenant each read connection's session is scoped to (a new connection: none). */
  const sessionTenant = new WeakMap<pg.PoolClient, string>();
  /** Each read connection's read context (statement-naming wrapper, Drizzle transaction object), made once per connection. */
  const readContexts = new WeakMap<pg.PoolClient, ReadContext>();
  // Prepared statements hold this client: it forwards to the connection of the read in progress.
  const currentReadClient = {
    query(config: unknown, values?: unknown) {
      const read = readContext.getStore();
      if (!read) return Promise.reject(new Error('A prepared read ran outside readTenant().'));
      return (read.client.query as (config: unknown, values?: unknown) => Promise<unknown>)(config, values);
    },
  } as unknown as pg.PoolClient;
  const statementDb = new NodePgTransaction(dialect, new NodePgSession(currentReadClient, dialect, session.schema, session.options), session.schema) as unknown as Tx;
  const driver: Driver = {
    statementDb,
    dialect,
    async rows(name, query) {
      const { sql: text, params } = dialect.sqlToQuery(query);
      return (await pool.query<Record<string, unknown>>({ name, text, values: params })).rows;
    },
    async tenantTransaction(tenantId, fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        const txSession = new NodePgSession(client, dialect, session.schema, session.options);
        const tx = new NodePgTransaction(dialect, txSession, session.schema) as unknown as TenantTx;
        try {
          await client.query(`BEGIN; SELECT set_config('app.tenant_id', '${tenantId}', true), set_config('app.scope', '', true)`);
          const result = await fn(tx);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          // A connection that cannot even roll back is not given back to the pool.
          await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
            broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
          });
          throw err;
        }
      } finally {
        client.release(broken);
      }
    },
    async tenantRead(tenantId, fn) {
      const client = await readPool.connect();
      let broken: Error | undefined;
      try {
        if (sessionTenant.get(client) !== tenantId) {
          sessionTenant.delete(client);
          await client.query(`SELECT set_config('app.tenant_id', '${tenantId}', false), set_config('app.scope', '', false)`);
          sessionTenant.set(client, tenantId);
        }
        // A connection serves one read at a time, so its objects can be reused by the next.
        let read = readContexts.get(client);
        if (!read) {
          const named = namingStatements(client);
          const tx = new NodePgTransaction(dialect, new NodePgSession(named, dialect, session.schema, session.options), session.schema) as unknown as TenantTx;
          read = { driver, tx, client: named };
          readContexts.set(client, read);
        }
        const { tx } = read;
        return await readContext.run(read, () => fn(tx));
      } catch (err) {
        // A connection the server dropped is not given back (the pool would hand it out again).
        if (isDatabaseUnavailable(err)) broken = err instanceof Error ? err : new Error(String(err));
        throw err;
      } finally {
        client.release(broken);
      }
    },
  };
  return driver;
}

/** Statement names by SQL text, the same on every connection (bounded: shapes are the code's). */
const statementNames = new Map<string, string>();
const maxStatementNames = 2_000;

/**
 * The client, but each statement it sends is a named (prepared) one, named by its text: a
 * connection parses and plans a read once, later requests only bind and execute it (issue 18).
 * Past `maxStatementNames` distinct texts (e.g. IN lists of every length) new ones stay unnamed.
 */
function namingStatements(client: pg.PoolClient): pg.PoolClient {
  const named = Object.create(client) as pg.PoolClient;
  const query = client.query.bind(client) as (config: unknown, values?: unknown) => Promise<unknown>;
  (named as unknown as { query: typeof query }).query = (config, values) => {
    if (config && typeof config === 'object' && 'text' in config && typeof config.text === 'string' && !('name' in config && config.name)) {
      let name = statementNames.get(config.text);
      if (!name && statementNames.size < maxStatementNames) {
        name = `cbp_r${statementNames.size}`;
        statementNames.set(config.text, name);
      }
      if (name) return query({ ...config, name }, values);
    }
    return query(config, values);
  };
  return named;
}

/**
 * Rows of one statement outside any transaction, prepared once per connection under `name`
 * on PostgreSQL (the hot lookups of authentication). The statement must set its own scope if it
 * reads tenant rows (e.g. a function with `SET app.scope`).
 */
export async function preparedRows<T = Record<string, unknown>>(db: AppDb, name: string, query: SQL): Promise<T[]> {
  const driver = drivers.get(db);
  if (!driver) return queryRows<T>(db, query);
  return (await driver.rows(name, query)) as T[];
}

/**
 * Scopes the rest of an open transaction to one tenant (for work that finds its tenant first,
 * e.g. under withPlatformScope): ends a platform scope, and returns the transaction as scoped.
 */
export async function scopeToTenant(tx: Tx, tenantId: string): Promise<TenantTx> {
  await tx.execute(sql`SELECT set_config('app.tenant_id', ${tenantId}, true), set_config('app.scope', '', true)`);
  return tx as TenantTx;
}

/** Escapes LIKE/ILIKE wildcards so typed text matches literally. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Rows of a raw SQL query (both drivers answer `{ rows }`). */
export async function queryRows<T = Record<string, unknown>>(q: Queryable, query: SQL): Promise<T[]> {
  const result = (await q.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

export async function databaseIsUp(db: AppDb, timeoutMs = connectTimeoutMs): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    return await Promise.race([db.execute(sql`SELECT 1`).then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const unreachableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** SQLSTATEs of a server that is going away, starting, or out of connections (class 08: connection exception). */
const unavailableStates = new Set(['57P01', '57P02', '57P03', '53300', '53400']);
const unavailableMessages =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|not queryable/i;

/**
 * Whether an error means the database cannot be reached right now (server stopped, restarting,
 * network gone, pool timed out) rather than a bad query: the request answers 503, jobs back off.
 * Follows `cause` (Drizzle wraps driver errors) and AggregateError (one error per address).
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 5) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (unreachableCodes.has(code) || unavailableStates.has(code) || /^08[0-9A-Z]{3}$/.test(code))) {
    return true;
  }
  if (unavailableMessages.test(err.message)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(err.cause, depth + 1);
}

// Row-level security fails closed (migration 0019): a transaction without `app.tenant_id`
// sees no tenant rows. Work that spans tenants says so with `app.scope = 'platform'`.
// The scope is carried in the type, so a repository that asks for a ScopedTx cannot be
// handed the bare database or an unscoped transaction by accident (docs/decisions/003).

declare const scopeBrand: unique symbol;
/** A transaction scoped to one tenant: only withTenant() and scopeToTenant() make one. */
export type TenantTx = Tx & { readonly [scopeBrand]: 'tenant' };
/** A transaction that spans tenants on purpose: only withPlatformScope() makes one. */
export type PlatformTx = Tx & { readonly [scopeBrand]: 'platform' };
/** A transaction with a row-level security scope: what repositories accept. */
export type ScopedTx = TenantTx | PlatformTx;

/**
 * Runs `fn` in one transaction that may read and write every tenant's rows: background jobs,
 * platform staff views, authentication lookups, webhooks that find their tenant, seeding.
 * Narrow it with scopeToTenant() once the tenant is known.
 */
export function withPlatformScope<T>(db: AppDb, fn: (tx: PlatformTx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT set_config('app.scope', 'platform', true), set_config('app.tenant_id', '', true)`);
    return fn(tx as PlatformTx);
  });
}

/**
 * A SQL script (fixtures, one-off maintenance) run in the platform scope: the setting is local
 * to the script's implicit transaction, so it does not stay on a pooled connection.
 */
export function inPlatformScope(script: string): string {
  return `SELECT set_config('app.scope', 'platform', true);\n${script}`;
}

/** Rows of a raw SQL query that spans tenants, in its own platform-scoped transaction (jobs, tests). */
export function platformRows<T = Record<string, unknown>>(db: AppDb, query: SQL): Promise<T[]> {
  return withPlatformScope(db, (tx) => queryRows<T>(tx, query));
}
