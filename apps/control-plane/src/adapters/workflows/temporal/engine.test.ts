import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WorkflowStateError } from '../port.js';
import { cbpRunId, createTemporalWorkflowEngine, type TemporalWorkflowEngine } from './engine.js';
import type { CbpWorkflowArgs } from './shared.js';
import { alreadyStartedDetails, FakeGrpcError, startFakeTemporal, type FakeTemporal } from './testing/fake-server.js';
import { applicationFailure, HistoryBuilder, payload, threeStepsHistory } from './testing/history-builder.js';
import { testDefinitions, threeSteps } from './testing/definitions.js';

// The real @temporalio/client, driven by the engine, against a local gRPC WorkflowService
// (testing/fake-server.ts): the requests it sends (namespace, task queue, search attributes,
// visibility queries with the tenant, reset event id) and how it maps the answers.

const acmeId = '00000000-0000-4000-8000-00000000ac01';
const globexId = '00000000-0000-4000-8000-00000000910b';

interface FakeRun {
  args: CbpWorkflowArgs;
  temporalId: string;
  runId: string;
  status: string;
  history: HistoryBuilder;
  startMs: number;
  pending?: Record<string, unknown>[];
}

let fake: FakeTemporal;
let engine: TemporalWorkflowEngine;
let runs: FakeRun[] = [];

const decodeJson = (p: unknown): unknown => {
  const { data } = p as { data: string };
  return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
};
const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: 0 });

function info(run: FakeRun) {
  return {
    execution: { workflowId: run.temporalId, runId: run.runId },
    type: { name: 'cbpWorkflow' },
    startTime: ts(run.startMs),
    closeTime: run.status === 'WORKFLOW_EXECUTION_STATUS_RUNNING' ? null : ts(run.history.now),
    status: run.status,
    taskQueue: 'cbp-q',
    memo: { fields: { cbpInput: payload(run.args.input) } },
    searchAttributes: {
      indexedFields: {
        CbpTenantId: payload(run.args.tenantId ?? 'platform'),
        CbpWorkflowType: payload(run.args.type),
        CbpRunId: payload(run.args.runId),
      },
    },
  };
}

/** Runs matching a visibility query, as far as CBP's queries go (tenant, type, run id, status). */
function matching(query: string): FakeRun[] {
  const eq = (name: string) => new RegExp(`${name} = '([^']*)'`).exec(query)?.[1];
  const statuses = /ExecutionStatus IN \(([^)]*)\)/.exec(query)?.[1]?.match(/'([^']*)'/g)?.map((s) => s.slice(1, -1));
  const statusName = (s: string) => s.replace('WORKFLOW_EXECUTION_STATUS_', '').toLowerCase().replace('_', '');
  return runs
    .filter((r) => {
      const tenant = eq('CbpTenantId');
      if (tenant !== undefined && (r.args.tenantId ?? 'platform') !== tenant) return false;
      if (eq('CbpWorkflowType') !== undefined && r.args.type !== eq('CbpWorkflowType')) return false;
      if (eq('CbpRunId') !== undefined && r.args.runId !== eq('CbpRunId')) return false;
      if (statuses && !statuses.some((s) => s.toLowerCase() === statusName(r.status))) return false;
      return eq('WorkflowType') === 'cbpWorkflow';
    })
    .sort((a, b) => b.startMs - a.startMs);
}

const find = (execution: { workflowId?: string; runId?: string } | undefined) =>
  [...runs].reverse().find((r) => r.temporalId === execution?.workflowId && (!execution?.runId || r.runId === execution.runId));

function addRun(tenantId: string | null, workflowId: string, status: string, build: (args: CbpWorkflowArgs) => HistoryBuilder, startMs = Date.parse('2026-12-01T10:00:00Z')): FakeRun {
  const temporalId = `${tenantId ?? 'platform'}:${workflowId}`;
  const args: CbpWorkflowArgs = { type: threeSteps.type, tenantId, input: { n: 4 }, runId: cbpRunId(temporalId), workflowId };
  const run: FakeRun = { args, temporalId, runId: `0193a0b4-0000-7000-8000-${String(runs.length + 1).padStart(12, '0')}`, status, history: build(args), startMs };
  runs.push(run);
  return run;
}

