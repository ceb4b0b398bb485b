import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { crashLocalSteps, crashWorkflowType } from '../../../test/workflow-crash-workflow.js';
import { startWorker, type WorkerProcess } from '../../../test/workflow-worker-process.js';
import { openDatabase, platformRows } from '../../platform/db.js';

// The kill test on PGlite: a child process owns a PGlite folder (PGlite is single-process), runs
// the engine and reports its progress; it is SIGKILLed twice mid-workflow and started again on
// the same folder. Afterwards the test opens the folder: every workflow completed and each local
// step's effect happened exactly once. Runs in the PGlite pass only (the PostgreSQL pass has
// engine-crash.pg.test.ts).

const runs = 8;
const totalEffects = runs * crashLocalSteps.length;
let dataDir: string | undefined;
let worker: WorkerProcess | undefined;

afterAll(async () => {
  await worker?.stop(2_000);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `progress <effects> <completed runs> <runs> <expected effects>` from the worker. */
function progress(w: WorkerProcess): { effects: number; completed: number } {
  const [, effects = '0', completed = '0'] = (w.lastLine('progress ') ?? '').split(' ');
  return { effects: Number(effects), completed: Number(completed) };
}

async function until(w: WorkerProcess, done: (p: { effects: number; completed: number }) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!done(progress(w))) {
    if (Date.now() > deadline) expect.fail(`no progress in time (${JSON.stringify(progress(w))}):\n${w.output()}`);
    await sleep(20);
  }
}

describe('kill -9 of a workflow engine process owning a PGlite folder', () => {
  it('finishes every workflow with each step effect exactly once', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'cbp-wf-pglite-'));
    const env = (id: string) => ({ PGLITE_DIR: dataDir ?? '', WORKER_ID: id, START_RUNS: String(runs), LEASE_MS: '1500', STEP_MS: '120', CONCURRENCY: '4' });

    for (const [n, share] of [
      [1, 0.25],
      [2, 0.65],
    ] as const) {
      worker = await startWorker(env(`w${n}`), 120_000);
      await until(worker, (p) => p.effects >= totalEffects * share, 90_000);
      await worker.kill();
    }
    worker = await startWorker(env('w3'), 120_000);
    await until(worker, (p) => p.completed >= runs, 120_000);
    expect(await worker.stop(), worker.output()).toBe(0);
    worker = undefined;

    const database = await openDatabase({ dataDir });
    try {
      const perStep = await platformRows<{ run_id: string; step: string; n: number }>(
        database.db,
        sql`SELECT run_id, step, count(*)::int AS n FROM wf_crash_effects GROUP BY run_id, step`,
      );
      expect(perStep).toHaveLength(totalEffects);
      expect(perStep.filter((r) => r.n !== 1)).toEqual([]);
      const [summary] = await platformRows<{ completed: number; applied: number; keys: number; workers: string; resumed: number }>(
        database.db,
        sql`SELECT (SELECT count(*)::int FROM workflow_runs WHERE type = ${crashWorkflowType} AND status = 'completed') AS completed,
                   (SELECT count(*)::int FROM wf_crash_remote_applied) AS applied,
                   (SELECT count(DISTINCT idempotency_key)::int FROM wf_crash_remote_calls) AS keys,
                   (SELECT string_agg(DISTINCT worker, ',' ORDER BY worker) FROM wf_crash_effects) AS workers,
                   (SELECT count(*)::int FROM (SELECT run_id FROM wf_crash_effects GROUP BY run_id HAVING count(DISTINCT worker) > 1) x) AS resumed`,
      );
      expect(summary).toMatchObject({ completed: runs, applied: runs, keys: runs, workers: 'w1,w2,w3' });
      // Some runs were begun by a killed process and finished by another.
      expect(summary?.resumed).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  }, 400_000);
});
