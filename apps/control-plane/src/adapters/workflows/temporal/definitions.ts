import type { CbpWorkflowDeps } from '../../../cbp-workflows.js';
import { cbpWorkflows } from '../../../cbp-workflows.js';
import type { WorkflowDefinition } from '../port.js';

// CBP's workflow definitions as the Temporal worker's bundle sees them (workflows.ts): the same
// factory the API uses (cbp-workflows.ts). In the sandbox only the definitions' `run` bodies
// execute, never their step functions, so their dependencies (database, gateway, SMTP) are
// stand-ins that refuse any use: workflow code that touched them outside a step would fail
// loudly instead of doing I/O in the sandbox. The worker's activities get the real ones.

const unavailable = new Proxy(
  {},
  {
    get(_target, key) {
      if (key === 'then' || typeof key === 'symbol') return undefined;
      throw new Error(`${String(key)} is not available in workflow code; use it inside a step`);
    },
  },
);

const sandboxDeps: CbpWorkflowDeps = {
  db: unavailable as CbpWorkflowDeps['db'],
  gateway: unavailable as CbpWorkflowDeps['gateway'],
  local: unavailable as NonNullable<CbpWorkflowDeps['local']>,
  // Every type is registered (a worker with SMTP runs mail workflows; the sandbox cannot know).
  sender: unavailable as NonNullable<CbpWorkflowDeps['sender']>,
  notificationMail: unavailable as NonNullable<CbpWorkflowDeps['notificationMail']>,
  crashAt: undefined,
};

export const cbpWorkflowDefinitions: readonly WorkflowDefinition[] = cbpWorkflows(sandboxDeps);
