import { createHash, randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import {
  WorkflowStateError,
  type Json,
  type ListWorkflowsFilter,
  type StartedWorkflow,
  type StartWorkflowRequest,
  type WorkflowDefinition,
  type WorkflowDescription,
  type WorkflowEngine,
  type WorkflowRun,
  type WorkflowScope,
} from '../port.js';
import type { AppDb } from '../../../platform/db.js';
import { mapStatus, runIdentity, summarizeHistory, toIso, visibilityStatuses } from './history.js';
import { createTemporalWorker, type TemporalWorkerHandle } from './worker.js';
import { cbpWorkflowType, platformTenantKey, searchAttributeNames, type CbpWorkflowArgs } from './shared.js';

// The port over Temporal (decision 008): the client side. Runs are `cbpWorkflow` executions on
// CBP's task queue, with workflow id `<tenantId|platform>:<workflowId>` and three Keyword search
// attributes: CbpTenantId, CbpWorkflowType and CbpRunId (CBP's id of the run, a UUID derived from
// the workflow id, stable across resets). Lists and lookups go through the visibility API with the
// tenant always in the query; status and steps come from describe + history.

export interface TemporalEngineOptions {
  /** host:port of the Temporal frontend (TEMPORAL_ADDRESS). */
  address: string;
  namespace?: string;
  taskQueue?: string;
  workflows: readonly WorkflowDefinition[];
  /** Who CBP is in Temporal's records (cancel and reset requests). */
  identity?: string;
  /** Also run a Temporal worker in this process (TEMPORAL_WORKER=api) on this database. */
  worker?: { db: AppDb; logger?: { error(obj: object, msg: string): void } };
}

const tenantKey = defineSearchAttributeKey(searchAttributeNames.tenant, SearchAttributeType.KEYWORD);
const typeKey = defineSearchAttributeKey(searchAttributeNames.type, SearchAttributeType.KEYWORD);
const runKey = defineSearchAttributeKey(searchAttributeNames.run, SearchAttributeType.KEYWORD);

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Values CBP puts in visibility queries: anything else is refused rather than escaped. */
const safeValue = /^[\w.:/-]{1,200}$/;

/** CBP's run id of a Temporal workflow id: a name-based (v5-style) UUID, the same on every reset. */
export function cbpRunId(temporalWorkflowId: string): string {
  const hash = createHash('sha1').update('cbp-workflow-run:').update(temporalWorkflowId).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface Located {
  id: string;
  execution: { workflowId: string; runId: string };
  info: temporal.api.workflow.v1.IWorkflowExecutionInfo;
}

export class TemporalWorkflowEngine implements WorkflowEngine {
  readonly kind = 'temporal';
  readonly namespace: string;
  readonly taskQueue: string;
  readonly connection: Connection;
  private readonly client: Client;
  private readonly definitions = new Map<string, WorkflowDefinition>();
  private readonly identity: string;
  private readonly worker: Promise<TemporalWorkerHandle | null> | null = null;

  constructor(options: TemporalEngineOptions & { connection?: Connection }) {
    this.namespace = options.namespace ?? 'default';
    this.taskQueue = options.taskQueue ?? 'cbp';
    this.identity = options.identity ?? `cbp-api@${process.pid}`;
    for (const d of options.workflows) this.definitions.set(d.type, d);
    // Lazy: the API starts without Temporal reachable; the first call connects.
    this.connection = options.connection ?? Connection.lazy({ address: options.address });
    this.client = new Client({ connection: this.connection, namespace: this.namespace, identity: this.identity });
    const worker = options.worker;
    if (worker) {
      // In the background: the API serves while the bundle builds; a worker that cannot start is logged.
      this.worker = createTemporalWorker({ address: options.address, namespace: this.namespace, taskQueue: this.taskQueue, db: worker.db, workflows: options.workflows }).then(
        (handle) => {
          handle.done.catch((err: unknown) => worker.logger?.error({ err }, 'Temporal worker stopped'));
          return handle;
        },
        (err: unknown) => {
          worker.logger?.error({ err }, 'Temporal worker could not start');
          return null;
        },
      );
    }
  }

  private get service() {
    return this.connection.workflowService;
  }

  // ---------------------------------------------------------------- start

  /**
   * Starts `cbpWorkflow`. `options.tx` cannot be honoured: Temporal is not in CBP's transaction,
   * so the run starts now, whether or not the caller's transaction commits (decision 008).
   */
  async start<I extends Json>(request: StartWorkflowRequest<I>): Promise<StartedWorkflow> {
    const definition = this.definitions.get(request.type);
    if (!definition) throw new Error(`unknown workflow type ${request.type}`);
    const input = (definition.parseInput ? definition.parseInput(request.input) : request.input) as Json;
    const workflowId = request.workflowId ?? randomUUID();
    const key = request.tenantId ?? platformTenantKey;
    const temporalId = `${key}:${workflowId}`;
    const runId = cbpRunId(temporalId);
    const args: CbpWorkflowArgs = { type: request.type, tenantId: request.tenantId, input, runId, workflowId };
    try {
      await this.client.workflow.start(cbpWorkflowType, {
        taskQueue: this.taskQueue,
        workflowId: temporalId,
        args: [args],
        // The workflow id is the dedupe key: never a second run with it (within the namespace's retention).
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: tenantKey, value: key },
          { key: typeKey, value: request.type },
          { key: runKey, value: runId },
        ],
        memo: { cbpInput: input },
      });
      return { runId, workflowId, created: true, status: 'running' };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const described = await this.service.describeWorkflowExecution({ namespace: this.namespace, execution: { workflowId: temporalId } });
      return { runId, workflowId, created: false, status: mapStatus(described.workflowExecutionInfo?.status) };
    }
  }

  // ---------------------------------------------------------------- queries

  /** The visibility query of a scope: CBP's runs only, and a tenant's own only. */
  private scopeQuery(scope: WorkflowScope, tenantFilter?: string | null): string[] | null {
    const clauses = [`WorkflowType = '${cbpWorkflowType}'`];
    const tenant = 'tenantId' in scope ? scope.tenantId : tenantFilter === undefined ? undefined : (tenantFilter ?? platformTenantKey);
    if (tenant !== undefined) {
      if (tenant !== platformTenantKey && !uuidPattern.test(tenant)) return null;
      clauses.push(`${searchAttributeNames.tenant} = '${tenant}'`);
    }
    return clauses;
  }

  private toRun(info: temporal.api.workflow.v1.IWorkflowExecutionInfo): WorkflowRun {
    const who = runIdentity(info.searchAttributes?.indexedFields, info.execution?.workflowId ?? '');
    const memo = info.memo?.fields?.cbpInput;
    return {
      id: who.id ?? '',
      workflowId: who.workflowId,
      tenantId: who.tenantId,
      type: who.type,
      status: mapStatus(info.status),
      attempt: 1,
      input: memo ? ((this.client.options.loadedDataConverter.payloadConverter.fromPayload(memo) as Json) ?? null) : null,
      result: null,
      error: null,
      cancelRequested: false,
      startedAt: toIso(info.startTime) ?? new Date(0).toISOString(),
      closedAt: toIso(info.closeTime),
    };
  }

  async list(scope: WorkflowScope, filter: ListWorkflowsFilter = {}): Promise<{ data: WorkflowRun[]; total: number }> {
    const limit = Math.min(100, Math.max(1, filter.limit ?? 20));
    const page = Math.max(1, filter.page ?? 1);
    const clauses = this.scopeQuery(scope, 'tenantId' in scope ? undefined : filter.tenantId);
    if (!clauses || (filter.type !== undefined && !safeValue.test(filter.type))) return { data: [], total: 0 };
    if (filter.type !== undefined) clauses.push(`${searchAttributeNames.type} = '${filter.type}'`);
    if (filter.status) clauses.push(`ExecutionStatus IN (${visibilityStatuses[filter.status].map((s) => `'${s}'`).join(', ')})`);
    if (filter.from) clauses.push(`StartTime >= '${filter.from.toISOString()}'`);
    if (filter.to) clauses.push(`StartTime < '${filter.to.toISOString()}'`);
    const query = clauses.join(' AND ');
    // Visibility pages by token: walk to the asked page.
    let nextPageToken: Uint8Array | null | undefined;
    let executions: temporal.api.workflow.v1.IWorkflowExecutionInfo[] = [];
    for (let p = 1; p <= page; p++) {
      const answer = await this.service.listWorkflowExecutions({ namespace: this.namespace, pageSize: limit, nextPageToken, query });
      executions = answer.executions ?? [];
      nextPageToken = answer.nextPageToken;
      if (p < page && !nextPageToken?.length) {
        executions = [];
        break;
      }
    }
    const counted = await this.service.countWorkflowExecutions({ namespace: this.namespace, query });
    return { data: executions.map((info) => this.toRun(info)), total: Number(counted.count ?? 0) };
  }

  /** The newest execution of a CBP run visible in the scope (a reset leaves the failed one behind). */
  private async locate(scope: WorkflowScope, id: string): Promise<Located | null> {
    if (!uuidPattern.test(id)) return null;
    const clauses = this.scopeQuery(scope);
    if (!clauses) return null;
    clauses.push(`${searchAttributeNames.run} = '${id.toLowerCase()}'`);
    const answer = await this.service.listWorkflowExecutions({ namespace: this.namespace, pageSize: 10, query: clauses.join(' AND ') });
    const newest = [...(answer.executions ?? [])].sort((a, b) => (toIso(b.startTime) ?? '').localeCompare(toIso(a.startTime) ?? ''))[0];
    const workflowId = newest?.execution?.workflowId;
    const runId = newest?.execution?.runId;
    if (!newest || !workflowId || !runId) return null;
    // The scope again, from the run's own attributes (never trust the query alone).
    const who = runIdentity(newest.searchAttributes?.indexedFields, workflowId);
    if ('tenantId' in scope && who.tenantId !== scope.tenantId) return null;
    return { id, execution: { workflowId, runId }, info: newest };
  }

  private async history(execution: Located['execution']): Promise<temporal.api.history.v1.IHistoryEvent[]> {
    const events: temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | null | undefined;
    do {
      const page = await this.service.getWorkflowExecutionHistory({ namespace: this.namespace, execution, nextPageToken });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken;
    } while (nextPageToken?.length);
    return events;
  }

  async describe(scope: WorkflowScope, id: string): Promise<WorkflowDescription | null> {
    const found = await this.locate(scope, id);
    if (!found) return null;
    const described = await this.service.describeWorkflowExecution({ namespace: this.namespace, execution: found.execution });
    const info = described.workflowExecutionInfo ?? found.info;
    const summary = summarizeHistory(await this.history(found.execution), described.pendingActivities ?? []);
    const run = this.toRun(info);
    const open =
      run.status === 'running' ? summary.steps.find((s) => s.status !== 'completed') : run.status === 'failed' ? summary.steps.find((s) => s.status === 'failed') : undefined;
    return {
      ...run,
      id,
      input: summary.input,
      attempt: summary.attempt,
      result: summary.result,
      error: summary.error,
      cancelRequested: summary.cancelRequested,
      currentStep: open?.name ?? null,
      steps: summary.steps,
    };
  }

  // ---------------------------------------------------------------- cancel, retry

  async cancel(scope: WorkflowScope, id: string): Promise<WorkflowRun | null> {
    const run = await this.describe(scope, id);
    if (!run) return null;
    if (run.status !== 'running') throw new WorkflowStateError(`workflow run ${id} is ${run.status}, not running`, run.status);
    const found = await this.locate(scope, id);
    if (!found) return null;
    await this.service.requestCancelWorkflowExecution({
      namespace: this.namespace,
      workflowExecution: found.execution,
      identity: this.identity,
      requestId: randomUUID(),
      reason: 'cancelled in CBP',
    });
    return { ...run, cancelRequested: true };
  }

  /**
   * Retry = reset: a new execution of the same workflow id whose history is the failed one's up
   * to the workflow task that scheduled the failed step. Completed steps keep their recorded
   * results (they do not run again), the failed step is scheduled anew with fresh attempts, and
   * the CbpRunId stays, so CBP's id of the run is unchanged (decision 008).
   */
  async retry(scope: WorkflowScope, id: string): Promise<WorkflowRun | null> {
    const found = await this.locate(scope, id);
    if (!found) return null;
    const described = await this.service.describeWorkflowExecution({ namespace: this.namespace, execution: found.execution });
    const status = mapStatus(described.workflowExecutionInfo?.status ?? found.info.status);
    const base = this.toRun(described.workflowExecutionInfo ?? found.info);
    if (status !== 'failed') {
      throw new WorkflowStateError(`only a failed run can be retried; ${id} is ${status}`, status);
    }
    const summary = summarizeHistory(await this.history(found.execution));
    if (!summary.resetEventId) throw new Error(`workflow run ${id} has no point to reset to`);
    await this.service.resetWorkflowExecution({
      namespace: this.namespace,
      workflowExecution: found.execution,
      reason: `CBP retry of ${summary.error?.step ? `step ${summary.error.step}` : 'the failed run'}`,
      // protobufjs writes a number into an int64 field; the generated type names only Long.
      workflowTaskFinishEventId: summary.resetEventId as unknown as temporal.api.workflowservice.v1.IResetWorkflowExecutionRequest['workflowTaskFinishEventId'],
      requestId: randomUUID(),
    });
    return { ...base, id, status: 'running', attempt: summary.attempt + 1, error: null, closedAt: null, input: summary.input };
  }

  wake(): void {
    // Temporal dispatches work itself.
  }

  async close(): Promise<void> {
    const worker = await this.worker;
    await worker?.shutdown().catch(() => {});
    await this.connection.close();
  }
}

export function createTemporalWorkflowEngine(options: TemporalEngineOptions & { connection?: Connection }): TemporalWorkflowEngine {
  return new TemporalWorkflowEngine(options);
}