beforeAll(async () => {
  fake = await startFakeTemporal();
  fake.handle('StartWorkflowExecution', (req) => {
    const existing = runs.find((r) => r.temporalId === req.workflowId);
    if (existing) throw new FakeGrpcError(grpc.status.ALREADY_EXISTS, 'Workflow execution already started', alreadyStartedDetails(existing.runId));
    const args = decodeJson((req.input as { payloads: unknown[] }).payloads[0]) as CbpWorkflowArgs;
    const run: FakeRun = {
      args,
      temporalId: String(req.workflowId),
      runId: '0193a0b4-0000-7000-8000-0000000000ff',
      status: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
      history: new HistoryBuilder(args).started(),
      startMs: Date.now(),
    };
    runs.push(run);
    return { runId: run.runId, started: true };
  });
  fake.handle('ListWorkflowExecutions', (req) => ({ executions: matching(String(req.query)).slice(0, Number(req.pageSize) || 100).map(info) }));
  fake.handle('CountWorkflowExecutions', (req) => ({ count: matching(String(req.query)).length }));
  fake.handle('DescribeWorkflowExecution', (req) => {
    const run = find(req.execution as { workflowId?: string; runId?: string });
    if (!run) throw new FakeGrpcError(grpc.status.NOT_FOUND, 'workflow not found');
    return { workflowExecutionInfo: info(run), pendingActivities: run.pending ?? [] };
  });
  fake.handle('GetWorkflowExecutionHistory', (req) => {
    const run = find(req.execution as { workflowId?: string; runId?: string });
    if (!run) throw new FakeGrpcError(grpc.status.NOT_FOUND, 'workflow not found');
    return { history: { events: run.history.events } };
  });
  fake.handle('RequestCancelWorkflowExecution', () => ({}));
  fake.handle('ResetWorkflowExecution', () => ({ runId: '0193a0b4-0000-7000-8000-0000000000ee' }));
  engine = createTemporalWorkflowEngine({ address: fake.address, namespace: 'cbp-test', taskQueue: 'cbp-q', workflows: testDefinitions });
});
afterAll(async () => {
  await engine?.close();
  await fake?.close();
});
beforeEach(() => {
  runs = [];
  fake.requests.length = 0;
});

