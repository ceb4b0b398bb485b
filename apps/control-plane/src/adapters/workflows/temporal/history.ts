import { defaultPayloadConverter } from '@temporalio/common';
import proto, { type google, type temporal } from '@temporalio/proto';
import type { Json, StepKind, WorkflowError, WorkflowStatus, WorkflowStep } from '../port.js';
import { localStepActivity, searchAttributeNames, platformTenantKey, type StoredResult } from './shared.js';

// Reading Temporal's answers (execution infos, histories) into the port's shapes (engine.ts).

const { EventType, WorkflowExecutionStatus, PendingActivityState } = proto.temporal.api.enums.v1;
type Payload = temporal.api.common.v1.IPayload;
type Timestamp = google.protobuf.ITimestamp | null | undefined;
type LongLike = number | { toNumber(): number } | string | null | undefined;

export const toNumber = (v: LongLike): number => (v === null || v === undefined ? 0 : typeof v === 'object' ? v.toNumber() : Number(v));
export const toMs = (t: Timestamp): number | null => (t ? toNumber(t.seconds as LongLike) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : null);
export const toIso = (t: Timestamp): string | null => {
  const ms = toMs(t);
  return ms === null ? null : new Date(ms).toISOString();
};
const durationMs = (d: google.protobuf.IDuration | null | undefined) => (d ? toNumber(d.seconds as LongLike) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : 0);

export function decode<T = unknown>(payload: Payload | null | undefined): T | undefined {
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
}

/** A Keyword search attribute's value (typed: a string; the older encoding: a list of one). */
export function keyword(fields: Record<string, Payload> | null | undefined, name: string): string | null {
  const value = decode<unknown>(fields?.[name]);
  const first = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof first === 'string' ? first : null;
}

/**
 * Temporal's status in the port's terms. Terminated is `cancelled`: only an operator terminates
 * a CBP run (CBP itself cancels), and for the tenant it was stopped, it did not fail.
 * Continued-as-new (CBP never continues a run as new) would mean the run goes on: `running`.
 */
export function mapStatus(status: temporal.api.enums.v1.WorkflowExecutionStatus | null | undefined): WorkflowStatus {
  switch (status) {
    case WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED:
      return 'completed';
    case WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED:
      return 'failed';
    case WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED:
    case WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED:
      return 'cancelled';
    case WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
      return 'timed_out';
    default:
      return 'running';
  }
}

/** Visibility query values of `ExecutionStatus` for a port status. */
export const visibilityStatuses: Record<WorkflowStatus, string[]> = {
  running: ['Running', 'ContinuedAsNew'],
  completed: ['Completed'],
  failed: ['Failed'],
  cancelled: ['Canceled', 'Terminated'],
  timed_out: ['TimedOut'],
};

/** The run's identity from its search attributes. */
export function runIdentity(fields: Record<string, Payload> | null | undefined, temporalWorkflowId: string) {
  const tenantKey = keyword(fields, searchAttributeNames.tenant);
  const prefix = `${tenantKey ?? ''}:`;
  return {
    id: keyword(fields, searchAttributeNames.run),
    tenantId: tenantKey === null || tenantKey === platformTenantKey ? null : tenantKey,
    tenantKey,
    type: keyword(fields, searchAttributeNames.type) ?? '',
    workflowId: temporalWorkflowId.startsWith(prefix) ? temporalWorkflowId.slice(prefix.length) : temporalWorkflowId,
  };
}

/** The innermost failure's message and stack (an ActivityFailure wraps the step's own error). */
export function failureParts(failure: temporal.api.failure.v1.IFailure | null | undefined): { message: string; stack: string | null } {
  let f = failure;
  while (f?.cause) f = f.cause;
  return { message: f?.message || 'failed', stack: f?.stackTrace || null };
}

interface StepState extends WorkflowStep {
  scheduledEventId: number;
}

export interface HistorySummary {
  input: Json;
  steps: WorkflowStep[];
  result: Json | null;
  error: WorkflowError | null;
  /** 1 + the resets (operator retries) this run's history went through. */
  attempt: number;
  cancelRequested: boolean;
  /** Where a retry resets to: the workflow task that scheduled the failed step (or that failed the run). */
  resetEventId: number | null;
}

