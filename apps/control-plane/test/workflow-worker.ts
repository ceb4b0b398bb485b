import { sql } from 'drizzle-orm';
import { createBuiltinWorkflowEngine } from '../src/adapters/workflows/builtin.js';
import { migrate, openDatabase, queryRows, withPlatformScope, type Database } from '../src/platform/db.js';
import { crashTablesSql, crashWorkflow, crashWorkflowType, crashLocalSteps } from './workflow-crash-workflow.js';

// A process that runs the built-in workflow engine with the kill tests' workflow
// (`node --import tsx test/workflow-worker.ts`), killed with SIGKILL and started again by
// src/adapters/workflows/engine-crash*.test.ts.
//
// Environment:
//   DATABASE_URL   PostgreSQL (the test created the tables and starts the runs), or
//   PGLITE_DIR     a PGlite folder this process owns: it migrates, creates the tables, starts
//                  START_RUNS runs (idempotent workflow ids, so a restart adds none) and prints
//                  `progress <effects> <completed runs> <runs>` lines, as the test cannot open
//                  the folder while this process has it.
//   WORKER_ID, LEASE_MS, STEP_MS, CONCURRENCY
// Prints `ready` once polling; SIGTERM closes the engine and the database and exits 0.

const env = process.env;
const worker = env.WORKER_ID ?? `worker-${process.pid}`;
const stepMs = Number(env.STEP_MS ?? 100);

async function main() {
  let database: Database;
  if (env.DATABASE_URL) database = await openDatabase({ url: env.DATABASE_URL });
  else if (env.PGLITE_DIR) {
    database = await openDatabase({ dataDir: env.PGLITE_DIR });
    await migrate(database);
    await database.execScript(crashTablesSql);
  } else throw new Error('DATABASE_URL or PGLITE_DIR is required');
  const { db } = database;

  const workflow = crashWorkflow({
    worker,
    stepMs,
    async callRemote(key) {
      await withPlatformScope(db, (tx) => tx.execute(sql`INSERT INTO wf_crash_remote_calls (idempotency_key, worker) VALUES (${key}, ${worker})`));
      await new Promise((resolve) => setTimeout(resolve, stepMs / 2));
      await withPlatformScope(db, (tx) =>
        tx.execute(sql`INSERT INTO wf_crash_remote_applied (idempotency_key) VALUES (${key}) ON CONFLICT DO NOTHING`),
      );
    },
  });
  const engine = createBuiltinWorkflowEngine({
    db,
    workflows: [workflow],
    engineId: worker,
    pollIntervalMs: 50,
    leaseMs: Number(env.LEASE_MS ?? 2_000),
    concurrency: Number(env.CONCURRENCY ?? 4),
    logger: {
      warn: (obj, msg) => process.stderr.write(`[warn] ${msg} ${JSON.stringify(obj)}\n`),
      error: (obj, msg) => process.stderr.write(`[error] ${msg} ${JSON.stringify(obj, Object.getOwnPropertyNames(obj))}\n`),
    },
  });

  const runs = Number(env.START_RUNS ?? 0);
  for (let i = 0; i < runs; i++) {
    await engine.start({ type: crashWorkflowType, tenantId: i % 2 ? '00000000-0000-4000-8000-00000000ac01' : null, input: { i }, workflowId: `crash-${i}` });
  }
  process.stdout.write('ready\n');
  // The engine's timers do not hold a process open (unref: an API process lives by its HTTP
  // server). This process has nothing else: without this it could exit quietly whenever its pool
  // had no connection open, as it did in CI ("ready", then no progress).
  const keepAlive = setInterval(() => {}, 60_000);

  let progress: NodeJS.Timeout | undefined;
  if (env.PGLITE_DIR) {
    progress = setInterval(() => {
      void withPlatformScope(db, (tx) =>
        queryRows<{ effects: number; completed: number; total: number }>(
          tx,
          sql`SELECT (SELECT count(*)::int FROM wf_crash_effects) AS effects,
                     (SELECT count(*)::int FROM workflow_runs WHERE type = ${crashWorkflowType} AND status = 'completed') AS completed,
                     (SELECT count(*)::int FROM workflow_runs WHERE type = ${crashWorkflowType}) AS total`,
        ),
      ).then(([row]) => {
        if (row) process.stdout.write(`progress ${row.effects} ${row.completed} ${row.total} ${runs * crashLocalSteps.length}\n`);
      });
    }, 100);
  }

  process.once('SIGTERM', () => {
    clearInterval(progress);
    clearInterval(keepAlive);
    void engine
      .close()
      .then(() => database.close())
      .then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`workflow worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
