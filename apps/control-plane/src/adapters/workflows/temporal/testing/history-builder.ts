import { defaultPayloadConverter } from '@temporalio/common';
import proto, { type temporal } from '@temporalio/proto';
import { cbpWorkflowType, localStepActivity, remoteStepActivity, type CbpWorkflowArgs, type StepActivityInput, type StoredResult } from '../shared.js';

// Builds Temporal workflow histories event by event, as a Temporal server would record them for
// `cbpWorkflow` (no server can run here to record real ones). Used to write the replay fixtures
// (fixtures/generate.ts) and as what the fake WorkflowService (fake-server.ts) answers.

const { EventType, RetryState, TaskQueueKind } = proto.temporal.api.enums.v1;
// Events in protobufjs's object form (what `History.fromObject` takes: 64-bit integers as numbers).
type Event = Record<string, unknown>;
export type Failure = Record<string, unknown>;

export const payload = (value: unknown): unknown => defaultPayloadConverter.toPayload(value);
const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 });
const duration = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 });

export function applicationFailure(message: string, type = 'Error', nonRetryable = false): Failure {
  return { message, source: 'TypeScriptSDK', stackTrace: `${type}: ${message}\n    at step (definitions.ts:1:1)`, applicationFailureInfo: { type, nonRetryable } };
}

export class HistoryBuilder {
  readonly events: Event[] = [];
  private clock: number;
  private timers = 0;
  private flagsRecorded = false;
  private readonly completed: Record<string, StoredResult> = {};

  constructor(
    readonly args: CbpWorkflowArgs,
    readonly options: { taskQueue?: string; startMs?: number; runId?: string } = {},
  ) {
    this.clock = options.startMs ?? Date.parse('2026-12-01T10:00:00Z');
  }

  private add(eventType: number, attributes: Event, stepMs = 10): number {
    this.clock += stepMs;
    const eventId = this.events.length + 1;
    this.events.push({ eventId, eventTime: ts(this.clock), eventType, ...attributes });
    return eventId;
  }

