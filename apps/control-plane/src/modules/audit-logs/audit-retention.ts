import { sql } from 'drizzle-orm';
import { queryRows, type AppDb } from '../../platform/db.js';

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
      const [row] = await queryRows<{ removed: string | number }>(db, sql`SELECT purge_expired_audit_logs(${id}::uuid, ${batch}::int) AS removed`);
      const n = Number(row?.removed ?? 0);
      removed += n;
      if (n < batch) break;
    }
  }
  return { tenants: tenants.length, removed };
}
