import { eq } from 'drizzle-orm';
import type { ScopedTx } from '../../platform/db.js';
import { plans, tenants } from '../../platform/schema.js';

/**
 * The seats of the tenant's plan: its `users` limit, the hard limit or else the included number
 * (as `planLimitImpacts` counts them for a plan change, decision 004); null when the plan has no
 * `users` limit (or the tenant no plan). For the team module's checks, in its transaction.
 */
export async function seatLimitIn(tx: ScopedTx, tenantId: string): Promise<{ seats: number; planName: string } | null> {
  const [row] = await tx
    .select({ name: plans.name, limits: plans.limits })
    .from(tenants)
    .innerJoin(plans, eq(plans.id, tenants.planId))
    .where(eq(tenants.id, tenantId))
    .limit(1);
  const users = row?.limits.users;
  if (!row || !users) return null;
  return { seats: users.hardLimit ?? users.included, planName: row.name };
}
