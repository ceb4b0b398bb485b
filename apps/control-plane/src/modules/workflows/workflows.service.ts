import type { Workflow, WorkflowListQuery, WorkflowStatusDetail } from '@cbp/contracts';
import type { WorkflowDescription, WorkflowEngine, WorkflowRun, WorkflowScope } from '../../adapters/workflows/port.js';
import { WorkflowStateError } from '../../adapters/workflows/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext } from '../../platform/context.js';
import { withPlatformScope, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';

// Workflow monitoring over the engine port: a tenant's members see the tenant's runs only;
// platform staff (super_admin) see every tenant's runs and the platform's own.

const isStaff = (ctx: TenantContext) => ctx.role === 'super_admin';
const scopeOf = (ctx: TenantContext): WorkflowScope => (isStaff(ctx) ? { platform: true } : { tenantId: ctx.tenantId });

function summary(run: WorkflowRun, currentStep: string | null): Workflow {
  const end = run.closedAt ? Date.parse(run.closedAt) : Date.now();
  return {
    id: run.id,
    workflowId: run.workflowId,
    type: run.type,
    status: run.status,
    tenantId: run.tenantId,
    attempt: run.attempt,
    input: run.input,
    startedAt: run.startedAt,
    closedAt: run.closedAt,
    finishedAt: run.closedAt,
    duration: Math.max(0, end - Date.parse(run.startedAt)),
    currentStep,
    error: run.error ? { message: run.error.message, step: run.error.step } : null,
  };
}

function detail(run: WorkflowDescription): WorkflowStatusDetail {
  return {
    ...summary(run, run.currentStep),
    error: run.error ? { message: run.error.message, step: run.error.step, stack: run.error.stack } : null,
    result: run.result,
    steps: run.steps.map((s) => ({
      name: s.name,
      kind: s.kind,
      status: s.status,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      attempts: s.attempts,
      wakeAt: s.wakeAt,
      lastError: s.lastError,
    })),
  };
}

export async function listWorkflows(engine: WorkflowEngine, ctx: TenantContext, query: WorkflowListQuery): Promise<{ data: Workflow[]; total: number }> {
  const page = await engine.list(scopeOf(ctx), {
    // The tenant filter is for staff; a member's scope is their tenant whatever they ask.
    tenantId: isStaff(ctx) && query.tenantId !== undefined ? (query.tenantId === 'platform' ? null : query.tenantId) : undefined,
    status: query.status,
    type: query.type,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
    page: query.page,
    limit: query.limit,
  });
  // The list answers the failed step as its current step; running runs' current step is in their status.
  return { data: page.data.map((run) => summary(run, run.status === 'failed' ? (run.error?.step ?? null) : null)), total: page.total };
}

export async function workflowStatus(engine: WorkflowEngine, ctx: TenantContext, id: string): Promise<WorkflowStatusDetail> {
  const run = await engine.describe(scopeOf(ctx), id);
  if (!run) throw notFound('Workflow');
  return detail(run);
}

type Mutation = 'cancel' | 'retry';

/** Cancel or retry, with its audit entry in the same transaction as the engine's change. */
export async function changeWorkflow(db: AppDb, engine: WorkflowEngine, ctx: TenantContext, id: string, what: Mutation): Promise<WorkflowStatusDetail> {
  const scope = scopeOf(ctx);
  const inScope = <T>(fn: (tx: ScopedTx) => Promise<T>) => ('tenantId' in scope ? withTenant(db, scope.tenantId, fn) : withPlatformScope(db, fn));
  await inScope(async (tx) => {
    let run: WorkflowRun | null;
    try {
      run = what === 'cancel' ? await engine.cancel(scope, id, { tx }) : await engine.retry(scope, id, { tx });
    } catch (err) {
      if (err instanceof WorkflowStateError) {
        throw what === 'cancel'
          ? new AppError(409, 'WORKFLOW_NOT_RUNNING', `Only a running workflow can be cancelled; this one is ${err.status}.`)
          : new AppError(409, 'WORKFLOW_NOT_RETRYABLE', `Only a failed workflow can be retried; this one is ${err.status}.`);
      }
      throw err;
    }
    if (!run) throw notFound('Workflow');
    // Staff acting on a tenant's run: the entry belongs to that tenant's trail (null: a platform run).
    await recordAuditEntry(tx, { ...ctx, tenantId: run.tenantId }, {
      action: what === 'cancel' ? 'workflow.cancelled' : 'workflow.retried',
      targetType: 'workflow',
      targetId: run.id,
      targetName: run.type,
      after: what === 'cancel' ? { status: run.status, cancelRequested: true } : { status: run.status, attempt: run.attempt },
    });
  });
  engine.wake();
  return workflowStatus(engine, ctx, id);
}
