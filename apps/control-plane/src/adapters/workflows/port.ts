import type { ScopedTx } from '../../platform/db.js';

// The workflow port. A workflow is written once, as deterministic code that calls named steps
// (Temporal: activities) and durable sleeps (Temporal: timers); its input, step results and
// output are JSON. Engines run it: the built-in one (builtin.ts, runs and steps checkpointed in
// CBP's database) or, later, a Temporal adapter (workflow code in the Temporal sandbox, each
// step an activity, the retry policy the activity's). See docs/decisions/007-workflow-engine.md.
//
// Rules for workflow code (both engines replay it):
// - Deterministic: the same input and the same step results call the same steps in the same
//   order. Clocks, randomness and I/O belong in steps, never in the workflow body.
// - Step names are unique within a run (they are the checkpoint's key and part of the
//   idempotency key); a loop names its steps `send-${i}`.
// - Never swallow what `step`/`sleep` throw: the engine pauses a run by throwing (a step waiting
//   for its retry, a sleep, a cancellation). A step that exhausts its retries fails the run.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A step's result: JSON, or nothing. */
export type StepResult = Json | undefined | void;

export type WorkflowStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';
export const workflowStatuses: readonly WorkflowStatus[] = ['running', 'completed', 'failed', 'cancelled', 'timed_out'];
/** `running`: an attempt is under way (remote steps); `waiting`: backoff before a retry, or a sleep. */
export type StepStatus = 'running' | 'waiting' | 'completed' | 'failed';
export type StepKind = 'local' | 'remote' | 'sleep';

/** Temporal's activity retry policy, with the same meaning. */
export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  maxAttempts: number;
  /** Wait before the second attempt. */
  initialIntervalMs: number;
  /** Each further wait is the previous one times this. */
  backoffCoefficient: number;
  /** Longest wait between attempts. */
  maxIntervalMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 3, initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 60_000 };

/** Wait before attempt `attempt + 1` after `attempt` failed attempts. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const raw = policy.initialIntervalMs * policy.backoffCoefficient ** Math.max(0, attempt - 1);
  return Math.max(0, Math.min(policy.maxIntervalMs, raw));
}

/** Thrown by a step to fail it at once, without further retries (a declined card, a bad input). */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
}

export interface StepOptions {
  /** Merged over the workflow's and the engine's defaults. */
  retry?: Partial<RetryPolicy>;
}

interface StepInfo {
  runId: string;
  /** The run's tenant, or null for a platform workflow. */
  tenantId: string | null;
  stepName: string;
  /** 1 for the first attempt of this step in this run. */
  attempt: number;
  /**
   * Stable across attempts, takeovers and retries of the run: `wf:<runId>:<stepName>`. Pass it
   * to gateways (Stripe `Idempotency-Key`) and to anything else that must not act twice.
   */
  idempotencyKey: string;
}

/** What a local step gets: a transaction scoped to the run's tenant (or the platform scope). */
export interface LocalStepContext extends StepInfo {
  /**
   * The step's effect goes here: it commits together with the step's checkpoint, or not at all.
   * A tenant run's transaction is tenant-scoped (row-level security), a platform run's spans tenants.
   */
  tx: ScopedTx;
}

/** What a remote step gets: no transaction (it calls out); effects at least once, keyed. */
export type RemoteStepContext = StepInfo;

export interface WorkflowContext {
  readonly runId: string;
  readonly workflowId: string;
  readonly tenantId: string | null;
  readonly type: string;
  /**
   * A local step: `fn` runs in a database transaction that also records the step's checkpoint,
   * so its effect happens exactly once. Retried with backoff when it throws (nothing of a failed
   * attempt is kept).
   */
  step<T extends StepResult>(name: string, fn: (ctx: LocalStepContext) => Promise<T>, options?: StepOptions): Promise<T>;
  /**
   * A remote step (gateway, mail, HTTP): `fn` runs outside any transaction and may run again if
   * the process dies before its checkpoint; give `idempotencyKey` to the remote side.
   */
  remoteStep<T extends StepResult>(name: string, fn: (ctx: RemoteStepContext) => Promise<T>, options?: StepOptions): Promise<T>;
  /** A durable sleep: the wake-up time is stored, so it survives restarts. */
  sleep(name: string, ms: number): Promise<void>;
}

export interface WorkflowDefinition<I extends Json = Json, O extends StepResult = StepResult> {
  /** The workflow type (Temporal: the workflow type name). */
  type: string;
  /** Checks a stored input (e.g. a zod schema's parse) before the run starts; throws if invalid. */
  parseInput?: (input: Json) => I;
  /** Default retry policy of this workflow's steps. */
  retry?: Partial<RetryPolicy>;
  run(ctx: WorkflowContext, input: I): Promise<O>;
}

