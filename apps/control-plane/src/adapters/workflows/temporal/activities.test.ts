import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../../test/harness.js';
import { platformRows, queryRows, withTenant } from '../../../platform/db.js';
import { runStep, type CbpActivityOptions } from './activities.js';
import type { CbpWorkflowArgs } from './shared.js';
import { calls, recordOnce, testDefinitions, threeSteps } from './testing/definitions.js';
import { startFakeTemporal, type FakeTemporal } from './testing/fake-server.js';

// The step activities as plain functions, on the test database (PGlite and PostgreSQL): the
// generic activity runs the named step's closure with the earlier steps' results, and a local
// step's effect commits once with its stored result. Also (one database per file keeps the
// suite fast): with TEMPORAL_ADDRESS the API's `GET /workflows` goes through Temporal visibility.

let t: TestContext;
let fake: FakeTemporal;
let options: CbpActivityOptions;

beforeAll(async () => {
  fake = await startFakeTemporal();
  fake.handle('ListWorkflowExecutions', () => ({ executions: [] }));
  fake.handle('CountWorkflowExecutions', () => ({ count: 0 }));
  t = await createTestContext({ TEMPORAL_ADDRESS: fake.address, TEMPORAL_NAMESPACE: 'cbp-wiring', TEMPORAL_TASK_QUEUE: 'cbp-wiring-q' });
  await t.ownerScript(`
    CREATE TABLE temporal_test_effects (key text NOT NULL, note text NOT NULL);
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cbp_app') THEN GRANT SELECT, INSERT ON temporal_test_effects TO cbp_app; END IF;
    END $$;`);
  options = { db: t.database.db, workflows: testDefinitions };
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});
beforeEach(() => {
  calls.length = 0;
});

const run = (type: string, input: CbpWorkflowArgs['input'], tenantId: string | null = acme.id): CbpWorkflowArgs => ({
  type,
  tenantId,
  input,
  runId: '3b0f8a52-7c1d-5e2a-8b9c-0d1e2f3a4b5c',
  workflowId: 'order-7',
});

describe('cbpLocalStep / cbpRemoteStep as plain functions', () => {
  it('runs only the named step, with the results of the steps completed before it', async () => {
    const args = run(threeSteps.type, { n: 4 });
    expect(await runStep(options, 'local', { workflow: args, step: 'reserve', completed: {} })).toEqual({ v: 5 });
    expect(calls).toEqual(['reserve:4']);

    calls.length = 0;
    const charged = await runStep(options, 'remote', { workflow: args, step: 'charge', completed: { reserve: { v: 5 } } });
    expect(charged).toEqual({ v: { charged: 50 } });
    // The closure saw reserve's result and the step's idempotency key; reserve did not run again.
    expect(calls).toEqual([`charge:5:wf:${args.runId}:charge`]);

    calls.length = 0;
    // After the sleep: the last step gets charge's (recorded) result.
    const finished = await runStep(options, 'local', { workflow: args, step: 'finish', completed: { reserve: { v: 5 }, charge: { v: { charged: 70 } } } });
    expect(finished).toEqual({ v: 'done 70' });
    expect(calls).toEqual(['finish:70']);
  });

  it('a local step run again after its commit returns the stored result and does not act twice', async () => {
    const args = run(recordOnce.type, { note: 'first' });
    const input = { workflow: args, step: 'record', completed: {} };
    expect(await runStep(options, 'local', input, 1)).toEqual({ v: { recorded: 'first' } });
    // Temporal retries the activity (its completion was lost): the stored result, no second effect.
    expect(await runStep(options, 'local', input, 2)).toEqual({ v: { recorded: 'first' } });
    expect(calls).toEqual(['record:first']);
    const effects = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM temporal_test_effects WHERE key = ${`wf:${args.runId}:record`}`);
    expect(effects[0]?.n).toBe(1);
    // The stored result belongs to the run's tenant: another tenant's scope does not see it.
    const seen = (tenantId: string) =>
      withTenant(t.database.db, tenantId, async (tx) => {
        if (t.database.kind === 'pglite') {
          // PGlite's user is a superuser, which row-level security does not apply to.
          await tx.execute(sql`DO $$ BEGIN CREATE ROLE wf_step_results_probe; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
          await tx.execute(sql`GRANT SELECT ON workflow_step_results TO wf_step_results_probe`);
          await tx.execute(sql`SET LOCAL ROLE wf_step_results_probe`);
        }
        return queryRows(tx, sql`SELECT 1 FROM workflow_step_results WHERE idempotency_key = ${`wf:${args.runId}:record`}`);
      });
    expect(await seen(acme.id)).toHaveLength(1);
    expect(await seen(globex.id)).toHaveLength(0);
  });

  it('a platform run stores its results in the platform scope', async () => {
    const args = { ...run(recordOnce.type, { note: 'platform' }, null), runId: '9c2d7e10-1a2b-5c3d-8e4f-5a6b7c8d9e0f' };
    expect(await runStep(options, 'local', { workflow: args, step: 'record', completed: {} })).toEqual({ v: { recorded: 'platform' } });
    const rows = await platformRows<{ tenant_id: string | null }>(t.database.db, sql`SELECT tenant_id FROM workflow_step_results WHERE idempotency_key = ${`wf:${args.runId}:record`}`);
    expect(rows).toEqual([{ tenant_id: null }]);
  });

  it('a failed local step keeps nothing: no stored result, and its error reaches Temporal', async () => {
    const args = { ...run(threeSteps.type, { n: 4 }), runId: '5e6f7a8b-9c0d-5e1f-8a2b-3c4d5e6f7a8b' };
    const failing = runStep(options, 'local', { workflow: args, step: 'finish', completed: { reserve: { v: 5 }, charge: { v: { charged: -1 } } } });
    await expect(failing).rejects.toMatchObject({ name: 'NonRetryableError', message: 'negative charge' });
    const rows = await platformRows(t.database.db, sql`SELECT 1 FROM workflow_step_results WHERE idempotency_key = ${`wf:${args.runId}:finish`}`);
    expect(rows).toHaveLength(0);
  });

  it('refuses a step the workflow code does not reach, and an unknown workflow type', async () => {
    const args = run(threeSteps.type, { n: 4 });
    await expect(runStep(options, 'local', { workflow: args, step: 'no-such-step', completed: {} })).rejects.toMatchObject({ type: 'StepNotReached' });
    // The first step (not completed, not the one asked for) was not run either.
    expect(calls).toEqual([]);
    await expect(runStep(options, 'local', { workflow: run('test.nope', {}), step: 'x', completed: {} })).rejects.toMatchObject({ type: 'UnknownWorkflowType' });
  });
});

describe('the API on Temporal', () => {
  it('lists an engineer’s workflows from Temporal visibility, in the configured namespace, with the tenant in the query', async () => {
    expect(t.app.workflows.kind).toBe('temporal');
    const res = await t.app.inject({
      method: 'GET',
      url: '/workflows?status=running',
      headers: { authorization: `Bearer ${await t.tokenFor('engineer@acme.test')}`, 'x-tenant-id': acme.id },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: [], total: 0 });
    const [list] = fake.requestsOf('ListWorkflowExecutions');
    expect(list?.namespace).toBe('cbp-wiring');
    expect(String(list?.query)).toContain(`CbpTenantId = '${acme.id}'`);
    expect(String(list?.query)).toContain("ExecutionStatus IN ('Running', 'ContinuedAsNew')");
  });
});
