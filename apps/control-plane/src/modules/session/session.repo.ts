import { eq } from 'drizzle-orm';
import type { ScopedTx } from '../../platform/db.js';
import { tenants } from '../../platform/schema.js';

export async function findTenant(tx: ScopedTx, tenantId: string) {
  const [row] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return row;
}
