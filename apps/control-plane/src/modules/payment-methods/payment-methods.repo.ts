import { and, asc, count, desc, eq, ne, sql } from 'drizzle-orm';
import { preparedQuery, type ScopedTx } from '../../platform/db.js';
import { paymentMethods } from '../../platform/schema.js';

export type PaymentMethodRow = typeof paymentMethods.$inferSelect;
export type NewPaymentMethod = typeof paymentMethods.$inferInsert;

const methodsOf = preparedQuery('cbp_payment_methods_list', (q) =>
  q
    .select()
    .from(paymentMethods)
    .where(eq(paymentMethods.tenantId, sql.placeholder('tenantId')))
    .orderBy(desc(paymentMethods.isDefault), desc(paymentMethods.createdAt), asc(paymentMethods.id)),
);

export function listPaymentMethods(tx: ScopedTx, tenantId: string): Promise<PaymentMethodRow[]> {
  return methodsOf(tx, { tenantId });
}

export async function paymentMethodById(tx: ScopedTx, tenantId: string, id: string): Promise<PaymentMethodRow | undefined> {
  const [row] = await tx
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.id, id)))
    .limit(1);
  return row;
}

export async function paymentMethodByGatewayId(tx: ScopedTx, gatewayId: string): Promise<PaymentMethodRow | undefined> {
  const [row] = await tx.select().from(paymentMethods).where(eq(paymentMethods.gatewayPaymentMethodId, gatewayId)).limit(1);
  return row;
}

export async function paymentMethodByFingerprint(tx: ScopedTx, tenantId: string, fingerprint: string): Promise<PaymentMethodRow | undefined> {
  const [row] = await tx
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.cardFingerprint, fingerprint)))
    .limit(1);
  return row;
}

export async function countPaymentMethods(tx: ScopedTx, tenantId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(paymentMethods).where(eq(paymentMethods.tenantId, tenantId));
  return row?.n ?? 0;
}

export async function insertPaymentMethod(tx: ScopedTx, values: NewPaymentMethod): Promise<PaymentMethodRow> {
  const [row] = await tx.insert(paymentMethods).values(values).returning();
  if (!row) throw new Error('payment method insert returned nothing');
  return row;
}

/** Serialises changes to the tenant's methods until the transaction ends (one default at a time). */
export async function lockPaymentMethods(tx: ScopedTx, tenantId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`payment-methods:${tenantId}`}))`);
}

/**
 * Inserts the method unless a row for its gateway id exists (written meanwhile by the gateway's
 * `payment_method.attached` event or an earlier attempt); returns the row and whether it is new.
 */
export async function insertPaymentMethodIfAbsent(tx: ScopedTx, values: NewPaymentMethod): Promise<{ row: PaymentMethodRow; inserted: boolean }> {
  const [row] = await tx.insert(paymentMethods).values(values).onConflictDoNothing({ target: paymentMethods.gatewayPaymentMethodId }).returning();
  if (row) return { row, inserted: true };
  const existing = await paymentMethodByGatewayId(tx, values.gatewayPaymentMethodId);
  if (!existing || existing.tenantId !== values.tenantId) throw new Error('payment method insert conflicted with another tenant');
  return { row: existing, inserted: false };
}

/** Makes `id` the tenant's only default (the unique partial index allows one). */
export async function makeDefault(tx: ScopedTx, tenantId: string, id: string | null): Promise<void> {
  await tx
    .update(paymentMethods)
    .set({ isDefault: false })
    .where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.isDefault, true), id ? ne(paymentMethods.id, id) : undefined));
  if (id) await tx.update(paymentMethods).set({ isDefault: true }).where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.id, id)));
}

export async function updatePaymentMethod(tx: ScopedTx, id: string, values: Partial<NewPaymentMethod>): Promise<void> {
  await tx.update(paymentMethods).set(values).where(eq(paymentMethods.id, id));
}

export async function deletePaymentMethod(tx: ScopedTx, id: string): Promise<void> {
  await tx.delete(paymentMethods).where(eq(paymentMethods.id, id));
}
