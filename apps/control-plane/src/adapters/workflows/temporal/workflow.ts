import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  proxyActivities,
  sleep,
  TemporalFailure,
} from '@temporalio/workflow';
import type { Json, StepKind, StepOptions, StepResult, WorkflowContext, WorkflowDefinition } from '../port.js';
import {
  duplicateStepMessage,
  localStepActivity,
  remoteStepActivity,
  stepRetryPolicy,
  temporalRetryPolicy,
  type CbpWorkflowArgs,
  type StepActivityInput,
  type StoredResult,
} from './shared.js';

// The Temporal side of a CBP workflow: ONE workflow function that runs any definition's `run`
// inside Temporal's sandbox (decision 008). Each `step`/`remoteStep` is an activity whose id is
// the step's name (so a definition that changes its step order no longer replays: Temporal
// reports non-determinism); `sleep` is a timer named by its summary. Step functions are never
// called here: the activity re-runs the definition outside the sandbox up to the named step.

type StepActivity = (input: StepActivityInput) => Promise<StoredResult>;

/** How long one attempt of a step may take before Temporal retries it. */
const stepAttemptTimeout = '10 minutes';

/** Builds `cbpWorkflow` over a list of definitions (the workflows entry exports the result). */
export function makeCbpWorkflow(definitions: readonly WorkflowDefinition[]) {
  const byType = new Map(definitions.map((d) => [d.type, d]));

  return async function cbpWorkflow(args: CbpWorkflowArgs): Promise<StoredResult> {
    const definition = byType.get(args.type);
    if (!definition) throw ApplicationFailure.nonRetryable(`unknown workflow type ${args.type}`, 'UnknownWorkflowType');
    const root = CancellationScope.current();
    const completed: Record<string, StoredResult> = {};
    const names = new Set<string>();

    const claimName = (name: string) => {
      if (names.has(name)) throw ApplicationFailure.nonRetryable(duplicateStepMessage(args.type, name), 'DuplicateStepName');
      names.add(name);
    };

    const runStep = async <T extends StepResult>(kind: Exclude<StepKind, 'sleep'>, name: string, options: StepOptions | undefined): Promise<T> => {
      claimName(name);
      // Cancellation stops the run between steps; a step under way finishes (like the built-in engine).
      if (root.consideredCancelled) throw new CancelledFailure('workflow cancelled');
      const activities = proxyActivities<Record<string, StepActivity>>({
        activityId: name,
        summary: name,
        startToCloseTimeout: stepAttemptTimeout,
        retry: temporalRetryPolicy(stepRetryPolicy(definition, options)),
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      });
      const activity = activities[kind === 'local' ? localStepActivity : remoteStepActivity];
      if (!activity) throw new Error('activity proxy missing');
      const stored = await CancellationScope.nonCancellable(() => activity({ workflow: args, step: name, completed: { ...completed } }));
      completed[name] = stored;
      return stored.v as T;
    };

    const ctx: WorkflowContext = {
      runId: args.runId,
      workflowId: args.workflowId,
      tenantId: args.tenantId,
      type: args.type,
      step: (name, _fn, options) => runStep('local', name, options),
      remoteStep: (name, _fn, options) => runStep('remote', name, options),
      async sleep(name, ms) {
        claimName(name);
        await sleep(ms, { summary: name });
      },
    };

    try {
      // The input was checked (parseInput) when the run was started, outside the sandbox.
      const output = await definition.run(ctx, args.input);
      return output === undefined ? {} : { v: output as Json };
    } catch (err) {
      // Step failures (ActivityFailure), cancellation and our own failures end the run as they are;
      // any other error of the workflow's code fails the run (Temporal would retry the task forever).
      if (err instanceof TemporalFailure || isCancellation(err)) throw err;
      const error = err instanceof Error ? err : new Error(String(err));
      throw ApplicationFailure.create({ message: error.message, type: 'WorkflowCodeError', nonRetryable: true, details: [error.stack ?? null] });
    }
  };
}
