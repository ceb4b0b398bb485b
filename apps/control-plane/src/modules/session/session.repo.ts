import { eq, sql } from 'drizzle-orm';
import { preparedQuery, type ScopedTx, type Tx } from '../../platform/db.js';
import { tenants, users } from '../../platform/schema.js';

const tenantById = preparedQuery('cbp_session_tenant', (q) =>
  q.select().from(tenants).where(eq(tenants.id, sql.placeholder('tenantId'))).limit(1),
);

export async function findTenant(tx: ScopedTx, tenantId: string) {
  const [row] = await tenantById(tx, { tenantId });
  return row;
}

export async function setUserName(tx: Tx, userId: string, name: string): Promise<void> {
  await tx.update(users).set({ name }).where(eq(users.id, userId));
}

export async function setPasswordHash(tx: Tx, userId: string, passwordHash: string): Promise<void> {
  await tx.update(users).set({ passwordHash }).where(eq(users.id, userId));
}