describe('TemporalWorkflowEngine through the real client', () => {
  it('start: cbpWorkflow on the task queue, tenant-prefixed workflow id, reject-duplicate, search attributes; a second start answers created: false', async () => {
    const started = await engine.start({ type: threeSteps.type, tenantId: acmeId, input: { n: 4 }, workflowId: 'order-42' });
    const temporalId = `${acmeId}:order-42`;
    expect(started).toEqual({ runId: cbpRunId(temporalId), workflowId: 'order-42', created: true, status: 'running' });

    const [req] = fake.requestsOf('StartWorkflowExecution');
    expect(req).toMatchObject({
      namespace: 'cbp-test',
      workflowId: temporalId,
      workflowType: { name: 'cbpWorkflow' },
      taskQueue: { name: 'cbp-q' },
      workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE',
    });
    const fields = (req?.searchAttributes as { indexedFields: Record<string, { metadata: Record<string, string> }> }).indexedFields;
    expect(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, decodeJson(v)]))).toEqual({
      CbpTenantId: acmeId,
      CbpWorkflowType: threeSteps.type,
      CbpRunId: started.runId,
    });
    // Keyword, as registered (README): the typed encoding says so.
    expect(Buffer.from(fields.CbpTenantId?.metadata.type ?? '', 'base64').toString()).toBe('Keyword');
    expect(decodeJson((req?.input as { payloads: unknown[] }).payloads[0])).toEqual({
      type: threeSteps.type,
      tenantId: acmeId,
      input: { n: 4 },
      runId: started.runId,
      workflowId: 'order-42',
    });

    const again = await engine.start({ type: threeSteps.type, tenantId: acmeId, input: { n: 4 }, workflowId: 'order-42' });
    expect(again).toEqual({ runId: started.runId, workflowId: 'order-42', created: false, status: 'running' });
    // A platform run's id has its own prefix.
    const platform = await engine.start({ type: threeSteps.type, tenantId: null, input: { n: 1 }, workflowId: 'order-42' });
    expect(platform.created).toBe(true);
    expect(fake.requestsOf('StartWorkflowExecution')[2]?.workflowId).toBe('platform:order-42');
  });

  it('list: the tenant is always in the visibility query, filters map to it, answers map to runs', async () => {
    addRun(acmeId, 'done-1', 'WORKFLOW_EXECUTION_STATUS_COMPLETED', (a) => threeStepsHistory(a));
    const failed = addRun(acmeId, 'bad-1', 'WORKFLOW_EXECUTION_STATUS_FAILED', (a) => new HistoryBuilder(a).started(), Date.parse('2026-12-01T11:00:00Z'));
    addRun(globexId, 'globex-1', 'WORKFLOW_EXECUTION_STATUS_FAILED', (a) => new HistoryBuilder(a).started());

    const acmeFailed = await engine.list({ tenantId: acmeId }, { status: 'failed', type: threeSteps.type, from: new Date('2026-12-01T00:00:00Z') });
    const [query] = fake.requestsOf('ListWorkflowExecutions');
    expect(query).toMatchObject({ namespace: 'cbp-test', pageSize: 20 });
    expect(String(query?.query)).toBe(
      `WorkflowType = 'cbpWorkflow' AND CbpTenantId = '${acmeId}' AND CbpWorkflowType = '${threeSteps.type}' AND ExecutionStatus IN ('Failed') AND StartTime >= '2026-12-01T00:00:00.000Z'`,
    );
    expect(acmeFailed.total).toBe(1);
    expect(acmeFailed.data).toEqual([
      expect.objectContaining({ id: failed.args.runId, workflowId: 'bad-1', tenantId: acmeId, type: threeSteps.type, status: 'failed', input: { n: 4 }, startedAt: '2026-12-01T11:00:00.000Z' }),
    ]);

    // A tenant's scope wins over any tenant filter; staff may ask for one tenant, or see all.
    expect((await engine.list({ tenantId: globexId }, { tenantId: acmeId })).data.map((r) => r.workflowId)).toEqual(['globex-1']);
    expect((await engine.list({ platform: true }, { tenantId: acmeId })).data.map((r) => r.workflowId).sort()).toEqual(['bad-1', 'done-1']);
    expect((await engine.list({ platform: true })).total).toBe(3);
    expect(String(fake.requestsOf('ListWorkflowExecutions').at(-1)?.query)).toBe("WorkflowType = 'cbpWorkflow'");
    // A value CBP would have to escape is refused, never sent.
    const before = fake.requests.length;
    expect(await engine.list({ tenantId: acmeId }, { type: "x' OR CbpTenantId = 'y" })).toEqual({ data: [], total: 0 });
    expect(fake.requests.length).toBe(before);
  });

  it('describe: steps from the history (names, kinds, attempts, timings, results), sleep, result; other tenants get null', async () => {
    const done = addRun(acmeId, 'done-2', 'WORKFLOW_EXECUTION_STATUS_COMPLETED', (a) => threeStepsHistory(a));
    const run = await engine.describe({ tenantId: acmeId }, done.args.runId);
    expect(run).toMatchObject({
      id: done.args.runId,
      workflowId: 'done-2',
      status: 'completed',
      attempt: 1,
      input: { n: 4 },
      result: { a: 5, b: { charged: 50 }, c: 'done 50' },
      error: null,
      currentStep: null,
    });
    expect(run?.steps.map((s) => [s.name, s.kind, s.status, s.attempts, s.result])).toEqual([
      ['reserve', 'local', 'completed', 1, 5],
      ['charge', 'remote', 'completed', 1, { charged: 50 }],
      ['cool-down', 'sleep', 'completed', 1, null],
      ['finish', 'local', 'completed', 1, 'done 50'],
    ]);
    const sleep = run?.steps[2];
    expect(Date.parse(sleep?.finishedAt ?? '') - Date.parse(sleep?.startedAt ?? '')).toBeGreaterThanOrEqual(1_000);
    // The lookup went through visibility with the tenant and the run id in the query.
    expect(String(fake.requestsOf('ListWorkflowExecutions')[0]?.query)).toBe(`WorkflowType = 'cbpWorkflow' AND CbpTenantId = '${acmeId}' AND CbpRunId = '${done.args.runId}'`);
    expect(fake.requestsOf('GetWorkflowExecutionHistory')[0]).toMatchObject({ namespace: 'cbp-test', execution: { workflowId: done.temporalId, runId: done.runId } });

    expect(await engine.describe({ tenantId: globexId }, done.args.runId)).toBeNull();
    expect((await engine.describe({ platform: true }, done.args.runId))?.tenantId).toBe(acmeId);
    expect(await engine.describe({ tenantId: acmeId }, 'not-a-uuid')).toBeNull();
  });

  it('describe of a running run: a step between attempts is waiting, with its last error; cancel sends the request', async () => {
    const running = addRun(acmeId, 'run-1', 'WORKFLOW_EXECUTION_STATUS_RUNNING', (a) => {
      const h = new HistoryBuilder(a).started().step('reserve', 'local', { v: 5 });
      h.scheduleStep('charge', 'remote');
      return h;
    });
    running.pending = [
      {
        activityId: 'charge',
        activityType: { name: 'cbpRemoteStep' },
        state: 'PENDING_ACTIVITY_STATE_SCHEDULED',
        attempt: 3,
        lastFailure: applicationFailure('gateway unavailable'),
        nextAttemptScheduleTime: ts(Date.parse('2026-12-01T10:05:00Z')),
      },
    ];
    const run = await engine.describe({ tenantId: acmeId }, running.args.runId);
    expect(run).toMatchObject({ status: 'running', currentStep: 'charge' });
    expect(run?.steps[1]).toMatchObject({ name: 'charge', status: 'waiting', attempts: 3, wakeAt: '2026-12-01T10:05:00.000Z', lastError: { message: 'gateway unavailable' } });

    const cancelled = await engine.cancel({ tenantId: acmeId }, running.args.runId);
    expect(cancelled).toMatchObject({ id: running.args.runId, status: 'running', cancelRequested: true });
    expect(fake.requestsOf('RequestCancelWorkflowExecution')[0]).toMatchObject({
      namespace: 'cbp-test',
      workflowExecution: { workflowId: running.temporalId, runId: running.runId },
    });
    expect(await engine.cancel({ tenantId: globexId }, running.args.runId)).toBeNull();

    const done = addRun(acmeId, 'done-3', 'WORKFLOW_EXECUTION_STATUS_COMPLETED', (a) => threeStepsHistory(a));
    await expect(engine.cancel({ tenantId: acmeId }, done.args.runId)).rejects.toBeInstanceOf(WorkflowStateError);
    expect(fake.requestsOf('RequestCancelWorkflowExecution')).toHaveLength(1);
  });

  it('a failed run shows its failed step and error; retry resets to the workflow task that scheduled that step', async () => {
    let history!: HistoryBuilder;
    const failed = addRun(acmeId, 'bad-2', 'WORKFLOW_EXECUTION_STATUS_FAILED', (a) => {
      history = new HistoryBuilder(a)
        .started()
        .step('reserve', 'local', { v: 5 })
        .step('charge', 'remote', { v: { charged: 50 } })
        .failedAtStep('finish', 'local', applicationFailure('ledger closed'), 2);
      return history;
    });
    const run = await engine.describe({ tenantId: acmeId }, failed.args.runId);
    expect(run).toMatchObject({ status: 'failed', currentStep: 'finish', error: { message: 'ledger closed', step: 'finish' } });
    expect(run?.error?.stack).toContain('ledger closed');
    expect(run?.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['reserve', 'completed', 1],
      ['charge', 'completed', 1],
      ['finish', 'failed', 2],
    ]);

    const retried = await engine.retry({ tenantId: acmeId }, failed.args.runId);
    expect(retried).toMatchObject({ id: failed.args.runId, status: 'running', attempt: 2, error: null });
    const scheduled = history.events.find((e) => (e.activityTaskScheduledEventAttributes as { activityId?: string } | undefined)?.activityId === 'finish');
    const expectedEventId = (scheduled?.activityTaskScheduledEventAttributes as { workflowTaskCompletedEventId: number }).workflowTaskCompletedEventId;
    const [reset] = fake.requestsOf('ResetWorkflowExecution');
    expect(reset).toMatchObject({ namespace: 'cbp-test', workflowExecution: { workflowId: failed.temporalId, runId: failed.runId }, workflowTaskFinishEventId: expectedEventId });
    // That event is the task completion right before the failed step was scheduled (earlier steps stay recorded).
    expect(history.events[expectedEventId - 1]?.eventType).toBe(7 /* WORKFLOW_TASK_COMPLETED */);
    expect(expectedEventId).toBe(Number((scheduled?.eventId as number) - 1));

    // Only a failed run is retried; another tenant cannot.
    expect(await engine.retry({ tenantId: globexId }, failed.args.runId)).toBeNull();
    const done = addRun(acmeId, 'done-4', 'WORKFLOW_EXECUTION_STATUS_COMPLETED', (a) => threeStepsHistory(a));
    await expect(engine.retry({ tenantId: acmeId }, done.args.runId)).rejects.toBeInstanceOf(WorkflowStateError);
    expect(fake.requestsOf('ResetWorkflowExecution')).toHaveLength(1);
  });
});

