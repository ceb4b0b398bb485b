import { eq, sql } from 'drizzle-orm';
import type { OrganizationDeletion } from '@cbp/contracts';
import { z } from 'zod';
import type { PaymentGateway } from '../../adapters/payments/port.js';
import type { ObjectStorage } from '../../adapters/storage/port.js';
import { defineWorkflow, type WorkflowEngine } from '../../adapters/workflows/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import { systemContext, type TenantContext } from '../../platform/context.js';
import { queryRows, withTenant, type AppDb, type TenantTx } from '../../platform/db.js';
import { AppError } from '../../platform/errors.js';
import { publishEvent } from '../../platform/events.js';
import { organizationLogos, tenants } from '../../platform/schema.js';
import { openAuditExport } from '../audit-logs/audit-export.js';
import { customerIdOf, setCancellation, type BillingDeps } from '../billing/subscriptions.service.js';
import { exportPrefixOf } from './organization.export.js';
import { logoPrefixOf } from './organization.logo.js';

// Organization deletion (issue 15, slice 3). DELETE /organization with the exact name sets the
// tenant `pending_deletion` with `deletion_scheduled_at` = now + grace (30 days;
// ORGANIZATION_DELETION_GRACE_MS) and starts `organization.deletion` (workflow id
// `organization-deletion:<scheduled time>`) in the same transaction. Members keep working during
// the grace period (the guard refuses only suspended tenants); POST /organization/deletion/cancel
// sets the tenant active again and cancels the run. The run sleeps durably through the grace
// period, re-checks that this very schedule still stands, then: `cancel-subscription` (billing
// service), `close-customer` (gateway `deleteCustomer`), `archive-audit` (the audit export to
// CBP_DATA_DIR/archives/<tenant>/, kept per the retention policy outside the database) and
// `remove-data`: delete_tenant_data() (migration 0034), which runs as the tables' owner, so the
// API's role still cannot delete audit rows or tenants. Every step is idempotent.

export const organizationDeletionWorkflowType = 'organization.deletion';
export const organizationDeletionWorkflowId = (scheduledFor: Date) => `organization-deletion:${scheduledFor.toISOString()}`;

export interface OrganizationDeletionDeps {
  db: AppDb;
  engine: WorkflowEngine;
  /** ORGANIZATION_DELETION_GRACE_MS. */
  graceMs: number;
}

const deletionFrom = (row: { status: string; deletionScheduledAt: Date | null }): OrganizationDeletion => ({
  status: row.status === 'pending_deletion' ? 'pending_deletion' : 'active',
  scheduledFor: row.deletionScheduledAt?.toISOString() ?? null,
  workflowId: row.deletionScheduledAt ? organizationDeletionWorkflowId(row.deletionScheduledAt) : null,
});

async function lockedTenant(tx: TenantTx, tenantId: string) {
  const [row] = await tx
    .select({ id: tenants.id, name: tenants.name, status: tenants.status, deletionScheduledAt: tenants.deletionScheduledAt })
    .from(tenants)
    .where(eq(tenants.id, tenantId))
    .for('update');
  if (!row) throw new Error(`tenant ${tenantId} not found`);
  return row;
}

