import { sql } from 'drizzle-orm';
import { recordAuditEntry } from './audit.js';
import type { TenantContext } from './context.js';
import { queryRows, withTenant, type AppDb } from './db.js';

/** How often one staff user's access to one tenant is recorded at most. */
export const STAFF_ACCESS_WINDOW_MS = 30 * 60 * 1000;

/** The request that brought platform staff into a tenant. */
export interface StaffAccess {
  method: string;
  /** The path without its query string (search terms stay out of the customer's trail). */
  path: string;
}

/** Records a staff user's access to a tenant, if not recorded within the window: see createStaffAccessRecorder. */
export type StaffAccessRecorder = (ctx: TenantContext, access: StaffAccess) => Promise<void>;

/**
 * Staff access to a tenant is audited in that tenant's trail (`staff.accessed`, issue 16), at
 * most once per staff user and tenant per window. On the request path this costs nothing while
 * this API copy recorded (or saw recorded) the access within the window; otherwise one
 * transaction: a conditional upsert of the mark in `staff_access_marks` (migration 0038),
 * which decides atomically across API copies whether this request records the entry, and the
 * entry itself. A failure propagates: staff access that cannot be recorded is refused.
 */
export function createStaffAccessRecorder(db: AppDb, { windowMs = STAFF_ACCESS_WINDOW_MS }: { windowMs?: number } = {}): StaffAccessRecorder {
  /** `tenant:user` -> when (this process's clock) the recorded access leaves the window. */
  const recent = new Map<string, number>();
  const inFlight = new Map<string, Promise<void>>();

  function remember(key: string, until: number) {
    if (recent.size >= 10_000) {
      const now = Date.now();
      for (const [k, expires] of recent) if (expires <= now) recent.delete(k);
    }
    recent.set(key, until);
  }

  async function record(key: string, ctx: TenantContext, access: StaffAccess) {
    const userId = ctx.actor.id;
    if (!userId) return;
    const windowSeconds = windowMs / 1000;
    const ageMs = await withTenant(db, ctx.tenantId, async (tx) => {
      // The mark moves to now() only when the last entry left the window; `recorded` tells
      // whether it moved in this transaction. A concurrent copy waits on the row and then
      // sees the fresh mark, so exactly one of them records.
      const [mark] = await queryRows<{ recorded: boolean; age_ms: number }>(
        tx,
        sql`INSERT INTO staff_access_marks AS m (tenant_id, user_id, last_recorded_at)
            VALUES (${ctx.tenantId}::uuid, ${userId}::uuid, now())
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET last_recorded_at =
              CASE WHEN m.last_recorded_at <= now() - make_interval(secs => ${windowSeconds}::float8) THEN now() ELSE m.last_recorded_at END
            RETURNING last_recorded_at = now() AS recorded,
                      (extract(epoch FROM now() - last_recorded_at) * 1000)::float8 AS age_ms`,
      );
      if (mark?.recorded) {
        await recordAuditEntry(tx, ctx, {
          action: 'staff.accessed',
          targetType: 'tenant',
          targetId: ctx.tenantId,
          metadata: { method: access.method, path: access.path, ip: ctx.ipAddress },
        });
      }
      return Number(mark?.age_ms ?? 0);
    });
    remember(key, Date.now() + windowMs - ageMs);
  }

  return async (ctx, access) => {
    if (!ctx.actor.id) return;
    const key = `${ctx.tenantId}:${ctx.actor.id}`;
    const until = recent.get(key);
    if (until !== undefined && until > Date.now()) return;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const run = record(key, ctx, access).finally(() => inFlight.delete(key));
    inFlight.set(key, run);
    return run;
  };
}
