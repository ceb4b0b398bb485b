import type { Workflow, WorkflowStatusDetail, WorkflowStep } from '@/types/workflow';
import { acme } from '@/test/fixtures';

let counter = 0;
const idOf = (n: number) => `9a000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A run in a list, completed unless told otherwise. */
export function workflowRun(overrides: Partial<Workflow> = {}): Workflow {
  counter += 1;
  return {
    id: idOf(counter),
    workflowId: `wf-${counter}`,
    type: 'billing.clock',
    status: 'completed',
    tenantId: acme.id,
    attempt: 1,
    input: {},
    startedAt: '2025-06-02T14:03:07.000Z',
    closedAt: '2025-06-02T14:03:09.500Z',
    finishedAt: '2025-06-02T14:03:09.500Z',
    duration: 2_500,
    currentStep: null,
    error: null,
    ...overrides,
  };
}

export function step(overrides: Partial<WorkflowStep> & { name: string }): WorkflowStep {
  return {
    kind: 'local',
    status: 'completed',
    startedAt: '2025-06-02T14:03:07.100Z',
    finishedAt: '2025-06-02T14:03:07.400Z',
    attempts: 1,
    wakeAt: null,
    lastError: null,
    ...overrides,
  };
}

const stack = 'Error: Card declined by the test gateway\n    at charge (test-hooks.ts:42:15)\n    at runStep (builtin.ts:600:7)';

/** `test.flaky` failed at `charge` after two attempts. */
export function failedRun(): WorkflowStatusDetail {
  const run = workflowRun({
    type: 'test.flaky',
    status: 'failed',
    currentStep: 'charge',
    error: { message: 'Card declined by the test gateway', step: 'charge' },
  });
  return {
    ...run,
    error: { message: 'Card declined by the test gateway', step: 'charge', stack },
    result: null,
    input: { failAttempts: 1, sleepMs: 0 },
    steps: [
      step({ name: 'prepare' }),
      step({
        name: 'charge',
        status: 'failed',
        attempts: 2,
        startedAt: '2025-06-02T14:03:07.500Z',
        finishedAt: '2025-06-02T14:03:09.500Z',
        lastError: { message: 'Card declined by the test gateway', stack },
      }),
    ],
  };
}

/** `test.flaky` asleep in its `wait` step. */
export function sleepingRun(): WorkflowStatusDetail {
  const run = workflowRun({ type: 'test.flaky', status: 'running', closedAt: null, finishedAt: null, duration: 65_000, currentStep: 'wait' });
  return {
    ...run,
    error: null,
    result: null,
    steps: [
      step({ name: 'prepare' }),
      step({ name: 'wait', kind: 'sleep', status: 'waiting', finishedAt: null, wakeAt: '2025-06-02T15:03:07.000Z' }),
    ],
  };
}
