import { and, asc, count, desc, eq, ne } from 'drizzle-orm';
import type { Queryable, Tx } from '../../platform/db.js';
import { paymentMethods } from '../../platform/schema.js';

export type PaymentMethodRow = typeof paymentMethods.$inferSelect;
export type NewPaymentMethod = typeof paymentMethods.$inferInsert;

export function listPaymentMethods(tx: Tx, tenantId: string): Promise<PaymentMethodRow[]> {
  return tx
    .select()
    .from(paymentMethods)
    .where(eq(paymentMethods.tenantId, tenantId))
    .orderBy(desc(paymentMethods.isDefault), desc(paymentMethods.createdAt), asc(paymentMethods.id));
}

export async function paymentMethodById(tx: Tx, tenantId: string, id: string): Promise<PaymentMethodRow | undefined> {
  const [row] = await tx
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.id, id)))
    .limit(1);
  return row;
}

export async function paymentMethodByGatewayId(db: Queryable, gatewayId: string): Promise<PaymentMethodRow | undefined> {
  const [row] = await db.select().from(paymentMethods).where(eq(paymentMethods.gatewayPaymentMethodId, gatewayId)).limit(1);
  return row;
}

export async function paymentMethodByFingerprint(tx: Tx, tenantId: string, fingerprint: string): Promise<PaymentMethodRow | undefined> {
  const [row] = await tx
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.cardFingerprint, fingerprint)))
    .limit(1);
  return row;
}

export async function countPaymentMethods(tx: Tx, tenantId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(paymentMethods).where(eq(paymentMethods.tenantId, tenantId));
  return row?.n ?? 0;
}

export async function insertPaymentMethod(tx: Tx, values: NewPaymentMethod): Promise<PaymentMethodRow> {
  const [row] = await tx.insert(paymentMethods).values(values).returning();
  if (!row) throw new Error('payment method insert returned nothing');
  return row;
}

/** Makes `id` the tenant's only default (the unique partial index allows one). */
export async function makeDefault(tx: Tx, tenantId: string, id: string | null): Promise<void> {
  await tx
    .update(paymentMethods)
    .set({ isDefault: false })
    .where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.isDefault, true), id ? ne(paymentMethods.id, id) : undefined));
  if (id) await tx.update(paymentMethods).set({ isDefault: true }).where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.id, id)));
}

export async function updatePaymentMethod(tx: Tx, id: string, values: Partial<NewPaymentMethod>): Promise<void> {
  await tx.update(paymentMethods).set(values).where(eq(paymentMethods.id, id));
}

export async function deletePaymentMethod(tx: Tx, id: string): Promise<void> {
  await tx.delete(paymentMethods).where(eq(paymentMethods.id, id));
}