/** Schedules the deletion (owner) after the grace period; the exact name confirms it. */
export async function scheduleDeletion(deps: OrganizationDeletionDeps, ctx: TenantContext, confirmName: string): Promise<OrganizationDeletion> {
  const result = await withTenant(deps.db, ctx.tenantId, async (tx) => {
    const tenant = await lockedTenant(tx, ctx.tenantId);
    if (confirmName !== tenant.name) {
      throw new AppError(400, 'CONFIRMATION_MISMATCH', 'The name does not match the organization name.', [
        { path: 'body.confirmName', message: `Type the organization's exact name, ${tenant.name}, to confirm.` },
      ]);
    }
    if (tenant.status === 'pending_deletion') throw new AppError(409, 'CONFLICT', 'This organization is already scheduled for deletion.');
    if (tenant.status !== 'active') throw new AppError(422, 'BUSINESS_RULE', 'Only an active organization can be scheduled for deletion.');
    // Whole milliseconds, as the workflow id and the re-check compare it.
    const scheduledFor = new Date(Date.now() + deps.graceMs);
    const requestedBy = ctx.actor.type === 'user' ? ctx.actor.id : null;
    await tx.update(tenants).set({ status: 'pending_deletion', deletionScheduledAt: scheduledFor, deletionRequestedBy: requestedBy }).where(eq(tenants.id, ctx.tenantId));
    await recordAuditEntry(tx, ctx, {
      action: 'organization.deletion_scheduled',
      targetType: 'organization',
      targetId: ctx.tenantId,
      targetName: tenant.name,
      before: { status: tenant.status },
      after: { status: 'pending_deletion', scheduledFor: scheduledFor.toISOString() },
    });
    await publishEvent(tx, { tenantId: ctx.tenantId, type: 'organization.deletion_scheduled', payload: { scheduledFor: scheduledFor.toISOString(), actorId: requestedBy } });
    await deps.engine.start(
      {
        type: organizationDeletionWorkflowType,
        tenantId: ctx.tenantId,
        workflowId: organizationDeletionWorkflowId(scheduledFor),
        input: { scheduledFor: scheduledFor.toISOString(), graceMs: deps.graceMs },
      },
      { tx },
    );
    return deletionFrom({ status: 'pending_deletion', deletionScheduledAt: scheduledFor });
  });
  deps.engine.wake();
  return result;
}

/** Cancels a scheduled deletion (owner): the tenant is active again and the run is cancelled. */
export async function cancelDeletion(deps: OrganizationDeletionDeps, ctx: TenantContext): Promise<OrganizationDeletion> {
  const result = await withTenant(deps.db, ctx.tenantId, async (tx) => {
    const tenant = await lockedTenant(tx, ctx.tenantId);
    if (tenant.status !== 'pending_deletion' || !tenant.deletionScheduledAt) throw new AppError(409, 'CONFLICT', 'This organization is not scheduled for deletion.');
    await tx.update(tenants).set({ status: 'active', deletionScheduledAt: null, deletionRequestedBy: null }).where(eq(tenants.id, ctx.tenantId));
    await recordAuditEntry(tx, ctx, {
      action: 'organization.deletion_cancelled',
      targetType: 'organization',
      targetId: ctx.tenantId,
      targetName: tenant.name,
      before: { status: 'pending_deletion', scheduledFor: tenant.deletionScheduledAt.toISOString() },
      after: { status: 'active' },
    });
    await publishEvent(tx, { tenantId: ctx.tenantId, type: 'organization.deletion_cancelled', payload: { actorId: ctx.actor.id } });
    const [run] = await queryRows<{ id: string }>(
      tx,
      sql`SELECT id FROM workflow_runs WHERE tenant_id = ${ctx.tenantId} AND workflow_id = ${organizationDeletionWorkflowId(tenant.deletionScheduledAt)} AND status = 'running'`,
    );
    // The run re-checks the schedule anyway; cancelling it also ends it in the workflow list now.
    if (run) await deps.engine.cancel({ tenantId: ctx.tenantId }, run.id, { tx });
    return deletionFrom({ status: 'active', deletionScheduledAt: null });
  });
  deps.engine.wake();
  return result;
}

// --- The workflow ------------------------------------------------------------------------------

export interface OrganizationDeletionWorkflowDeps {
  db: AppDb;
  gateway: PaymentGateway;
  /** Object storage: the audit trail's archive goes in, the tenant's logo and export archives go out (unset in the Temporal sandbox, where step bodies never run). */
  storage?: ObjectStorage | undefined;
}

/** Where the deletion keeps the tenant's audit trail (object storage, per retention). */
export const auditArchiveKey = (tenantId: string, scheduledFor: string) => `archives/${tenantId}/audit-trail-${scheduledFor.slice(0, 10)}.csv`;

const DeletionInput = z.object({ scheduledFor: z.iso.datetime(), graceMs: z.number().int().positive() });

