import { sql } from 'drizzle-orm';
import type { Workflow, WorkflowPage, WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { defineWorkflow, NonRetryableError } from '../../adapters/workflows/port.js';
import { platformRows } from '../../platform/db.js';

// GET /workflows, GET /workflows/:id/status, POST /workflows/:id/cancel and /retry over the
// built-in engine, through the app (the engine polls every 25 ms here).

const threeSteps = defineWorkflow({
  type: 'test.three-steps',
  run: async (ctx) => {
    await ctx.step('first', async () => 1);
    await ctx.step('second', async () => 2);
    return ctx.step('third', async () => ({ done: true }));
  },
});

/** The test hook: `charge` throws while this is true. */
let chargeFails = true;
const flaky = defineWorkflow({
  type: 'test.flaky',
  retry: { maxAttempts: 1 },
  run: async (ctx) => {
    await ctx.step('prepare', async () => 'ready');
    await ctx.step('charge', async () => {
      if (chargeFails) throw new NonRetryableError('card declined by the test hook');
      return 'charged';
    });
    return ctx.step('receipt', async () => 'sent');
  },
});

const sleepy = defineWorkflow({
  type: 'test.sleepy',
  run: async (ctx) => {
    await ctx.step('before', async () => null);
    await ctx.sleep('nap', 3_600_000);
    await ctx.step('after', async () => null);
  },
});

let t: TestContext;
const acmeRuns: string[] = [];
let globexRun = '';
let platformRun = '';
let startedBefore = '';

async function call(email: string, method: 'GET' | 'POST', url: string, tenantId: string = acme.id) {
  return t.app.inject({ method, url, headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId } });
}

