import { sql } from 'drizzle-orm';
import { defineWorkflow } from '../src/adapters/workflows/port.js';

// The workflow of the engine kill tests (src/adapters/workflows/engine-crash*.test.ts): four local
// steps whose effects are rows written in the step's transaction (each held open a little, so a
// SIGKILL often lands inside one), a durable sleep, and a remote step whose "remote side" applies
// each idempotency key once but logs every call.

export const crashWorkflowType = 'test.crash';
export const crashLocalSteps = ['s1', 's2', 's3', 's4'] as const;

/** Tables the workflow writes to (not part of CBP's schema: created by the test or the worker). */
export const crashTablesSql = `
  CREATE TABLE IF NOT EXISTS wf_crash_effects (run_id uuid NOT NULL, step text NOT NULL, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE TABLE IF NOT EXISTS wf_crash_remote_calls (idempotency_key text NOT NULL, worker text NOT NULL);
  CREATE TABLE IF NOT EXISTS wf_crash_remote_applied (idempotency_key text PRIMARY KEY);
`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface CrashWorkflowOptions {
  /** Recorded with each effect (which process did it). */
  worker: string;
  /** How long each local step holds its transaction open, and the sleep. */
  stepMs: number;
  /** The "remote" call: logs the call and applies the key once (outside the step's transaction). */
  callRemote(idempotencyKey: string): Promise<void>;
}

export function crashWorkflow({ worker, stepMs, callRemote }: CrashWorkflowOptions) {
  return defineWorkflow({
    type: crashWorkflowType,
    retry: { maxAttempts: 10, initialIntervalMs: 50, maxIntervalMs: 500 },
    async run(ctx) {
      const [s1, s2, s3, s4] = crashLocalSteps;
      const local = (name: string) =>
        ctx.step(name, async ({ tx, runId }) => {
          await tx.execute(sql`INSERT INTO wf_crash_effects (run_id, step, worker) VALUES (${runId}, ${name}, ${worker})`);
          // The transaction stays open meanwhile: a kill here must leave no effect and no checkpoint.
          await pause(stepMs);
          return name;
        });
      await local(s1);
      await local(s2);
      await ctx.sleep('nap', stepMs);
      await ctx.remoteStep('notify', async ({ idempotencyKey }) => {
        await callRemote(idempotencyKey);
        return idempotencyKey;
      });
      await local(s3);
      await local(s4);
      return 'done';
    },
  });
}
