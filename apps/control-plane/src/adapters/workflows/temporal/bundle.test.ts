import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { StepKind, WorkflowContext } from '../port.js';
import { bundleCbpWorkflows, isStubbed, workflowsEntry } from './bundle.js';
import { cbpWorkflowDefinitions } from './definitions.js';
import { HistoryBuilder } from './testing/history-builder.js';

// The worker's workflow bundle builds from the real workflows entry (CBP's definitions, whose
// modules import drizzle, pg, Stripe and Node.js modules), loads in the sandbox, and each real
// definition reaches its first step there exactly as it does outside (where activities run it).

const tenantId = '00000000-0000-4000-8000-00000000ac01';

/** The first step a definition reaches outside the sandbox (no step function runs). */
function firstStep(type: string): Promise<{ name: string; kind: StepKind } | null> {
  const definition = cbpWorkflowDefinitions.find((d) => d.type === type);
  return new Promise((resolve) => {
    const stop = (name: string, kind: StepKind) => {
      resolve({ name, kind });
      return new Promise<never>(() => {});
    };
    const ctx: WorkflowContext = {
      runId: 'r',
      workflowId: 'w',
      tenantId,
      type,
      step: (name) => stop(name, 'local'),
      remoteStep: (name) => stop(name, 'remote'),
      sleep: (name) => stop(name, 'sleep'),
    };
    definition?.run(ctx, {}).then(
      () => resolve(null),
      () => resolve(null),
    );
  });
}

describe('Temporal workflow bundle', () => {
  it('bundleWorkflowCode builds the real workflows entry, and CBP definitions load in the sandbox and reach their first step there as outside it', async () => {
    const bundle = await bundleCbpWorkflows({ logger: new DefaultLogger('ERROR') });
    expect(bundle.code).toContain('cbpWorkflow');
    expect(bundle.code).not.toMatch(/node_modules\/(pg|drizzle-orm|stripe|fastify)\//);

    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const checked: string[] = [];
    for (const definition of cbpWorkflowDefinitions) {
      const first = await firstStep(definition.type);
      if (!first || first.kind === 'sleep') continue;
      // A recorded start and the first workflow task's command: the sandbox must issue the same.
      const history = new HistoryBuilder({ type: definition.type, tenantId, input: {}, runId: 'r', workflowId: 'w' }).started();
      history.scheduleStep(first.name, first.kind);
      await Worker.runReplayHistory({ workflowBundle: bundle, replayName: definition.type }, history.history());
      checked.push(`${definition.type}:${first.name}`);
    }
    expect(checked.length).toBeGreaterThan(0);
  }, 60_000);

  it('stubs packages imported by CBP sources, never the Temporal SDK or relative modules', () => {
    const src = path.dirname(workflowsEntry);
    expect(isStubbed('drizzle-orm', src)).toBe(true);
    expect(isStubbed('node:crypto', src)).toBe(true);
    expect(isStubbed('@cbp/contracts', src)).toBe(true);
    expect(isStubbed('@temporalio/workflow', src)).toBe(false);
    expect(isStubbed('../port.js', src)).toBe(false);
    // Inside node_modules (the SDK's own imports) nothing is touched.
    expect(isStubbed('long', '/work/main/node_modules/@temporalio/common/lib')).toBe(false);
  });
});
