import { sql } from 'drizzle-orm';
import { queryRows, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';

export interface RetentionRun {
  tenants: number;
  removed: number;
}

/**
 * The audit retention job: for every tenant, removes the entries older than its plan keeps
 * (`purge_expired_audit_logs`, migration 0009), in batches of one short transaction each.
 * The database function decides the cutoff from the plan, moves the chain's anchor and
 * records an `audit_log.purged` entry; several API copies may run this at once.
 */
export async function applyAuditRetention(db: AppDb, { batch = 50_000 }: { batch?: number } = {}): Promise<RetentionRun> {
  const tenants = await queryRows<{ id: string }>(db, sql`SELECT id FROM tenants ORDER BY id`);
  let removed = 0;
  for (const { id } of tenants) {
    for (;;) {
      // In the tenant's scope: the purge moves the tenant's anchor and records its own entry.
      const n = await withTenant(db, id, (tx) => retentionBatch(tx, id, batch));
      removed += n;
      if (n < batch) break;
    }
  }
  return { tenants: tenants.length, removed };
}

/**
 * One purge batch of one tenant in the caller's tenant transaction (the `audit.retention`
 * workflow's local step): how many entries were removed.
 */
export async function retentionBatch(tx: ScopedTx, tenantId: string, batch: number): Promise<number> {
  const [row] = await queryRows<{ removed: string | number }>(tx, sql`SELECT purge_expired_audit_logs(${tenantId}::uuid, ${batch}::int) AS removed`);
  return Number(row?.removed ?? 0);
}