/** Waits until the run (seen by staff) satisfies `done`. */
async function waitFor(id: string, done: (run: WorkflowStatusDetail) => boolean, timeoutMs = 10_000): Promise<WorkflowStatusDetail> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await call('staff@cbp.test', 'GET', `/workflows/${id}/status`);
    const run = res.json() as WorkflowStatusDetail;
    if (res.statusCode === 200 && done(run)) return run;
    if (Date.now() > until) throw new Error(`run ${id} not there in time: ${res.body}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const auditCount = async (action: string, targetId: string) =>
  (await platformRows<{ n: number; tenant_id: string | null; actor_email: string | null }>(
    t.database.db,
    sql`SELECT count(*)::int AS n, max(tenant_id::text) AS tenant_id, max(actor_email) AS actor_email FROM audit_logs WHERE action = ${action} AND target_id = ${targetId}`,
  ))[0];

beforeAll(async () => {
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25' }, { workflows: [threeSteps, flaky, sleepy] });
  startedBefore = new Date(Date.now() - 1_000).toISOString();
  for (let i = 0; i < 3; i++) acmeRuns.push((await t.app.workflows.start({ type: threeSteps.type, input: { n: i }, tenantId: acme.id })).runId);
  globexRun = (await t.app.workflows.start({ type: threeSteps.type, input: null, tenantId: globex.id })).runId;
  platformRun = (await t.app.workflows.start({ type: threeSteps.type, input: null, tenantId: null })).runId;
  for (const id of [...acmeRuns, globexRun, platformRun]) await waitFor(id, (r) => r.status === 'completed');
});
afterAll(() => t.close());

describe('GET /workflows and /workflows/:id/status', () => {
  it("engineer@acme.test sees Acme's runs, newest first, with their steps", async () => {
    const res = await call('engineer@acme.test', 'GET', `/workflows?type=${threeSteps.type}`);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as WorkflowPage;
    expect(page.total).toBe(3);
    expect(page.data.map((r) => r.id)).toEqual([...acmeRuns].reverse());
    expect(page.data.every((r) => r.tenantId === acme.id && r.status === 'completed' && r.finishedAt !== null && r.duration >= 0)).toBe(true);

    const status = await call('engineer@acme.test', 'GET', `/workflows/${acmeRuns[0]}/status`);
    expect(status.statusCode, status.body).toBe(200);
    const run = status.json() as WorkflowStatusDetail;
    expect(run).toMatchObject({ id: acmeRuns[0], type: threeSteps.type, status: 'completed', currentStep: null, error: null, result: { done: true }, input: { n: 0 } });
    expect(run.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['first', 'completed', 1],
      ['second', 'completed', 1],
      ['third', 'completed', 1],
    ]);
    expect(run.steps.every((s) => s.startedAt !== null && s.finishedAt !== null && s.lastError === null)).toBe(true);
  });

  it('analyst@acme.test is refused (engineer and up)', async () => {
    expect((await call('analyst@acme.test', 'GET', '/workflows')).statusCode).toBe(403);
    expect((await call('analyst@acme.test', 'GET', `/workflows/${acmeRuns[0]}/status`)).statusCode).toBe(403);
  });

  it("Globex's owner never sees Acme's runs: not in the list, 404 like an unknown id", async () => {
    const list = (await call('owner@globex.test', 'GET', '/workflows?limit=100', globex.id)).json() as WorkflowPage;
    expect(list.data.map((r) => r.id)).toEqual([globexRun]);
    expect(list.total).toBe(1);
    for (const url of [`/workflows/${acmeRuns[0]}/status`, `/workflows/${platformRun}/status`, '/workflows/00000000-0000-4000-8000-000000000999/status']) {
      const res = await call('owner@globex.test', 'GET', url, globex.id);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
    for (const action of ['cancel', 'retry']) {
      expect((await call('owner@globex.test', 'POST', `/workflows/${acmeRuns[0]}/${action}`, globex.id)).statusCode).toBe(404);
    }
    // A member's tenant filter cannot widen their scope.
    const widened = (await call('owner@globex.test', 'GET', `/workflows?tenantId=${acme.id}`, globex.id)).json() as WorkflowPage;
    expect(widened.data.map((r) => r.id)).toEqual([globexRun]);
  });

  it("platform staff see every tenant's and the platform's runs, and filter by tenant", async () => {
    const all = (await call('staff@cbp.test', 'GET', `/workflows?type=${threeSteps.type}&limit=100`)).json() as WorkflowPage;
    expect(new Set(all.data.map((r) => r.id))).toEqual(new Set([...acmeRuns, globexRun, platformRun]));
    const platformOnly = (await call('staff@cbp.test', 'GET', `/workflows?type=${threeSteps.type}&tenantId=platform`)).json() as WorkflowPage;
    expect(platformOnly.data.map((r) => [r.id, r.tenantId])).toEqual([[platformRun, null]]);
    const globexOnly = (await call('staff@cbp.test', 'GET', `/workflows?tenantId=${globex.id}`)).json() as WorkflowPage;
    expect(globexOnly.data.map((r) => r.id)).toEqual([globexRun]);
    expect((await call('staff@cbp.test', 'GET', `/workflows/${globexRun}/status`)).statusCode).toBe(200);
  });

  it('pages and filters by status, type and start time', async () => {
    const get = async (query: string) => (await call('engineer@acme.test', 'GET', `/workflows?${query}`)).json() as WorkflowPage;
    const first = await get(`type=${threeSteps.type}&limit=2&page=1`);
    const second = await get(`type=${threeSteps.type}&limit=2&page=2`);
    expect(first.total).toBe(3);
    expect(first.data.map((r) => r.id)).toEqual([acmeRuns[2], acmeRuns[1]]);
    expect(second.data.map((r) => r.id)).toEqual([acmeRuns[0]]);
    expect((await get('status=failed&type=test.three-steps')).total).toBe(0);
    expect((await get(`status=completed&type=${threeSteps.type}`)).total).toBe(3);
    expect((await get('type=test.unknown')).total).toBe(0);
    expect((await get(`type=${threeSteps.type}&from=${encodeURIComponent(startedBefore)}`)).total).toBe(3);
    expect((await get(`type=${threeSteps.type}&to=${encodeURIComponent(startedBefore)}`)).total).toBe(0);
    expect((await get(`type=${threeSteps.type}&from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).total).toBe(0);
    for (const bad of ['limit=101', 'page=0', 'status=paused', 'from=yesterday']) {
      const res = await call('engineer@acme.test', 'GET', `/workflows?${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });
});

describe('a failing run, retry and cancel', () => {
  it('shows the failed step and its error; retry (admin) resumes it to completion, audited', async () => {
    chargeFails = true;
    const { runId } = await t.app.workflows.start({ type: flaky.type, input: null, tenantId: acme.id });
    const failed = await waitFor(runId, (r) => r.status === 'failed');
    expect(failed.currentStep).toBe('charge');
    expect(failed.error).toMatchObject({ message: 'card declined by the test hook', step: 'charge' });
    const charge = failed.steps.find((s) => s.name === 'charge');
    expect(charge).toMatchObject({ status: 'failed', attempts: 1, lastError: { message: 'card declined by the test hook' } });
    expect(charge?.lastError?.stack).toContain('NonRetryableError');
    expect(failed.steps.map((s) => s.name)).toEqual(['prepare', 'charge']);
    const listed = (await call('engineer@acme.test', 'GET', '/workflows?status=failed')).json() as { data: Workflow[] };
    expect(listed.data.find((r) => r.id === runId)).toMatchObject({ status: 'failed', currentStep: 'charge', error: { step: 'charge' } });

    // Engineers watch, admins act.
    expect((await call('engineer@acme.test', 'POST', `/workflows/${runId}/retry`)).statusCode).toBe(403);
    expect((await auditCount('workflow.retried', runId))?.n).toBe(0);

    chargeFails = false;
    const retried = await call('admin@acme.test', 'POST', `/workflows/${runId}/retry`);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ id: runId, attempt: 2 });
    const done = await waitFor(runId, (r) => r.status === 'completed');
    expect(done.result).toBe('sent');
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([
      ['prepare', 'completed'],
      ['charge', 'completed'],
      ['receipt', 'completed'],
    ]);
    expect(done.steps.find((s) => s.name === 'prepare')?.attempts).toBe(1); // not run again
    expect(await auditCount('workflow.retried', runId)).toMatchObject({ n: 1, tenant_id: acme.id, actor_email: 'admin@acme.test' });

    // Only a failed run can be retried.
    const again = await call('admin@acme.test', 'POST', `/workflows/${runId}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'WORKFLOW_NOT_RETRYABLE' });
    expect((await auditCount('workflow.retried', runId))?.n).toBe(1);
  });

  it('cancel (admin) stops a sleeping run before its next step, audited; a closed run cannot be cancelled', async () => {
    const { runId } = await t.app.workflows.start({ type: sleepy.type, input: null, tenantId: acme.id });
    await waitFor(runId, (r) => r.steps.some((s) => s.name === 'nap' && s.status === 'waiting'));
    expect((await call('engineer@acme.test', 'POST', `/workflows/${runId}/cancel`)).statusCode).toBe(403);

    const cancelled = await call('admin@acme.test', 'POST', `/workflows/${runId}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const run = await waitFor(runId, (r) => r.status === 'cancelled');
    expect(run.steps.map((s) => s.name)).toEqual(['before', 'nap']);
    expect(await auditCount('workflow.cancelled', runId)).toMatchObject({ n: 1, tenant_id: acme.id, actor_email: 'admin@acme.test' });

    const again = await call('admin@acme.test', 'POST', `/workflows/${runId}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'WORKFLOW_NOT_RUNNING' });
    const retry = await call('admin@acme.test', 'POST', `/workflows/${runId}/retry`);
    expect(retry.statusCode).toBe(409);
    expect((await auditCount('workflow.cancelled', runId))?.n).toBe(1);
  });

  it("staff may cancel another tenant's run; the entry lands in that tenant's trail", async () => {
    const { runId } = await t.app.workflows.start({ type: sleepy.type, input: null, tenantId: globex.id });
    await waitFor(runId, (r) => r.steps.some((s) => s.name === 'nap' && s.status === 'waiting'));
    const res = await call('staff@cbp.test', 'POST', `/workflows/${runId}/cancel`, acme.id);
    expect(res.statusCode, res.body).toBe(200);
    await waitFor(runId, (r) => r.status === 'cancelled');
    expect(await auditCount('workflow.cancelled', runId)).toMatchObject({ n: 1, tenant_id: globex.id, actor_email: 'staff@cbp.test' });
  });
});