/** Keeps the input and output types of a definition while storing it in a list of definitions. */
export function defineWorkflow<I extends Json, O extends StepResult>(definition: WorkflowDefinition<I, O>): WorkflowDefinition<I, O> {
  return definition;
}

/** Who asks: a tenant sees only its own runs; the platform scope (staff, jobs) sees all of them. */
export type WorkflowScope = { tenantId: string } | { platform: true };

export interface StartWorkflowRequest<I extends Json = Json> {
  type: string;
  input: I;
  /** The tenant the run belongs to, or null for a platform workflow. */
  tenantId: string | null;
  /**
   * Idempotent workflow id (dedupe key), unique per tenant (or among platform workflows):
   * starting it again answers the existing run instead of starting another. A random one by default.
   */
  workflowId?: string;
}

export interface StartedWorkflow {
  runId: string;
  workflowId: string;
  /** False when a run with this workflow id already existed (nothing was started). */
  created: boolean;
  status: WorkflowStatus;
}

export interface WorkflowError {
  message: string;
  stack: string | null;
  /** The step that failed, or null when the workflow's own code threw. */
  step: string | null;
}

export interface WorkflowRun {
  id: string;
  workflowId: string;
  tenantId: string | null;
  type: string;
  status: WorkflowStatus;
  /** 1, then 2, 3, ... after each retry of the failed run. */
  attempt: number;
  input: Json;
  result: Json | null;
  error: WorkflowError | null;
  cancelRequested: boolean;
  startedAt: string;
  closedAt: string | null;
}

export interface WorkflowStep {
  name: string;
  kind: StepKind;
  status: StepStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** A retry's backoff end or a sleep's end while `waiting`. */
  wakeAt: string | null;
  lastError: { message: string; stack: string | null } | null;
  result: Json | null;
}

export interface WorkflowDescription extends WorkflowRun {
  /** The first step not completed, while the run is not closed. */
  currentStep: string | null;
  /** In the order the workflow's code reached them. */
  steps: WorkflowStep[];
}

export interface ListWorkflowsFilter {
  /** Only with the platform scope: one tenant's runs (`null`: platform workflows only). */
  tenantId?: string | null;
  status?: WorkflowStatus;
  type?: string;
  /** Started at or after. */
  from?: Date;
  /** Started before. */
  to?: Date;
  /** 1-based. */
  page?: number;
  /** Default 20, at most 100. */
  limit?: number;
}

/** What a failed run announces (the notifications issue turns it into a domain event). */
export interface WorkflowFailure {
  runId: string;
  workflowId: string;
  tenantId: string | null;
  type: string;
  attempt: number;
  error: WorkflowError;
}

export interface WorkflowEngine {
  readonly kind: 'builtin' | 'temporal';
  /**
   * Starts a run (or answers the existing one with the same workflow id). With `tx`, the run is
   * inserted in the caller's transaction, so it exists exactly when the change that asked for it
   * commits; call `wake()` after that commit for a fast first step.
   */
  start<I extends Json>(request: StartWorkflowRequest<I>, options?: { tx?: ScopedTx }): Promise<StartedWorkflow>;
  /** Asks a running run to stop; it stops before its next step (a step under way finishes). Null if unknown. */
  /** With `tx` (opened in the same scope), the change commits with the caller's; call `wake()` after that commit. */
  cancel(scope: WorkflowScope, runId: string, options?: { tx?: ScopedTx }): Promise<WorkflowRun | null>;
  /**
   * Resumes a failed run at its failed step (completed steps are not run again); refused (throws
   * `WorkflowStateError`) unless the run failed. Null if unknown.
   */
  retry(scope: WorkflowScope, runId: string, options?: { tx?: ScopedTx }): Promise<WorkflowRun | null>;
  list(scope: WorkflowScope, filter?: ListWorkflowsFilter): Promise<{ data: WorkflowRun[]; total: number }>;
  describe(scope: WorkflowScope, runId: string): Promise<WorkflowDescription | null>;
  /** Looks for due work now (after a transactional start commits). */
  wake(): void;
  /** Stops polling, lets steps under way finish and releases their runs. */
  close(): Promise<void>;
}

/** The run is not in a state that allows the operation (retry of a run that did not fail). */
export class WorkflowStateError extends Error {
  override name = 'WorkflowStateError';
  constructor(
    message: string,
    readonly status: WorkflowStatus,
  ) {
    super(message);
  }
}
