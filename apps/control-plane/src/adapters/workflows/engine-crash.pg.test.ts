import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../test/postgres-server.js';
import { crashLocalSteps, crashTablesSql, crashWorkflow, crashWorkflowType } from '../../../test/workflow-crash-workflow.js';
import { startWorker, type WorkerProcess } from '../../../test/workflow-worker-process.js';
import { demoTenants } from '../../seed/demo.js';
import { migrate, openDatabase, type Database } from '../../platform/db.js';
import { createBuiltinWorkflowEngine } from './builtin.js';

// SIGKILL of a process running the built-in engine (test/workflow-worker.ts) on a real
// PostgreSQL, in the middle of its workflows, twice; each time a new process is started. Every
// workflow finishes, and every local step's effect happened exactly once; the remote step's key
// was applied once (its call may repeat: at least once, with a stable idempotency key).

const database = 'cbp_wf_crash';
const runs = 12;
const leaseMs = 1_500;

let server: PostgresServer;
let owner: pg.Client;
let client: Database;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase(database);
  const migrating = await openDatabase({ url: `${server.ownerUrl}/${database}` });
  await migrate(migrating, { appRole: server.appRole });
  await migrating.execScript(`${crashTablesSql}\nGRANT SELECT, INSERT ON wf_crash_effects, wf_crash_remote_calls, wf_crash_remote_applied TO ${server.appRole};`);
  await migrating.close();
  owner = new pg.Client({ connectionString: `${server.ownerUrl}/${database}` });
  await owner.connect();
  // Row-level security fails closed, for the table owner too: this connection reads across tenants.
  await owner.query("SELECT set_config('app.scope', 'platform', false)");
  client = await openDatabase({ url: `${server.appUrl}/${database}` });
}, 180_000);

afterAll(async () => {
  await worker?.stop(2_000);
  await client?.close();
  await owner?.end();
  await server?.stop();
}, 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What is not finished, for failure messages. */
async function unfinished(): Promise<string> {
  const { rows } = await owner.query(
    `SELECT r.workflow_id, r.status, r.locked_by, r.locked_until, r.wake_at, now() AS now,
            json_agg(json_build_object('name', s.name, 'status', s.status, 'attempts', s.attempts, 'error', s.last_error_message) ORDER BY s.seq) AS steps
     FROM workflow_runs r LEFT JOIN workflow_steps s ON s.run_id = r.id
     WHERE r.status <> 'completed' GROUP BY r.id`,
  );
  // One line per run (CI keeps only the last lines of a failure), then what the server is doing.
  const activity = await owner.query(
    `SELECT pid, usename, state, wait_event_type, wait_event, now() - xact_start AS in_tx, left(query, 100) AS query
     FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return [...rows.map((r) => JSON.stringify(r)), 'sessions:', ...activity.rows.map((r) => JSON.stringify(r))].join('\n');
}

async function count(query: string): Promise<number> {
  const { rows } = await owner.query<{ n: number }>(query);
  return Number(rows[0]?.n ?? 0);
}

const workerEnv = (id: string) => ({
  DATABASE_URL: `${server.appUrl}/${database}`,
  WORKER_ID: id,
  LEASE_MS: String(leaseMs),
  STEP_MS: '120',
  CONCURRENCY: '4',
});

describe('kill -9 of a workflow engine process mid-workflow, then a restart', () => {
  it('finishes every workflow with each step effect exactly once', async () => {
    // Started by a client that does not poll (as an API copy with the worker elsewhere).
    const starter = createBuiltinWorkflowEngine({
      db: client.db,
      poll: false,
      workflows: [crashWorkflow({ worker: 'starter', stepMs: 0, callRemote: async () => {} })],
    });
    for (let i = 0; i < runs; i++) {
      await starter.start({ type: crashWorkflowType, tenantId: i % 2 ? demoTenants[0].id : null, input: { i }, workflowId: `crash-${i}` });
    }
    await starter.close();
    const totalEffects = runs * crashLocalSteps.length;

    // Two kills, at about a quarter and at about two thirds of the effects.
    const killed: number[] = [];
    for (const [n, share] of [
      [1, 0.25],
      [2, 0.65],
    ] as const) {
      worker = await startWorker(workerEnv(`w${n}`));
      const deadline = Date.now() + 60_000;
      while ((await count('SELECT count(*) AS n FROM wf_crash_effects')) < totalEffects * share) {
        // On a stall, say what the runs and their steps look like, not only what the worker printed.
        if (!worker.alive()) expect.fail(`worker w${n} exited on its own\nworker output:\n${worker.output().slice(-2_000)}`);
        if (Date.now() > deadline) expect.fail(`worker w${n} made no progress for 60 s\n${await unfinished()}\nworker output:\n${worker.output().slice(-2_000)}`);
        await sleep(20);
      }
      await worker.kill();
      killed.push(await count(`SELECT count(*) AS n FROM workflow_runs WHERE status = 'completed'`));
    }
    // Killed mid-way: not everything was done yet.
    expect(killed[1]).toBeLessThan(runs);

    worker = await startWorker(workerEnv('w3'));
    const deadline = Date.now() + 90_000;
    while ((await count(`SELECT count(*) AS n FROM workflow_runs WHERE type = '${crashWorkflowType}' AND status = 'completed'`)) < runs) {
      if (Date.now() > deadline) expect.fail(`the last worker did not finish within 90 s\n${await unfinished()}\nworker output:\n${worker.output().slice(-2_000)}`);
      expect(await count(`SELECT count(*) AS n FROM workflow_runs WHERE status IN ('failed', 'cancelled')`), await unfinished()).toBe(0);
      await sleep(50);
    }
    expect(await worker.stop()).toBe(0);
    worker = undefined;

    // Exactly once: one effect per run and local step, none for steps that were killed mid-transaction.
    const { rows: perStep } = await owner.query<{ run_id: string; step: string; n: number }>(
      'SELECT run_id, step, count(*)::int AS n FROM wf_crash_effects GROUP BY run_id, step',
    );
    expect(perStep).toHaveLength(totalEffects);
    expect(perStep.filter((r) => r.n !== 1)).toEqual([]);
    // The remote side applied each run's key once, whatever the number of calls.
    expect(await count('SELECT count(*) AS n FROM wf_crash_remote_applied')).toBe(runs);
    expect(await count('SELECT count(DISTINCT idempotency_key) AS n FROM wf_crash_remote_calls')).toBe(runs);
    // Every process did part of the work (the later ones took over the killed one's runs).
    const { rows: workers } = await owner.query<{ worker: string }>('SELECT DISTINCT worker FROM wf_crash_effects ORDER BY worker');
    expect(workers.map((r) => r.worker)).toEqual(['w1', 'w2', 'w3']);
    // Some runs were begun by a killed process and finished by another (taken over, resumed mid-way).
    expect(await count('SELECT count(*) AS n FROM (SELECT run_id FROM wf_crash_effects GROUP BY run_id HAVING count(DISTINCT worker) > 1) x')).toBeGreaterThan(0);
    // Checkpoints agree: every step completed once, nothing left leased.
    expect(await count(`SELECT count(*) AS n FROM workflow_steps WHERE status <> 'completed'`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM workflow_steps`)).toBe(runs * (crashLocalSteps.length + 2));
    expect(await count('SELECT count(*) AS n FROM workflow_runs WHERE locked_by IS NOT NULL')).toBe(0);
  }, 240_000);
});
