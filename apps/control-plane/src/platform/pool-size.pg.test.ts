import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../test/postgres-server.js';
import { demoTenants } from '../seed/demo.js';
import { loadConfig } from '../config.js';
import { migrate, openDatabase, queryRows, readTenant, withTenant, type Database } from './db.js';

// DATABASE_POOL_SIZE and DATABASE_READ_POOL_SIZE bound what one API copy opens: under a burst of
// transactions and tenant reads at once, the server sees at most their sum from the copy, and
// every request still gets its answer (the rest wait for a connection).

let server: PostgresServer;
let owner: Database;
let database: Database;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('pool_size');
  owner = await openDatabase({ url: `${server.ownerUrl}/pool_size` });
  await migrate(owner, { appRole: server.appRole });
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_POOL_SIZE: '3', DATABASE_READ_POOL_SIZE: '2' });
  database = await openDatabase({ url: `${server.appUrl}/pool_size` }, { poolSize: config.DATABASE_POOL_SIZE, readPoolSize: config.DATABASE_READ_POOL_SIZE });
});
afterAll(async () => {
  await database.close();
  await owner.close();
  await server.stop();
});

it('opens at most the configured connections, and answers every request of a burst', async () => {
  const tenantId = demoTenants[0].id;
  const nap = sql`SELECT pg_sleep(0.05) AS slept`;
  let most = 0;
  let busy = true;
  const watching = (async () => {
    while (busy) {
      const [row] = await queryRows<{ n: number }>(
        owner.db,
        sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'pool_size' AND usename = ${server.appRole}`,
      );
      most = Math.max(most, row?.n ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const answers = await Promise.all([
    ...Array.from({ length: 12 }, () => withTenant(database.db, tenantId, (tx) => queryRows(tx, nap))),
    ...Array.from({ length: 12 }, () => readTenant(database.db, tenantId, (tx) => queryRows(tx, nap))),
  ]);
  busy = false;
  await watching;
  expect(answers).toHaveLength(24);
  expect(most).toBe(5);
});
