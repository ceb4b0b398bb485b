import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows, queryRows, withTenant, type ScopedTx } from '../../platform/db.js';
import { createBuiltinWorkflowEngine, type BuiltinEngineOptions, type BuiltinWorkflowEngine } from './builtin.js';
import { defineWorkflow, NonRetryableError, retryDelayMs, WorkflowStateError, type WorkflowDescription, type WorkflowFailure, type WorkflowScope } from './port.js';

// The built-in engine on a migrated, seeded database (PGlite or PostgreSQL, TEST_DB).
// Step effects are rows in wf_test_effects, written in the step's transaction, so
// "exactly once" is a row count.

let t: TestContext;
const engines: BuiltinWorkflowEngine[] = [];
const platform: WorkflowScope = { platform: true };

beforeAll(async () => {
  t = await createTestContext();
  await t.ownerScript(`
    CREATE TABLE wf_test_effects (
      run_id uuid NOT NULL,
      step text NOT NULL,
      engine text,
      scope_tenant text,
      at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    ${t.database.kind === 'postgres' ? 'GRANT SELECT, INSERT, DELETE ON wf_test_effects TO cbp_app;' : ''}
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
  await tx.execute(
    sql`INSERT INTO wf_test_effects (run_id, step, engine, scope_tenant)
        VALUES (${runId}, ${step}, ${engine}, nullif(current_setting('app.tenant_id', true), ''))`,
  );
}

async function effects(runId: string): Promise<{ step: string; n: number; scope_tenant: string | null }[]> {
  return platformRows(
    t.database.db,
    sql`SELECT step, count(*)::int AS n, max(scope_tenant) AS scope_tenant FROM wf_test_effects WHERE run_id = ${runId} GROUP BY step ORDER BY step`,
  );
}

async function effectTimes(runId: string): Promise<Record<string, number>> {
  const rows = await platformRows<{ step: string; ms: number | string }>(
    t.database.db,
    sql`SELECT step, (extract(epoch FROM at) * 1000)::float8 AS ms FROM wf_test_effects WHERE run_id = ${runId}`,
  );
  return Object.fromEntries(rows.map((r) => [r.step, Number(r.ms)]));
}

async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(20);
  }
}

async function settled(engine: BuiltinWorkflowEngine, scope: WorkflowScope, runId: string): Promise<WorkflowDescription> {
  return waitFor(async () => {
    const run = await engine.describe(scope, runId);
    return run && run.status !== 'running' ? run : undefined;
  });
}

// --------------------------------------------------------------------- workflows under test

const threeSteps = defineWorkflow({
  type: 'test.three-steps',
  async run(ctx, input: { label: string }) {
    const a = await ctx.step('first', async ({ tx, runId }) => {
      await effect(tx, runId, 'first');
      return { n: 1 };
    });
    const b = await ctx.step('second', async ({ tx, runId }) => {
      await effect(tx, runId, 'second');
      return a.n + 1;
    });
    await ctx.step('third', async ({ tx, runId }) => effect(tx, runId, 'third'));
    return { label: input.label, total: b + 1 };
  },
});

const alwaysFails = defineWorkflow({
  type: 'test.always-fails',
  retry: { maxAttempts: 3, initialIntervalMs: 100, backoffCoefficient: 2 },
  async run(ctx) {
    await ctx.step('ok', async ({ tx, runId }) => effect(tx, runId, 'ok'));
    await ctx.step('boom', async ({ tx, runId }) => {
      // Written, then rolled back with the failed attempt.
      await effect(tx, runId, 'boom');
      throw new Error('the gateway said no');
    });
    await ctx.step('never', async ({ tx, runId }) => effect(tx, runId, 'never'));
  },
});

/** Fails its middle step while `flaky.failing` is true. */
const flaky = { failing: true, attempts: 0 };
const flakyWorkflow = defineWorkflow({
  type: 'test.flaky',
  retry: { maxAttempts: 2, initialIntervalMs: 20 },
  async run(ctx) {
    await ctx.step('one', async ({ tx, runId }) => effect(tx, runId, 'one'));
    await ctx.step('two', async ({ tx, runId, attempt }) => {
      flaky.attempts += 1;
      await effect(tx, runId, 'two');
      if (flaky.failing) throw new Error(`not yet (attempt ${attempt})`);
      return attempt;
    });
    await ctx.step('three', async ({ tx, runId }) => effect(tx, runId, 'three'));
    return 'done';
  },
});

const fatal = defineWorkflow({
  type: 'test.non-retryable',
  retry: { maxAttempts: 5, initialIntervalMs: 10 },
  async run(ctx) {
    await ctx.step('declined', async () => {
      throw new NonRetryableError('card declined');
    });
  },
});

/** A remote step that waits for the test to open its gate (no transaction is held meanwhile). */
const gate = { entered: false, open: () => {}, keys: [] as string[] };
let gateOpened: Promise<void> = Promise.resolve();
const gated = defineWorkflow({
  type: 'test.gated',
  async run(ctx) {
    await ctx.step('before', async ({ tx, runId }) => effect(tx, runId, 'before'));
    await ctx.remoteStep('remote', async ({ idempotencyKey }) => {
      gate.keys.push(idempotencyKey);
      gate.entered = true;
      await gateOpened;
      return 'called';
    });
    await ctx.step('after', async ({ tx, runId }) => effect(tx, runId, 'after'));
  },
});

const sleeper = defineWorkflow({
  type: 'test.sleeper',
  async run(ctx, input: { ms: number }) {
    await ctx.step('before', async ({ tx, runId }) => effect(tx, runId, 'before'));
    await ctx.sleep('nap', input.ms);
    await ctx.step('after', async ({ tx, runId }) => effect(tx, runId, 'after'));
  },
});

/** Never runs in these tests (listed only). */
const listed = defineWorkflow({
  type: 'test.listed',
  async run(ctx) {
    await ctx.step('only', async () => undefined);
  },
});

/** Breaks the rule that step names are unique in a run. */
const duplicateNames = defineWorkflow({
  type: 'test.duplicate-names',
  async run(ctx) {
    await ctx.step('same', async ({ tx, runId }) => effect(tx, runId, 'same'));
    await ctx.step('same', async ({ tx, runId }) => effect(tx, runId, 'same'));
  },
});

const workflows = [threeSteps, alwaysFails, flakyWorkflow, fatal, gated, sleeper, listed, duplicateNames];

function engine(options: Partial<BuiltinEngineOptions> = {}): BuiltinWorkflowEngine {
  const e = createBuiltinWorkflowEngine({ db: t.database.db, workflows, pollIntervalMs: 50, leaseMs: 5_000, ...options });
  engines.push(e);
  return e;
}

// --------------------------------------------------------------------- tests

describe('built-in workflow engine', () => {
  it('runs a three-step workflow to completion, each step effect exactly once, in the tenant scope', async () => {
    const e = engine();
    const started = await e.start({ type: threeSteps.type, tenantId: acme.id, input: { label: 'hello' } });
    expect(started.created).toBe(true);
    const run = await settled(e, { tenantId: acme.id }, started.runId);
    expect(run.status).toBe('completed');
    expect(run.result).toEqual({ label: 'hello', total: 3 });
    expect(run.closedAt).not.toBeNull();
    expect(run.currentStep).toBeNull();
    expect(run.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['first', 'completed', 1],
      ['second', 'completed', 1],
      ['third', 'completed', 1],
    ]);
    expect(run.steps[1]?.result).toBe(2);
    for (const s of run.steps) {
      expect(s.startedAt).not.toBeNull();
      expect(s.finishedAt).not.toBeNull();
    }
    const rows = await effects(started.runId);
    expect(rows.map((r) => [r.step, r.n])).toEqual([
      ['first', 1],
      ['second', 1],
      ['third', 1],
    ]);
    // The step's transaction was scoped to the run's tenant (row-level security).
    expect(new Set(rows.map((r) => r.scope_tenant))).toEqual(new Set([acme.id]));
    // Nothing holds the run any more.
    const [lease] = await platformRows<{ locked_by: string | null }>(
      t.database.db,
      sql`SELECT locked_by FROM workflow_runs WHERE id = ${started.runId}`,
    );
    expect(lease?.locked_by).toBeNull();
  });

  it('answers the existing run when started again with the same workflow id', async () => {
    const e = engine({ poll: false });
    const first = await e.start({ type: threeSteps.type, tenantId: acme.id, input: { label: 'x' }, workflowId: 'dedupe-1' });
    const again = await e.start({ type: threeSteps.type, tenantId: acme.id, input: { label: 'y' }, workflowId: 'dedupe-1' });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ runId: first.runId, created: false, workflowId: 'dedupe-1' });
    // The same id for another tenant (or the platform) is another run.
    const other = await e.start({ type: threeSteps.type, tenantId: globex.id, input: { label: 'z' }, workflowId: 'dedupe-1' });
    const platformRun = await e.start({ type: threeSteps.type, tenantId: null, input: { label: 'p' }, workflowId: 'dedupe-1' });
    const platformAgain = await e.start({ type: threeSteps.type, tenantId: null, input: { label: 'p' }, workflowId: 'dedupe-1' });
    expect(other.created).toBe(true);
    expect(other.runId).not.toBe(first.runId);
    expect(platformRun.created).toBe(true);
    expect(platformAgain).toMatchObject({ runId: platformRun.runId, created: false });
    await expect(e.start({ type: 'test.unknown', tenantId: null, input: {} })).rejects.toThrow(/unknown workflow type/);
  });

  it('starts a run in the caller transaction: it exists only if that transaction commits', async () => {
    const e = engine();
    const rolledBack = await withTenant(t.database.db, acme.id, async (tx) => {
      await e.start({ type: threeSteps.type, tenantId: acme.id, input: { label: 'tx' }, workflowId: 'in-tx-rolled-back' }, { tx });
      throw new Error('the change failed');
    }).catch((err: unknown) => err);
    const committed = await withTenant(t.database.db, acme.id, (tx) =>
      e.start({ type: threeSteps.type, tenantId: acme.id, input: { label: 'tx' }, workflowId: 'in-tx-committed' }, { tx }),
    );
    e.wake();
    expect((await settled(e, { tenantId: acme.id }, committed.runId)).status).toBe('completed');
    expect(rolledBack).toBeInstanceOf(Error);
    const { data } = await e.list({ tenantId: acme.id }, { type: threeSteps.type });
    expect(data.some((r) => r.workflowId === 'in-tx-rolled-back')).toBe(false);
  });

  it('retries a failing step with backoff, then fails the run with the error on the step and the run', async () => {
    const failures: WorkflowFailure[] = [];
    const e = engine({
      onRunFailed: async (tx, failure) => {
        // In the failure's transaction, scoped like the run.
        const [row] = await queryRows<{ tenant: string }>(tx, sql`SELECT current_setting('app.tenant_id', true) AS tenant`);
        expect(row?.tenant).toBe(acme.id);
        failures.push(failure);
      },
    });
    const started = await e.start({ type: alwaysFails.type, tenantId: acme.id, input: {} });
    const startedAt = Date.now();
    const run = await settled(e, { tenantId: acme.id }, started.runId);
    const elapsed = Date.now() - startedAt;
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ message: 'the gateway said no', step: 'boom' });
    expect(run.error?.stack).toContain('the gateway said no');
    expect(run.currentStep).toBe('boom');
    const boom = run.steps.find((s) => s.name === 'boom');
    expect(boom).toMatchObject({ status: 'failed', attempts: 3, lastError: { message: 'the gateway said no' } });
    expect(boom?.lastError?.stack).toMatch(/builtin\.test\.ts/);
    expect(run.steps.map((s) => s.name)).toEqual(['ok', 'boom']);
    // Backoff 100 ms then 200 ms: at least 300 ms from start to failure (generous: no upper bound).
    expect(elapsed).toBeGreaterThanOrEqual(280);
    // The failed attempts' effects were rolled back with them; the completed step's stays.
    expect((await effects(started.runId)).map((r) => [r.step, r.n])).toEqual([['ok', 1]]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ runId: started.runId, tenantId: acme.id, type: alwaysFails.type, attempt: 1, error: { step: 'boom' } });
  });

  it('fails at once on a NonRetryableError', async () => {
    const e = engine();
    const started = await e.start({ type: fatal.type, tenantId: globex.id, input: {} });
    const run = await settled(e, { tenantId: globex.id }, started.runId);
    expect(run.status).toBe('failed');
    expect(run.steps[0]).toMatchObject({ name: 'declined', status: 'failed', attempts: 1, lastError: { message: 'card declined' } });
  });

  it('retry of a failed run resumes at the failed step and completes; only failed runs can be retried', async () => {
    flaky.failing = true;
    flaky.attempts = 0;
    const e = engine();
    const started = await e.start({ type: flakyWorkflow.type, tenantId: acme.id, input: {} });
    const failed = await settled(e, { tenantId: acme.id }, started.runId);
    expect(failed.status).toBe('failed');
    expect(flaky.attempts).toBe(2);
    // Another tenant cannot retry it (it does not see it).
    expect(await e.retry({ tenantId: globex.id }, started.runId)).toBeNull();

    flaky.failing = false;
    const retried = await e.retry({ tenantId: acme.id }, started.runId);
    expect(retried).toMatchObject({ status: 'running', attempt: 2, error: null });
    const done = await settled(e, { tenantId: acme.id }, started.runId);
    expect(done.status).toBe('completed');
    expect(done.result).toBe('done');
    expect(done.attempt).toBe(2);
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([
      ['one', 'completed'],
      ['two', 'completed'],
      ['three', 'completed'],
    ]);
    expect(done.steps[1]?.result).toBe(1);
    // Step one did not run again; the failed attempts of two left nothing.
    expect((await effects(started.runId)).map((r) => [r.step, r.n])).toEqual([
      ['one', 1],
      ['three', 1],
      ['two', 1],
    ]);
    await expect(e.retry({ tenantId: acme.id }, started.runId)).rejects.toBeInstanceOf(WorkflowStateError);
  });

  it('cancel stops a running workflow between steps', async () => {
    let open: () => void = () => {};
    gateOpened = new Promise<void>((resolve) => {
      open = resolve;
    });
    gate.entered = false;
    gate.keys = [];
    const e = engine();
    const started = await e.start({ type: gated.type, tenantId: acme.id, input: {} });
    await waitFor(async () => gate.entered);
    expect(await e.cancel({ tenantId: globex.id }, started.runId)).toBeNull();
    const cancelling = await e.cancel({ tenantId: acme.id }, started.runId);
    // The remote step is under way: the run stops after it.
    expect(cancelling).toMatchObject({ status: 'running', cancelRequested: true });
    const during = await e.describe({ tenantId: acme.id }, started.runId);
    expect(during?.currentStep).toBe('remote');
    expect(during?.steps.find((s) => s.name === 'remote')?.status).toBe('running');
    open();
    const run = await settled(e, { tenantId: acme.id }, started.runId);
    expect(run.status).toBe('cancelled');
    expect(run.closedAt).not.toBeNull();
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ['before', 'completed'],
      ['remote', 'completed'],
    ]);
    expect((await effects(started.runId)).map((r) => r.step)).toEqual(['before']);
    expect(gate.keys).toEqual([`wf:${started.runId}:remote`]);
    await expect(e.cancel({ tenantId: acme.id }, started.runId)).rejects.toBeInstanceOf(WorkflowStateError);
  });

  it('sleeps durably: the wake-up time is stored and another engine finishes the run after a restart', async () => {
    const first = engine();
    const started = await first.start({ type: sleeper.type, tenantId: acme.id, input: { ms: 600 } });
    const asleep = await waitFor(async () => {
      const run = await first.describe({ tenantId: acme.id }, started.runId);
      return run?.steps.find((s) => s.name === 'nap')?.status === 'waiting' ? run : undefined;
    });
    expect(asleep.status).toBe('running');
    expect(asleep.currentStep).toBe('nap');
    expect(asleep.steps.find((s) => s.name === 'nap')?.wakeAt).not.toBeNull();
    // Nobody holds a sleeping run.
    const [lease] = await platformRows<{ locked_by: string | null }>(t.database.db, sql`SELECT locked_by FROM workflow_runs WHERE id = ${started.runId}`);
    expect(lease?.locked_by).toBeNull();
    // "Restart": the first engine goes away, a new one takes over the timer from the database.
    await first.close();
    const second = engine();
    const run = await settled(second, { tenantId: acme.id }, started.runId);
    expect(run.status).toBe('completed');
    const times = await effectTimes(started.runId);
    expect((times.after ?? 0) - (times.before ?? 0)).toBeGreaterThanOrEqual(590);
    expect((await effects(started.runId)).map((r) => [r.step, r.n])).toEqual([
      ['after', 1],
      ['before', 1],
    ]);
  });

  it('cancels a sleeping run at once', async () => {
    const e = engine();
    const started = await e.start({ type: sleeper.type, tenantId: globex.id, input: { ms: 60_000 } });
    await waitFor(async () => {
      const run = await e.describe({ tenantId: globex.id }, started.runId);
      return run?.currentStep === 'nap' && run.steps.some((s) => s.name === 'nap');
    });
    // The sleep released the lease; a cancel arriving just before that only flags the run.
    const cancelled = await e.cancel({ tenantId: globex.id }, started.runId);
    expect(cancelled?.cancelRequested).toBe(true);
    const run = await settled(e, { tenantId: globex.id }, started.runId);
    expect(run.status).toBe('cancelled');
    expect((await effects(started.runId)).map((r) => r.step)).toEqual(['before']);
  });

  it('lists and describes with tenant filtering: a tenant never sees another tenant or platform runs', async () => {
    const e = engine({ poll: false });
    const from = new Date(Date.now() - 1_000);
    const acmeRuns = [];
    for (let i = 0; i < 3; i++) acmeRuns.push(await e.start({ type: listed.type, tenantId: acme.id, input: {}, workflowId: `list-acme-${i}` }));
    const globexRun = await e.start({ type: listed.type, tenantId: globex.id, input: {}, workflowId: 'list-globex' });
    const platformRun = await e.start({ type: listed.type, tenantId: null, input: {}, workflowId: 'list-platform' });

    const acmeList = await e.list({ tenantId: acme.id }, { type: listed.type, from, limit: 100 });
    expect(acmeList.data.every((r) => r.tenantId === acme.id)).toBe(true);
    const acmeIds = acmeList.data.map((r) => r.id);
    for (const r of acmeRuns) expect(acmeIds).toContain(r.runId);
    expect(acmeIds).not.toContain(globexRun.runId);
    expect(acmeIds).not.toContain(platformRun.runId);
    // Even asking for another tenant through the filter does not widen a tenant's view.
    const sneaky = await e.list({ tenantId: acme.id }, { tenantId: globex.id, limit: 100 });
    expect(sneaky.data.every((r) => r.tenantId === acme.id)).toBe(true);

    const globexList = await e.list({ tenantId: globex.id }, { limit: 100 });
    expect(globexList.data.every((r) => r.tenantId === globex.id)).toBe(true);
    expect(globexList.data.map((r) => r.id)).toContain(globexRun.runId);

    expect(await e.describe({ tenantId: globex.id }, acmeRuns[0]!.runId)).toBeNull();
    expect(await e.describe({ tenantId: acme.id }, platformRun.runId)).toBeNull();
    expect((await e.describe({ tenantId: acme.id }, acmeRuns[0]!.runId))?.workflowId).toBe('list-acme-0');

    // Row-level security on its own (a query without a tenant filter) shows a tenant only its
    // runs and steps, never platform ones.
    const seen = await withTenant(t.database.db, acme.id, async (tx) => {
      if (t.database.kind === 'pglite') {
        // PGlite's user is a superuser, which row-level security does not apply to.
        await tx.execute(sql`DO $$ BEGIN CREATE ROLE wf_rls_probe; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
        await tx.execute(sql`GRANT SELECT ON workflow_runs, workflow_steps TO wf_rls_probe`);
        await tx.execute(sql`SET LOCAL ROLE wf_rls_probe`);
      }
      return {
        runs: await queryRows<{ tenant_id: string | null }>(tx, sql`SELECT DISTINCT tenant_id FROM workflow_runs`),
        steps: await queryRows<{ tenant_id: string | null }>(tx, sql`SELECT DISTINCT tenant_id FROM workflow_steps`),
      };
    });
    expect(seen.runs.map((r) => r.tenant_id)).toEqual([acme.id]);
    expect(seen.steps.map((r) => r.tenant_id)).toEqual([acme.id]);

    // The platform scope sees all, and filters by tenant (null: platform workflows).
    const all = await e.list(platform, { type: listed.type, from, limit: 100 });
    const allIds = all.data.map((r) => r.id);
    for (const id of [...acmeRuns.map((r) => r.runId), globexRun.runId, platformRun.runId]) expect(allIds).toContain(id);
    const platformOnly = await e.list(platform, { tenantId: null, limit: 100 });
    expect(platformOnly.data.every((r) => r.tenantId === null)).toBe(true);
    expect(platformOnly.data.map((r) => r.id)).toContain(platformRun.runId);
    expect((await e.describe(platform, acmeRuns[1]!.runId))?.tenantId).toBe(acme.id);

    // Paging (newest first), status and date filters.
    const page1 = await e.list({ tenantId: acme.id }, { type: listed.type, from, limit: 2, page: 1 });
    const page2 = await e.list({ tenantId: acme.id }, { type: listed.type, from, limit: 2, page: 2 });
    expect(page1.total).toBe(3);
    expect(page1.data).toHaveLength(2);
    expect(page2.data).toHaveLength(1);
    expect(new Set([...page1.data, ...page2.data].map((r) => r.id))).toEqual(new Set(acmeRuns.map((r) => r.runId)));
    expect(page1.data[0]!.startedAt >= page1.data[1]!.startedAt).toBe(true);
    expect((await e.list({ tenantId: acme.id }, { type: listed.type, from, status: 'completed' })).total).toBe(0);
    expect((await e.list({ tenantId: acme.id }, { type: listed.type, from, status: 'running' })).total).toBe(3);
    expect((await e.list({ tenantId: acme.id }, { type: listed.type, from: new Date(Date.now() + 60_000) })).total).toBe(0);
    expect((await e.list({ tenantId: acme.id }, { type: listed.type, from, to: from })).total).toBe(0);
  });

  it('two engines on one database run N workflows with no step executed twice', async () => {
    const n = 24;
    const shared = { leaseMs: 5_000, concurrency: 3, pollIntervalMs: 20 };
    const tagged = (tag: string) =>
      defineWorkflow({
        type: 'test.shared',
        async run(ctx) {
          for (const step of ['a', 'b', 'c']) {
            await ctx.step(step, async ({ tx, runId }) => {
              await effect(tx, runId, step, tag);
              await sleep(5);
            });
          }
        },
      });
    const a = createBuiltinWorkflowEngine({ db: t.database.db, workflows: [tagged('A')], engineId: 'engine-A', ...shared });
    const b = createBuiltinWorkflowEngine({ db: t.database.db, workflows: [tagged('B')], engineId: 'engine-B', ...shared });
    engines.push(a, b);
    const runIds: string[] = [];
    for (let i = 0; i < n; i++) {
      const started = await (i % 2 ? a : b).start({ type: 'test.shared', tenantId: i % 3 ? acme.id : null, input: {} });
      runIds.push(started.runId);
    }
    await waitFor(async () => {
      const { total } = await a.list(platform, { type: 'test.shared', status: 'completed' });
      return total === n;
    }, 60_000);
    const rows = await platformRows<{ run_id: string; step: string; n: number }>(
      t.database.db,
      sql`SELECT run_id, step, count(*)::int AS n FROM wf_test_effects
          WHERE run_id IN (SELECT id FROM workflow_runs WHERE type = 'test.shared') GROUP BY run_id, step`,
    );
    expect(rows).toHaveLength(n * 3);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    const byEngine = await platformRows<{ engine: string; n: number }>(
      t.database.db,
      sql`SELECT engine, count(*)::int AS n FROM wf_test_effects
          WHERE run_id IN (SELECT id FROM workflow_runs WHERE type = 'test.shared') GROUP BY engine ORDER BY engine`,
    );
    // Both engines took part.
    expect(byEngine.map((r) => r.engine)).toEqual(['A', 'B']);
  });

  it('fails a run whose code uses a step name twice (replay could not tell the steps apart)', async () => {
    const e = engine();
    const started = await e.start({ type: duplicateNames.type, tenantId: null, input: {} });
    const run = await settled(e, platform, started.runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ step: null, message: expect.stringMatching(/used twice/) });
    expect((await effects(started.runId)).map((r) => [r.step, r.n])).toEqual([['same', 1]]);
  });

  it('computes exponential backoff, capped', () => {
    const policy = { maxAttempts: 10, initialIntervalMs: 100, backoffCoefficient: 2, maxIntervalMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(policy, attempt))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('keeps polling through database errors and stops cleanly on close', async () => {
    const warnings: string[] = [];
    const errors: string[] = [];
    const broken = {
      ...t.database.db,
      transaction: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    } as unknown as typeof t.database.db;
    const e = createBuiltinWorkflowEngine({
      db: broken,
      workflows,
      pollIntervalMs: 10,
      logger: { warn: (_o, msg) => warnings.push(msg), error: (_o, msg) => errors.push(msg) },
    });
    await waitFor(async () => warnings.length >= 2);
    await e.close();
    const seen = warnings.length;
    await sleep(100);
    expect(warnings.length).toBe(seen);
    expect(errors).toEqual([]);
    expect(warnings[0]).toMatch(/database unavailable/);
  });
});
