import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { platformRows, type ScopedTx } from '../../platform/db.js';
import { createBuiltinWorkflowEngine, type BuiltinWorkflowEngine } from './builtin.js';
import { defineWorkflow, type WorkflowDescription, type WorkflowScope } from './port.js';

// The built-in engine's fast paths (docs/benchmarks.md, workflows): a run started where a slot
// is free is inserted leased to that engine and runs there at once; the last step's transaction
// stays open for the run's completion, and commits before anything else happens.
// Step effects are rows in wf_fast_effects, written in the step's transaction.

let t: TestContext;
const engines: BuiltinWorkflowEngine[] = [];
const platform: WorkflowScope = { platform: true };

beforeAll(async () => {
  t = await createTestContext();
  await t.ownerScript(`
    CREATE TABLE wf_fast_effects (run_id uuid NOT NULL, step text NOT NULL, engine text);
    ${t.database.kind === 'postgres' ? 'GRANT SELECT, INSERT ON wf_fast_effects TO cbp_app;' : ''}
  `);
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

afterAll(async () => {
  await t?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function effect(tx: ScopedTx, runId: string, step: string, engine = 'test') {
  await tx.execute(sql`INSERT INTO wf_fast_effects (run_id, step, engine) VALUES (${runId}, ${step}, ${engine})`);
}

async function effects(runId: string): Promise<{ step: string; n: number; engine: string }[]> {
  return platformRows(
    t.database.db,
    sql`SELECT step, count(*)::int AS n, max(engine) AS engine FROM wf_fast_effects WHERE run_id = ${runId} GROUP BY step ORDER BY step`,
  );
}

async function settled(engine: BuiltinWorkflowEngine, runId: string): Promise<WorkflowDescription> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = await engine.describe(platform, runId);
    if (run && run.status !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not settle`);
    await sleep(20);
  }
}

const throwsAfterStep = defineWorkflow({
  type: 'fast.throws-after-step',
  async run(ctx) {
    await ctx.step('one', async ({ tx, runId }) => effect(tx, runId, 'one'));
    throw new Error('workflow code failed after its step');
  },
});

const parallel = defineWorkflow({
  type: 'fast.parallel',
  async run(ctx) {
    const values = await Promise.all(
      ['p1', 'p2', 'p3'].map((name, i) =>
        ctx.step(name, async ({ tx, runId }) => {
          await effect(tx, runId, name);
          return i;
        }),
      ),
    );
    await ctx.step('after', async ({ tx, runId }) => effect(tx, runId, 'after'));
    return values;
  },
});

/** Holds fast.tagged runs at their first step until the test opens it. */
let gateOpen: () => void = () => {};
let gate: Promise<void> = Promise.resolve();

const tagged = (tag: string) =>
  defineWorkflow({
    type: 'fast.tagged',
    async run(ctx) {
      // A remote step holds no transaction while it waits (PGlite has a single connection).
      await ctx.remoteStep('gate', async () => gate);
      for (const name of ['a', 'b', 'c']) await ctx.step(name, async ({ tx, runId }) => effect(tx, runId, name, tag));
      return tag;
    },
  });

describe('built-in workflow engine, fast paths', () => {
  it('commits the last step when the workflow code throws right after it; the run fails with that error', async () => {
    const engine = createBuiltinWorkflowEngine({ db: t.database.db, workflows: [throwsAfterStep], pollIntervalMs: 50 });
    engines.push(engine);
    const { runId } = await engine.start({ type: throwsAfterStep.type, tenantId: acme.id, input: {} });
    const run = await settled(engine, runId);
    expect(run.status).toBe('failed');
    expect(run.error?.message).toBe('workflow code failed after its step');
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([['one', 'completed']]);
    expect(await effects(runId)).toEqual([{ step: 'one', n: 1, engine: 'test' }]);
  });

  it('runs steps the workflow code starts together, each once, and completes the run with their results', async () => {
    const engine = createBuiltinWorkflowEngine({ db: t.database.db, workflows: [parallel], pollIntervalMs: 50 });
    engines.push(engine);
    const { runId } = await engine.start({ type: parallel.type, tenantId: null, input: {} });
    const run = await settled(engine, runId);
    expect(run.status).toBe('completed');
    expect(run.result).toEqual([0, 1, 2]);
    expect((await effects(runId)).map((e) => [e.step, e.n])).toEqual([
      ['after', 1],
      ['p1', 1],
      ['p2', 1],
      ['p3', 1],
    ]);
  });

  it('leases a run to the engine that started it before start() returns, and runs it there, while another engine polls', async () => {
    gate = new Promise((resolve) => {
      gateOpen = resolve;
    });
    // B polls every 10 ms; A's own poll comes once a minute.
    const a = createBuiltinWorkflowEngine({ db: t.database.db, workflows: [tagged('A')], engineId: 'fast-A', pollIntervalMs: 60_000, concurrency: 5 });
    const b = createBuiltinWorkflowEngine({ db: t.database.db, workflows: [tagged('B')], engineId: 'fast-B', pollIntervalMs: 10 });
    engines.push(a, b);
    await sleep(50);
    const runIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { runId } = await a.start({ type: 'fast.tagged', tenantId: acme.id, input: {} });
      // Already held by A (inserted leased, nothing to claim), so B cannot take it.
      const [lease] = await platformRows<{ locked_by: string | null; leased: boolean }>(
        t.database.db,
        sql`SELECT locked_by, locked_until > now() AS leased FROM workflow_runs WHERE id = ${runId}`,
      );
      expect(lease).toEqual({ locked_by: 'fast-A', leased: true });
      runIds.push(runId);
    }
    gateOpen();
    for (const runId of runIds) {
      const run = await settled(a, runId);
      expect(run.status).toBe('completed');
      expect(run.result).toBe('A');
      expect(await effects(runId)).toEqual([
        { step: 'a', n: 1, engine: 'A' },
        { step: 'b', n: 1, engine: 'A' },
        { step: 'c', n: 1, engine: 'A' },
      ]);
    }
  });
});