/** Steps, result and error of a run from its history, completed with its pending activities. */
export function summarizeHistory(
  events: temporal.api.history.v1.IHistoryEvent[],
  pending: temporal.api.workflow.v1.IPendingActivityInfo[] = [],
): HistorySummary {
  const steps: StepState[] = [];
  const byScheduled = new Map<number, StepState>();
  const timers = new Map<string, StepState>();
  const out: HistorySummary = { input: null, steps: [], result: null, error: null, attempt: 1, cancelRequested: false, resetEventId: null };
  let lastFailedStep: StepState | null = null;

  for (const e of events) {
    const id = toNumber(e.eventId as LongLike);
    const at = toIso(e.eventTime);
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const args = decode<{ input?: Json }>(e.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]);
        out.input = args?.input ?? null;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
        if (e.workflowTaskFailedEventAttributes?.cause === proto.temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW) out.attempt += 1;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = e.activityTaskScheduledEventAttributes;
        const kind: StepKind = a?.activityType?.name === localStepActivity ? 'local' : 'remote';
        const step: StepState = {
          scheduledEventId: id,
          name: a?.activityId ?? `activity-${id}`,
          kind,
          // Scheduled: an attempt is under way as far as CBP can tell (a worker takes it from the queue).
          status: 'running',
          attempts: 0,
          startedAt: at,
          finishedAt: null,
          wakeAt: null,
          lastError: null,
          result: null,
        };
        steps.push(step);
        byScheduled.set(id, step);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const a = e.activityTaskStartedEventAttributes;
        const step = byScheduled.get(toNumber(a?.scheduledEventId as LongLike));
        if (step) {
          step.status = 'running';
          step.attempts = a?.attempt ?? 1;
          if (a?.lastFailure) step.lastError = failureParts(a.lastFailure);
        }
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = e.activityTaskCompletedEventAttributes;
        const step = byScheduled.get(toNumber(a?.scheduledEventId as LongLike));
        if (step) {
          step.status = 'completed';
          step.finishedAt = at;
          step.result = decode<StoredResult>(a?.result?.payloads?.[0])?.v ?? null;
        }
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const a = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
        const step = byScheduled.get(toNumber(a?.scheduledEventId as LongLike));
        if (step) {
          step.status = 'failed';
          step.finishedAt = at;
          const failure = e.activityTaskFailedEventAttributes?.failure ?? e.activityTaskTimedOutEventAttributes?.failure;
          step.lastError = failure ? failureParts(failure) : { message: 'cancelled', stack: null };
          lastFailedStep = step;
        }
        break;
      }
      case EventType.EVENT_TYPE_TIMER_STARTED: {
        const a = e.timerStartedEventAttributes;
        const name = decode<string>(e.userMetadata?.summary) ?? `sleep-${a?.timerId ?? id}`;
        const fireMs = (toMs(e.eventTime) ?? 0) + durationMs(a?.startToFireTimeout);
        const step: StepState = {
          scheduledEventId: id,
          name,
          kind: 'sleep',
          status: 'waiting',
          attempts: 1,
          startedAt: at,
          finishedAt: null,
          wakeAt: new Date(fireMs).toISOString(),
          lastError: null,
          result: null,
        };
        steps.push(step);
        timers.set(a?.timerId ?? '', step);
        break;
      }
      case EventType.EVENT_TYPE_TIMER_FIRED:
      case EventType.EVENT_TYPE_TIMER_CANCELED: {
        const timerId = e.timerFiredEventAttributes?.timerId ?? e.timerCanceledEventAttributes?.timerId ?? '';
        const step = timers.get(timerId);
        if (step) {
          step.status = e.timerFiredEventAttributes ? 'completed' : 'failed';
          step.finishedAt = at;
          step.wakeAt = null;
          if (!e.timerFiredEventAttributes) step.lastError = { message: 'cancelled', stack: null };
        }
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        out.cancelRequested = true;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        out.result = decode<StoredResult>(e.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0])?.v ?? null;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
        const a = e.workflowExecutionFailedEventAttributes;
        const activityId = a?.failure?.activityFailureInfo?.activityId ?? null;
        const failedStep = activityId ? (steps.find((s) => s.name === activityId) ?? lastFailedStep) : null;
        out.error = { ...failureParts(a?.failure), step: failedStep?.name ?? null };
        // Retry resumes at the failed step: reset to the workflow task that scheduled it, so the
        // new run keeps every earlier step's recorded result and schedules this one again.
        out.resetEventId = failedStep
          ? toNumber(events.find((x) => toNumber(x.eventId as LongLike) === failedStep.scheduledEventId)?.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId as LongLike)
          : toNumber(a?.workflowTaskCompletedEventId as LongLike);
        break;
      }
      default:
        break;
    }
  }

  // Activities under way or between attempts: the history shows them only when they end.
  for (const p of pending) {
    const step = steps.find((s) => s.name === p.activityId && s.status !== 'completed' && s.status !== 'failed');
    if (!step) continue;
    step.attempts = p.attempt ?? step.attempts;
    if (p.lastFailure) step.lastError = failureParts(p.lastFailure);
    if (p.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) step.status = 'running';
    else if ((p.attempt ?? 1) > 1) {
      step.status = 'waiting';
      step.wakeAt = toIso(p.nextAttemptScheduleTime);
    }
  }
  out.steps = steps.map(({ scheduledEventId: _, ...step }) => step);
  return out;
}
