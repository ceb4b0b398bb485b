import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'drizzle-orm';
import { queryRows, withPlatformScope, withTenant, type AppDb, type ScopedTx } from '../../../platform/db.js';
import type { Json, StepKind, StepResult, WorkflowContext, WorkflowDefinition } from '../port.js';
import { duplicateStepMessage, localStepActivity, remoteStepActivity, type StepActivityInput, type StoredResult } from './shared.js';

// The activities of `cbpWorkflow` (workflow.ts). A step's function is a closure inside the
// definition's `run`, which only the sandbox runs as a workflow. So the activity runs `run` again
// here, outside the sandbox, with a context that answers the steps the workflow already completed
// from their stored results (workflow code is deterministic: it reaches the same closure with the
// same values), runs only the named step's function, and then abandons the rest of `run`.
//
// Local steps run in one transaction, scoped to the run's tenant, together with a row holding
// their result under the step's idempotency key (migration 0023): an attempt that Temporal runs
// again after a commit (lost completion) returns the stored result instead of acting again.

export interface CbpActivityOptions {
  db: AppDb;
  workflows: readonly WorkflowDefinition[];
}

/** Unwinds the rest of `run` once the named step has run. */
class StepDone extends Error {
  constructor(readonly result: StoredResult) {
    super('step done');
  }
}

const stored = (value: StepResult): StoredResult => (value === undefined ? {} : { v: value as Json });
const never = new Promise<never>(() => {});

/** Waits until pending microtasks and I/O callbacks of the abandoned `run` have settled. */
const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs one step of a workflow: `attempt` is Temporal's attempt number (1 for the first).
 * Exported for tests; the worker registers `createCbpActivities`.
 */
export async function runStep(options: CbpActivityOptions, kind: Exclude<StepKind, 'sleep'>, input: StepActivityInput, attempt = 1): Promise<StoredResult> {
  const { workflow, step: target, completed } = input;
  const definition = options.workflows.find((d) => d.type === workflow.type);
  if (!definition) throw ApplicationFailure.nonRetryable(`unknown workflow type ${workflow.type}`, 'UnknownWorkflowType');
  const idempotencyKey = `wf:${workflow.runId}:${target}`;
  const info = { runId: workflow.runId, tenantId: workflow.tenantId, stepName: target, attempt, idempotencyKey };
  const names = new Set<string>();
  let reached = false;
  type Outcome = { result: StoredResult } | { error: unknown };
  let outcome: Outcome | undefined;
  let settle: (value: Outcome) => void = () => {};
  const finished = new Promise<Outcome>((resolve) => {
    settle = (value) => {
      outcome ??= value;
      resolve(outcome);
    };
  });

  const answer = <T extends StepResult>(name: string, stepKind: StepKind, execute: () => Promise<StoredResult>): Promise<T> => {
    if (names.has(name)) return Promise.reject(ApplicationFailure.nonRetryable(duplicateStepMessage(workflow.type, name), 'DuplicateStepName'));
    names.add(name);
    const done = completed[name];
    if (done) return Promise.resolve(done.v as T);
    // A step the workflow runs alongside ours (not completed yet) never answers here; a sleep before ours is over.
    if (name !== target) return stepKind === 'sleep' ? Promise.resolve(undefined as T) : never;
    if (stepKind !== kind) return Promise.reject(ApplicationFailure.nonRetryable(`step ${name} is not a ${kind} step`, 'StepKindMismatch'));
    reached = true;
    return execute().then(
      (result) => {
        settle({ result });
        throw new StepDone(result);
      },
      (err: unknown) => {
        settle({ error: err });
        throw err;
      },
    );
  };

  const ctx: WorkflowContext = {
    runId: workflow.runId,
    workflowId: workflow.workflowId,
    tenantId: workflow.tenantId,
    type: workflow.type,
    step: (name, fn) => answer(name, 'local', () => runLocal(options.db, workflow.tenantId, idempotencyKey, (tx) => fn({ ...info, tx }))),
    remoteStep: (name, fn) => answer(name, 'remote', async () => stored(await fn(info))),
    sleep: (name) => answer(name, 'sleep', () => Promise.resolve({})),
  };

  definition.run(ctx, workflow.input).then(
    () => settle({ error: ApplicationFailure.nonRetryable(`workflow ${workflow.type} ended without reaching step ${target}`, 'StepNotReached') }),
    (err: unknown) => settle(err instanceof StepDone ? { result: err.result } : { error: err }),
  );
  // Workflow code between steps does no I/O, so once pending callbacks have run the step has
  // been reached, or the code waits on something else: it has diverged from the recorded run.
  await macrotask();
  if (!reached) settle({ error: ApplicationFailure.nonRetryable(`workflow ${workflow.type} did not reach step ${target}`, 'StepNotReached') });
  const result = await finished;
  if ('error' in result) throw result.error;
  return result.result;
}

/** A local step: its effect and its stored result commit in one transaction, or neither does. */
async function runLocal(db: AppDb, tenantId: string | null, key: string, fn: (tx: ScopedTx) => Promise<StepResult>): Promise<StoredResult> {
  const work = async (tx: ScopedTx): Promise<StoredResult> => {
    const [existing] = await queryRows<{ result: StoredResult }>(tx, sql`SELECT result FROM workflow_step_results WHERE idempotency_key = ${key}`);
    if (existing) return existing.result;
    const result = stored(await fn(tx));
    // A plain insert: an attempt running at the same time as a committed one fails here and rolls back.
    await tx.execute(
      sql`INSERT INTO workflow_step_results (idempotency_key, tenant_id, result) VALUES (${key}, ${tenantId}, ${JSON.stringify(result)}::jsonb)`,
    );
    return result;
  };
  return tenantId === null ? withPlatformScope(db, work) : withTenant(db, tenantId, work);
}

/** The activities a CBP Temporal worker registers. */
export function createCbpActivities(options: CbpActivityOptions) {
  const attempt = () => Context.current().info.attempt;
  return {
    [localStepActivity]: (input: StepActivityInput) => runStep(options, 'local', input, attempt()),
    [remoteStepActivity]: (input: StepActivityInput) => runStep(options, 'remote', input, attempt()),
  };
}
