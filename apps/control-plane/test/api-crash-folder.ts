import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApi as startApiProcess, type ApiProcess } from './api-process.js';
import { migrate, openDatabase, type Database } from '../src/platform/db.js';
import { seedDemo } from '../src/seed/demo.js';

// The kill -9 tests whose real API (test/api-process.ts) owns a PGlite folder: PGlite is
// single-process, so the test prepares the folder (migrated, seeded), starts the API with a
// CBP_TEST_CRASH_AT hook, waits for it to SIGKILL itself, looks into the folder, restarts the API
// without the hook and looks again once it has stopped. (test/workflow-worker-process.ts is the
// same for the engine alone, without the API.)

/** The API's settings for these tests: fast polling and lease, no periodic jobs besides the one under test. */
export const crashTestEnv: Record<string, string> = {
  WORKFLOW_POLL_INTERVAL_MS: '100',
  WORKFLOW_LEASE_MS: '2000',
  USAGE_PERIOD_CLOSE_INTERVAL_MS: '0',
  AUDIT_RETENTION_INTERVAL_MS: '0',
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the process still exists (a signal 0 probe). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Calls `check` every `intervalMs` until it answers something other than undefined; fails after `timeoutMs` with `failure()`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, failure: () => string, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(failure());
    await sleep(intervalMs);
  }
}

export interface CrashFolder {
  /** The API's CBP_DATA_DIR (its PGlite database is `<dataDir>/pglite`). */
  dataDir: string;
  /** Opens the folder's database (while no API has it), runs `fn`, closes it. */
  withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T>;
  /** Starts the API on the folder (ready), with CBP_TEST_CRASH_AT=`crashAt` if given; close() kills it if the test has not. */
  startApi(env?: Record<string, string>, crashAt?: string): Promise<ApiProcess>;
  /** Waits until `api` has killed itself at its hook; fails with its output after `timeoutMs`. */
  waitForCrash(api: ApiProcess, timeoutMs?: number): Promise<void>;
  /** startApi() with the hook `crashAt`, then waitForCrash(); a hook that fires before `/health` answers is fine too. */
  crashApi(crashAt: string, env?: Record<string, string>, timeoutMs?: number): Promise<void>;
  /** Kills an API still running and removes the folder. */
  close(): Promise<void>;
}

/** A temporary folder with a migrated, seeded (demo) PGlite database for the API. */
export async function createCrashFolder(prefix: string): Promise<CrashFolder> {
  const dataDir = await mkdtemp(path.join(tmpdir(), prefix));
  const started: ApiProcess[] = [];
  const withDatabase = async <T>(fn: (database: Database) => Promise<T>): Promise<T> => {
    const database = await openDatabase({ dataDir: path.join(dataDir, 'pglite') });
    try {
      return await fn(database);
    } finally {
      await database.close();
    }
  };
  await withDatabase(async (database) => {
    await migrate(database);
    await seedDemo(database.db);
  });
  const startApi = async (env: Record<string, string> = {}, crashAt?: string) => {
    const api = await startApiProcess({ env: { ...crashTestEnv, ...env, ...(crashAt ? { CBP_TEST_CRASH_AT: crashAt } : {}) } }, { dataDir });
    started.push(api);
    return api;
  };
  const waitForCrash = async (api: ApiProcess, timeoutMs = 90_000) => {
    await eventually(async () => (alive(api.pid) ? undefined : true), timeoutMs, () => `the API did not crash at its hook:\n${api.output()}`, 100);
  };
  return {
    dataDir,
    withDatabase,
    startApi,
    waitForCrash,
    async crashApi(crashAt, env = {}, timeoutMs) {
      let api: ApiProcess;
      try {
        api = await startApi(env, crashAt);
      } catch (err) {
        if (String(err).includes('exited before it was ready')) return;
        throw err;
      }
      await waitForCrash(api, timeoutMs);
    },
    async close() {
      for (const api of started) await api.kill();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
