import type { WorkflowFailure } from '../../adapters/workflows/port.js';
import type { ScopedTx } from '../../platform/db.js';
import { publishEvent } from '../../platform/events.js';

/**
 * The workflow engine's `onRunFailed`: a tenant run's failure becomes a `workflow.failed` event
 * in the transaction that records it (the tenant's admins and owner are notified). Platform
 * runs notify nobody yet (platform staff notifications come later).
 */
export async function publishWorkflowFailure(tx: ScopedTx, failure: WorkflowFailure): Promise<void> {
  if (!failure.tenantId) return;
  await publishEvent(tx, {
    type: 'workflow.failed',
    tenantId: failure.tenantId,
    payload: {
      runId: failure.runId,
      workflowId: failure.workflowId,
      workflowType: failure.type,
      attempt: failure.attempt,
      step: failure.error.step,
      error: failure.error.message.slice(0, 500),
    },
  });
}