export function organizationDeletionWorkflows(deps: OrganizationDeletionWorkflowDeps) {
  const billing: BillingDeps = { db: deps.db, gateway: deps.gateway };
  return [
    defineWorkflow({
      type: organizationDeletionWorkflowType,
      parseInput: (input) => DeletionInput.parse(input),
      async run(ctx, { scheduledFor, graceMs }) {
        const tenantId = ctx.tenantId;
        if (!tenantId) throw new Error(`${organizationDeletionWorkflowType} is a tenant workflow`);
        await ctx.sleep('grace', graceMs);
        // This schedule must still stand (a cancel, or a cancel and a new schedule, ends this run).
        let state: { due: boolean; standing: boolean; remainingMs: number } = { due: false, standing: true, remainingMs: 0 };
        for (let i = 1; i <= 10; i++) {
          state = await ctx.step(`check-${i}`, async ({ tx }) => {
            const [row] = await tx.select({ status: tenants.status, at: tenants.deletionScheduledAt }).from(tenants).where(eq(tenants.id, tenantId));
            const standing = row?.status === 'pending_deletion' && row.at?.toISOString() === scheduledFor;
            const remainingMs = Math.max(0, new Date(scheduledFor).getTime() - Date.now());
            return { due: standing && remainingMs === 0, standing, remainingMs };
          });
          if (!state.standing || state.due) break;
          await ctx.sleep(`grace-${i}`, state.remainingMs + 1);
        }
        if (!state.standing) return { outcome: 'cancelled', archive: null, removed: 0 };
        if (!state.due) throw new Error('the deletion is not due yet');
        await ctx.remoteStep('cancel-subscription', async () => {
          try {
            await setCancellation(billing, systemContext(tenantId) as TenantContext, true);
            return 'cancelled';
          } catch (err) {
            // No subscription, or one that has already ended: nothing to cancel.
            if (err instanceof AppError && [404, 409, 422].includes(err.status)) return 'none';
            throw err;
          }
        });
        await ctx.remoteStep('close-customer', async () => {
          let customerId: string;
          try {
            customerId = await customerIdOf(deps.db, tenantId);
          } catch (err) {
            if (err instanceof AppError && err.status === 409) return 'none';
            throw err;
          }
          await deps.gateway.deleteCustomer({ customerId });
          return customerId;
        });
        const storage = deps.storage;
        // Through object storage, like every other file (several API copies share it); an atomic put,
        // so a repeated step writes the archive whole again.
        const archive = await ctx.remoteStep('archive-audit', async () => {
          if (!storage) throw new Error('organization.deletion needs object storage');
          const key = auditArchiveKey(tenantId, scheduledFor);
          const { size } = await storage.putStream(key, await openAuditExport(deps.db, tenantId, {}, 'csv'), 'text/csv');
          return { key, bytes: size };
        });
        // The tenant's files go with its rows: its logo and its whole export prefix (archives, and the
        // parts of an export still running now; a deletion also ends the exports' own expiry runs).
        // Deleting what is gone is not an error, so a repeated step is harmless.
        await ctx.remoteStep('remove-objects', async () => {
          if (!storage) throw new Error('organization.deletion needs object storage');
          const logos = await withTenant(deps.db, tenantId, async (tx) =>
            (await tx.select({ key: organizationLogos.storageKey }).from(organizationLogos).where(eq(organizationLogos.tenantId, tenantId))).map((r) => r.key),
          );
          for (const key of logos) await storage.delete(key);
          const prefixes = [exportPrefixOf(tenantId), logoPrefixOf(tenantId)];
          for (const prefix of prefixes) await storage.deletePrefix(prefix);
          return { logos: logos.length, prefixes };
        });
        const removed = await ctx.step('remove-data', async ({ tx, runId }) => {
          const [row] = await queryRows<{ n: string | number }>(tx, sql`SELECT delete_tenant_data(${tenantId}::uuid, ${runId}::uuid) AS n`);
          return Number(row?.n ?? 0);
        });
        return { outcome: 'deleted', archive, removed };
      },
    }),
  ];
}