  private get taskQueue() {
    return { name: this.options.taskQueue ?? 'cbp', kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
  }

  started(): this {
    const runId = this.options.runId ?? '0193a0b4-0000-7000-8000-000000000001';
    this.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: cbpWorkflowType },
        taskQueue: this.taskQueue,
        input: { payloads: [payload(this.args)] },
        workflowTaskTimeout: duration(10_000),
        originalExecutionRunId: runId,
        firstExecutionRunId: runId,
        attempt: 1,
        identity: 'cbp-test',
        searchAttributes: {
          indexedFields: {
            CbpTenantId: payload([this.args.tenantId ?? 'platform']),
            CbpWorkflowType: payload([this.args.type]),
            CbpRunId: payload([this.args.runId]),
          },
        },
      },
    });
    return this;
  }

  /** A workflow task scheduled, started and completed; returns the completed event's id. */
  workflowTask(): number {
    const scheduledEventId = this.add(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      workflowTaskScheduledEventAttributes: { taskQueue: this.taskQueue, startToCloseTimeout: duration(10_000), attempt: 1 },
    });
    const startedEventId = this.add(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: { scheduledEventId, identity: 'cbp-worker', requestId: `wft-${scheduledEventId}` },
    });
    // The first task records the core flags a 1.24 worker uses, as a real recording would: among
    // them IdAndTypeDeterminismChecks (1), without which replay does not compare activity ids and types.
    const sdkMetadata = this.flagsRecorded ? {} : { coreUsedFlags: [1, 2, 3] };
    this.flagsRecorded = true;
    return this.add(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
      workflowTaskCompletedEventAttributes: { scheduledEventId, startedEventId, identity: 'cbp-worker', sdkMetadata },
    });
  }

  /** A workflow task, then the step's activity scheduled; returns its scheduled event id. */
  scheduleStep(name: string, kind: 'local' | 'remote'): number {
    const workflowTaskCompletedEventId = this.workflowTask();
    const input: StepActivityInput = { workflow: this.args, step: name, completed: { ...this.completed } };
    return this.add(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: {
        activityId: name,
        activityType: { name: kind === 'local' ? localStepActivity : remoteStepActivity },
        taskQueue: this.taskQueue,
        input: { payloads: [payload(input)] },
        startToCloseTimeout: duration(600_000),
        workflowTaskCompletedEventId,
        retryPolicy: { maximumAttempts: 3, backoffCoefficient: 2, initialInterval: duration(1_000), maximumInterval: duration(60_000) },
      },
      userMetadata: { summary: payload(name) },
    });
  }

  /** A step that completes (after `attempt` attempts). */
  step(name: string, kind: 'local' | 'remote', result: StoredResult, attempt = 1): this {
    const scheduledEventId = this.scheduleStep(name, kind);
    const startedEventId = this.add(
      EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
      { activityTaskStartedEventAttributes: { scheduledEventId, identity: 'cbp-worker', requestId: `act-${scheduledEventId}`, attempt } },
      200,
    );
    this.add(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
      activityTaskCompletedEventAttributes: { scheduledEventId, startedEventId, result: { payloads: [payload(result)] }, identity: 'cbp-worker' },
    });
    this.completed[name] = result;
    return this;
  }

  /** A step whose last attempt failed (retries exhausted); returns the failed event's ids. */
  failStep(name: string, kind: 'local' | 'remote', failure: Failure, attempt: number): { scheduledEventId: number; startedEventId: number } {
    const scheduledEventId = this.scheduleStep(name, kind);
    const startedEventId = this.add(
      EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
      { activityTaskStartedEventAttributes: { scheduledEventId, identity: 'cbp-worker', requestId: `act-${scheduledEventId}`, attempt, lastFailure: failure } },
      200,
    );
    this.add(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
      activityTaskFailedEventAttributes: {
        scheduledEventId,
        startedEventId,
        failure,
        retryState: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED,
        identity: 'cbp-worker',
      },
    });
    return { scheduledEventId, startedEventId };
  }

  /** A durable sleep: the timer started (and fired unless `fired` is false). */
  sleep(name: string, ms: number, fired = true): this {
    const workflowTaskCompletedEventId = this.workflowTask();
    const timerId = String(++this.timers);
    const startedEventId = this.add(EventType.EVENT_TYPE_TIMER_STARTED, {
      timerStartedEventAttributes: { timerId, startToFireTimeout: duration(ms), workflowTaskCompletedEventId },
      userMetadata: { summary: payload(name) },
    });
    if (fired) this.add(EventType.EVENT_TYPE_TIMER_FIRED, { timerFiredEventAttributes: { timerId, startedEventId } }, ms);
    return this;
  }

  completed_(result: StoredResult): this {
    const workflowTaskCompletedEventId = this.workflowTask();
    this.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
      workflowExecutionCompletedEventAttributes: { result: { payloads: [payload(result)] }, workflowTaskCompletedEventId },
    });
    return this;
  }

  /** The run fails because the step failed (the workflow rethrows the ActivityFailure). */
  failedAtStep(name: string, kind: 'local' | 'remote', cause: Failure, attempt: number): this {
    const { scheduledEventId, startedEventId } = this.failStep(name, kind, cause, attempt);
    const workflowTaskCompletedEventId = this.workflowTask();
    this.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
      workflowExecutionFailedEventAttributes: {
        failure: {
          message: 'Activity task failed',
          source: 'TypeScriptSDK',
          cause,
          activityFailureInfo: {
            scheduledEventId,
            startedEventId,
            activityType: { name: kind === 'local' ? localStepActivity : remoteStepActivity },
            activityId: name,
            retryState: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED,
          },
        },
        retryState: RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET,
        workflowTaskCompletedEventId,
      },
    });
    return this;
  }

  cancelRequested(): this {
    this.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, { workflowExecutionCancelRequestedEventAttributes: { identity: 'cbp-api' } });
    return this;
  }

  history(): temporal.api.history.v1.History {
    return proto.temporal.api.history.v1.History.fromObject({ events: this.events });
  }

  /** The current clock of the builder (ms since epoch of the last event). */
  get now(): number {
    return this.clock;
  }
}

/** The completed run of `test.three-steps` with input `{ n: 4 }`, as a server records it. */
export function threeStepsHistory(args: CbpWorkflowArgs): HistoryBuilder {
  return new HistoryBuilder(args)
    .started()
    .step('reserve', 'local', { v: 5 })
    .step('charge', 'remote', { v: { charged: 50 } })
    .sleep('cool-down', 1_000)
    .step('finish', 'local', { v: 'done 50' })
    .completed_({ v: { a: 5, b: { charged: 50 }, c: 'done 50' } });
}

export const threeStepsArgs: CbpWorkflowArgs = {
  type: 'test.three-steps',
  tenantId: '00000000-0000-4000-8000-0000000000a1',
  input: { n: 4 },
  runId: '6f1c1e2a-5d9b-5c1e-9a0b-2f1e3d4c5b6a',
  workflowId: 'order-42',
};

// Fixtures are the History message in protobufjs's JSON form (camelCase fields, enum names,
// 64-bit integers as strings, bytes in base64). `historyToJSON`/`historyFromJSON` of
// @temporalio/common cannot be used here: npm installs two copies of protobufjs under
// @temporalio/common and @temporalio/proto, and their type checks fail across copies.
const jsonForm = { longs: String, enums: String, bytes: String } as const;

export function historyToFixture(history: temporal.api.history.v1.IHistory): unknown {
  return proto.temporal.api.history.v1.History.toObject(proto.temporal.api.history.v1.History.fromObject(history), jsonForm);
}

export function historyFromFixture(json: unknown): temporal.api.history.v1.History {
  return proto.temporal.api.history.v1.History.fromObject(json as Record<string, unknown>);
}
