import { eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Problem, type RoutePolicy } from '@cbp/contracts';
import { createBuiltinWorkflowEngine } from '../../adapters/workflows/builtin.js';
import { defineWorkflow, type WorkflowDefinition } from '../../adapters/workflows/port.js';
import type { Config } from '../../config.js';
import type { AppDb } from '../../platform/db.js';
import { tenantContext } from '../../platform/guard.js';
import { workflowRuns } from '../../platform/schema.js';

// Test hooks for the end-to-end suite (CBP_TEST_HOOKS=1, never in production): a workflow that
// fails at a step on demand, so the portal's monitoring can be driven through a failure, a retry
// and a cancellation (issue 13, acceptance 2). Nothing here exists unless the variable is set:
// the route table, the RBAC table and the engine's definitions of a normal run stay as they are.

const FlakyInput = z.object({
  /** `charge` fails on run attempts 1..failAttempts (a retry of the run is attempt 2, ...). 0: never. */
  failAttempts: z.number().int().min(0).max(5).default(1),
  /** A durable sleep between `prepare` and `charge` (a long one leaves the run cancellable). 0: none. */
  sleepMs: z.number().int().min(0).max(86_400_000).default(0),
});
type FlakyInput = z.infer<typeof FlakyInput>;

/**
 * `test.flaky`, a tenant run: `prepare` -> (`wait`, a sleep, when `sleepMs` > 0) -> `charge` ->
 * `finish`. `charge` fails (twice: 2 attempts, 100 ms apart) while the run's attempt is at most
 * `failAttempts`, so a retry of the failed run completes it.
 */
export const flakyWorkflow = defineWorkflow({
  type: 'test.flaky',
  parseInput: (input) => FlakyInput.parse(input ?? {}),
  retry: { maxAttempts: 2, initialIntervalMs: 100, maxIntervalMs: 100 },
  run: async (ctx, input: FlakyInput) => {
    const prepared = await ctx.step('prepare', async () => ({ amount: 4200, currency: 'usd' }));
    if (input.sleepMs > 0) await ctx.sleep('wait', input.sleepMs);
    const charged = await ctx.step('charge', async ({ tx, runId }) => {
      const [run] = await tx.select({ attempt: workflowRuns.attempt }).from(workflowRuns).where(eq(workflowRuns.id, runId));
      const attempt = run?.attempt ?? 1;
      if (attempt <= input.failAttempts) {
        throw new Error(`Card declined by the test gateway (run attempt ${attempt}; it fails until attempt ${input.failAttempts + 1})`);
      }
      return { charged: prepared.amount, currency: prepared.currency, onAttempt: attempt };
    });
    return ctx.step('finish', async ({ runId }) => ({ ...charged, receipt: `rcpt_${runId.slice(0, 8)}` }));
  },
});

export const testHookWorkflows: readonly WorkflowDefinition[] = [flakyWorkflow];

/**
 * The hook's route is not in the contract's RBAC table: the app that registers the hook passes
 * this to the guard (registerGuard's `extraPolicies`), so no other app knows the route.
 */
export const testHookPolicies: Readonly<Record<string, RoutePolicy>> = {
  'POST /workflows/test-hooks/start': { access: 'tenant', resource: 'workflows', action: 'edit' },
};

/**
 * `POST /workflows/test-hooks/start` (admin of the tenant): starts a `test.flaky` run for the
 * request's tenant. Its own engine runs `test.flaky` beside the app's (which does not claim that
 * type), so the app's definitions are untouched. Refuses to load in production.
 */
export const workflowTestHooks: FastifyPluginAsyncZod<{ config: Config; db: AppDb }> = async (app, { config, db }) => {
  if (config.NODE_ENV === 'production') throw new Error('CBP_TEST_HOOKS=1 is refused when NODE_ENV=production');
  const engine = createBuiltinWorkflowEngine({
    db,
    workflows: testHookWorkflows,
    poll: config.WORKFLOW_POLL_INTERVAL_MS > 0,
    pollIntervalMs: Math.min(250, config.WORKFLOW_POLL_INTERVAL_MS) || undefined,
    logger: app.log,
  });
  app.addHook('onClose', async () => {
    await engine.close();
  });

  app.post(
    '/workflows/test-hooks/start',
    {
      schema: {
        hide: true,
        tags: ['workflows'],
        summary: 'Test hook (CBP_TEST_HOOKS=1 only): start a test.flaky run in the tenant',
        security: [{ bearer: [], tenant: [] }],
        body: FlakyInput,
        response: {
          201: z.object({ id: z.uuid(), workflowId: z.string(), status: z.string() }),
          400: Problem,
          401: Problem,
          403: Problem,
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = tenantContext(request);
      const started = await engine.start({ type: flakyWorkflow.type, input: request.body, tenantId });
      return reply.code(201).send({ id: started.runId, workflowId: started.workflowId, status: started.status });
    },
  );
};
