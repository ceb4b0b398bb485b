import { sql } from 'drizzle-orm';
import { queryRows } from '../../../../platform/db.js';
import { workflowStepResults } from '../../../../platform/schema.js';
import { defineWorkflow, NonRetryableError } from '../../port.js';

// Test definitions of the Temporal adapter's tests. They import the database layer (drizzle, pg)
// like CBP's real definitions, so the bundle test proves those imports build and load in the sandbox.

/** Records which step closures ran, with which values (activities tests). */
export const calls: string[] = [];
void workflowStepResults; // a drizzle table built at module load: must not break the sandbox

export const threeSteps = defineWorkflow({
  type: 'test.three-steps',
  retry: { maxAttempts: 4, initialIntervalMs: 10, backoffCoefficient: 2, maxIntervalMs: 100 },
  async run(ctx, input: { n: number }) {
    const a = await ctx.step('reserve', async ({ tx }) => {
      calls.push(`reserve:${input.n}`);
      const [row] = await queryRows<{ v: number }>(tx, sql`SELECT ${input.n}::int + 1 AS v`);
      return row?.v ?? null;
    });
    const b = await ctx.remoteStep('charge', async ({ idempotencyKey }) => {
      calls.push(`charge:${a}:${idempotencyKey}`);
      return { charged: (a ?? 0) * 10 };
    });
    await ctx.sleep('cool-down', 1_000);
    const c = await ctx.step(
      'finish',
      async () => {
        calls.push(`finish:${b.charged}`);
        if (b.charged < 0) throw new NonRetryableError('negative charge');
        return `done ${b.charged}`;
      },
      { retry: { maxAttempts: 2 } },
    );
    return { a, b, c };
  },
});

/** The same workflow after an edit that swapped its first two steps: old histories must not replay. */
export const threeStepsReordered = defineWorkflow({
  type: 'test.three-steps-reordered',
  async run(ctx, input: { n: number }) {
    const b = await ctx.remoteStep('charge', async () => ({ charged: input.n * 10 }));
    const a = await ctx.step('reserve', async () => input.n + 1);
    await ctx.sleep('cool-down', 1_000);
    const c = await ctx.step('finish', async () => `done ${b.charged}`);
    return { a, b, c };
  },
});

/** A local step that inserts a row: the dedupe test counts its effects. */
export const recordOnce = defineWorkflow({
  type: 'test.record-once',
  async run(ctx, input: { note: string }) {
    return ctx.step('record', async ({ tx, idempotencyKey }) => {
      calls.push(`record:${input.note}`);
      await tx.execute(sql`INSERT INTO temporal_test_effects (key, note) VALUES (${idempotencyKey}, ${input.note})`);
      return { recorded: input.note };
    });
  },
});

export const testDefinitions = [threeSteps, threeStepsReordered, recordOnce];
