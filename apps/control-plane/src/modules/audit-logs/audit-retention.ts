import { sql } from 'drizzle-orm';
import { queryRows, withTenant, type AppDb } from '../../platform/db.js';

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
      const [row] = await withTenant(db, id, (tx) =>
        queryRows<{ removed: string | number }>(tx, sql`SELECT purge_expired_audit_logs(${id}::uuid, ${batch}::int) AS removed`),
      );
      const n = Number(row?.removed ?? 0);
      removed += n;
      if (n < batch) break;
    }
  }
  return { tenants: tenants.length, removed };
}
