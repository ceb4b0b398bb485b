import { NativeConnection, Worker } from '@temporalio/worker';
import type { AppDb } from '../../../platform/db.js';
import type { WorkflowDefinition } from '../port.js';
import { createCbpActivities } from './activities.js';
import { bundleCbpWorkflows, workflowsEntry } from './bundle.js';

// The worker side of the Temporal adapter: polls CBP's task queue, runs `cbpWorkflow` (bundled
// from the workflows entry) in Temporal's sandbox and the step activities against CBP's database.
// Started by `npm run worker` (src/worker.ts), or inside the API with TEMPORAL_WORKER=api.

export interface TemporalWorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  db: AppDb;
  /** The definitions the activities run: the same list the workflows entry bundles. */
  workflows: readonly WorkflowDefinition[];
  /** Default: workflows.ts (CBP's definitions, definitions.ts). */
  workflowsPath?: string;
}

export interface TemporalWorkerHandle {
  worker: Worker;
  /** Resolves when the worker has stopped (after `shutdown`), rejects if it fails. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function createTemporalWorker(options: TemporalWorkerOptions): Promise<TemporalWorkerHandle> {
  const workflowsPath = options.workflowsPath ?? workflowsEntry;
  const [connection, workflowBundle] = await Promise.all([NativeConnection.connect({ address: options.address }), bundleCbpWorkflows({ workflowsPath })]);
  const worker = await Worker.create({
    connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? 'cbp',
    workflowBundle,
    activities: createCbpActivities({ db: options.db, workflows: options.workflows }),
  });
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
