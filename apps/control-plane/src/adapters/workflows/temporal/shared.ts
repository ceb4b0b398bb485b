import { defaultRetryPolicy, type Json, type RetryPolicy, type StepOptions, type WorkflowDefinition } from '../port.js';

// What the Temporal workflow (sandbox), its activities (worker) and the engine (client) share.
// Imported into the workflow sandbox: no Node.js modules, no I/O here.

/** The one Temporal workflow type that runs every CBP workflow definition. */
export const cbpWorkflowType = 'cbpWorkflow';
/** Activity types: a local step (database transaction) and a remote step (gateway, mail). */
export const localStepActivity = 'cbpLocalStep';
export const remoteStepActivity = 'cbpRemoteStep';

/** Search attributes (Keyword) CBP sets on every run; register them in the namespace (README). */
export const searchAttributeNames = { tenant: 'CbpTenantId', type: 'CbpWorkflowType', run: 'CbpRunId' } as const;
/** `CbpTenantId` of platform workflows (and the prefix of their Temporal workflow ids). */
export const platformTenantKey = 'platform';

/** The argument of `cbpWorkflow`. */
export interface CbpWorkflowArgs {
  type: string;
  tenantId: string | null;
  input: Json;
  /** CBP's id of the run: stable across Temporal resets (operator retries). */
  runId: string;
  /** The caller's workflow id (without the tenant prefix Temporal's carries). */
  workflowId: string;
}

/** A step result as it travels between workflow and activities (`v` absent: the step returned nothing). */
export interface StoredResult {
  v?: Json;
}

/** The argument of both step activities. */
export interface StepActivityInput {
  workflow: CbpWorkflowArgs;
  /** The step to run. */
  step: string;
  /** Results of the steps the workflow completed before this one. */
  completed: Record<string, StoredResult>;
}

/** A step's retry policy: the engine's default, the definition's, then the step's own. */
export function stepRetryPolicy(definition: Pick<WorkflowDefinition, 'retry'>, options: StepOptions | undefined): RetryPolicy {
  return { ...defaultRetryPolicy, ...definition.retry, ...options?.retry };
}

/** The same policy in Temporal's terms; `NonRetryableError` thrown by a step fails it at once. */
export function temporalRetryPolicy(policy: RetryPolicy) {
  return {
    maximumAttempts: policy.maxAttempts,
    initialInterval: Math.max(1, policy.initialIntervalMs),
    backoffCoefficient: Math.max(1, policy.backoffCoefficient),
    maximumInterval: Math.max(1, policy.maxIntervalMs, policy.initialIntervalMs),
    nonRetryableErrorTypes: ['NonRetryableError'],
  };
}

/** Thrown where the workflow's code reached a step name twice (names are the checkpoints' keys). */
export function duplicateStepMessage(type: string, name: string): string {
  return `workflow ${type} uses the step name ${name} twice; step names must be unique within a run`;
}
