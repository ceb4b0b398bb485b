import { eq } from 'drizzle-orm';
import type { ScopedTx, Tx } from '../../platform/db.js';
import { tenants, users } from '../../platform/schema.js';

export async function findTenant(tx: ScopedTx, tenantId: string) {
  const [row] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return row;
}

export async function setUserName(tx: Tx, userId: string, name: string): Promise<void> {
  await tx.update(users).set({ name }).where(eq(users.id, userId));
}

export async function setPasswordHash(tx: Tx, userId: string, passwordHash: string): Promise<void> {
  await tx.update(users).set({ passwordHash }).where(eq(users.id, userId));
}
