import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineWorkflow, type WorkflowEngine } from '../../adapters/workflows/port.js';
import { queryRows, withPlatformScope, type AppDb } from '../../platform/db.js';
import { retentionBatch } from './audit-retention.js';

// Audit retention as a workflow (issue 13): one tenant-scoped run per tenant and day,
// `audit-retention:<YYYY-MM-DD>`. Each batch is a local step: `purge_expired_audit_logs`
// (migration 0009: cutoff from the tenant's plan, anchor moved, `audit_log.purged` recorded)
// commits with the step's checkpoint. More batches follow while a batch was full.

export const auditRetentionWorkflowType = 'audit.retention';
export const auditRetentionWorkflowId = (day: string) => `audit-retention:${day}`;

const RetentionInput = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), batch: z.number().int().min(1).max(50_000).default(50_000) });

export function auditWorkflows() {
  const retention = defineWorkflow({
    type: auditRetentionWorkflowType,
    parseInput: (input) => RetentionInput.parse(input),
    async run(ctx, { batch }) {
      const tenantId = ctx.tenantId;
      if (!tenantId) throw new Error('audit.retention is a tenant workflow');
      let removed = 0;
      // Bounded: a trail of 50 million expired entries takes several days' runs.
      for (let i = 1; i <= 1_000; i++) {
        const n = await ctx.step(`purge-batch-${i}`, async ({ tx }) => retentionBatch(tx, tenantId, batch));
        removed += n;
        if (n < batch) break;
      }
      return { removed };
    },
  });
  return [retention] as const;
}

/**
 * The retention trigger (every AUDIT_RETENTION_INTERVAL_MS, hourly by default): starts today's
 * run for every tenant that has none (anti-join on the unique workflow id).
 */
export async function startAuditRetention(db: AppDb, engine: WorkflowEngine, { day = new Date().toISOString().slice(0, 10), batch }: { day?: string; batch?: number } = {}): Promise<number> {
  const workflowId = auditRetentionWorkflowId(day);
  const tenants = await withPlatformScope(db, (tx) =>
    queryRows<{ id: string }>(
      tx,
      sql`SELECT t.id FROM tenants t
          WHERE NOT EXISTS (SELECT 1 FROM workflow_runs r WHERE r.tenant_id = t.id AND r.workflow_id = ${workflowId})
          ORDER BY t.id`,
    ),
  );
  let started = 0;
  for (const { id } of tenants) {
    const run = await engine.start({ type: auditRetentionWorkflowType, tenantId: id, workflowId, input: batch ? { day, batch } : { day } });
    if (run.created) started++;
  }
  return started;
}
