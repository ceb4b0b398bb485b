import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, sql } from 'drizzle-orm';
import type { InvoiceCustomer, InvoiceStatus } from '@cbp/contracts';
import { preparedQuery, type Queryable, type ScopedTx } from '../../platform/db.js';
import { pageWithTotal, totalOverAll } from '../../platform/paging.js';
import { billingCustomers, invoiceLines, invoices, plans, subscriptions, tenants } from '../../platform/schema.js';

export type PlanRow = typeof plans.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;

export async function planById(db: Queryable, id: string): Promise<PlanRow | undefined> {
  const [row] = await db.select().from(plans).where(eq(plans.id, id)).limit(1);
  return row;
}

export async function planByKey(db: Queryable, key: string): Promise<PlanRow | undefined> {
  const [row] = await db.select().from(plans).where(eq(plans.key, key)).limit(1);
  return row;
}

export async function subscriptionOf(tx: ScopedTx, tenantId: string): Promise<SubscriptionRow | undefined> {
  const [row] = await tx.select().from(subscriptions).where(eq(subscriptions.tenantId, tenantId)).limit(1);
  return row;
}

/** The tenant's subscription and its plan, in one statement. */
const subscriptionAndPlan = preparedQuery('cbp_billing_subscription_plan', (q) =>
  q
    .select({ sub: subscriptions, plan: plans })
    .from(subscriptions)
    .innerJoin(plans, eq(plans.id, subscriptions.planId))
    .where(eq(subscriptions.tenantId, sql.placeholder('tenantId')))
    .limit(1),
);

export async function subscriptionWithPlan(tx: ScopedTx, tenantId: string): Promise<{ sub: SubscriptionRow; plan: PlanRow } | undefined> {
  const [row] = await subscriptionAndPlan(tx, { tenantId });
  return row;
}

export async function subscriptionByGatewayId(tx: ScopedTx, gatewayId: string): Promise<SubscriptionRow | undefined> {
  const [row] = await tx.select().from(subscriptions).where(eq(subscriptions.gatewaySubscriptionId, gatewayId)).limit(1);
  return row;
}

export async function updateSubscription(tx: ScopedTx, id: string, values: Partial<typeof subscriptions.$inferInsert>) {
  await tx.update(subscriptions).set(values).where(eq(subscriptions.id, id));
}

export async function insertSubscription(tx: ScopedTx, values: typeof subscriptions.$inferInsert) {
  await tx.insert(subscriptions).values(values);
}

export async function setTenantPlan(tx: ScopedTx, tenantId: string, planId: string) {
  await tx.update(tenants).set({ planId }).where(eq(tenants.id, tenantId));
}

export async function tenantName(tx: ScopedTx, tenantId: string): Promise<string | undefined> {
  const [row] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return row?.name;
}

export async function customerOf(tx: ScopedTx, tenantId: string) {
  const [row] = await tx.select().from(billingCustomers).where(eq(billingCustomers.tenantId, tenantId)).limit(1);
  return row;
}

export async function tenantOfCustomer(tx: ScopedTx, customerId: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ tenantId: billingCustomers.tenantId })
    .from(billingCustomers)
    .where(eq(billingCustomers.customerId, customerId))
    .limit(1);
  return row?.tenantId;
}

export async function insertCustomer(tx: ScopedTx, values: typeof billingCustomers.$inferInsert) {
  await tx.insert(billingCustomers).values(values).onConflictDoNothing();
}

/** A page of invoices (with `count(*) OVER ()`), prepared per shape: with or without a status. */
const invoicePage = (withStatus: boolean) =>
  preparedQuery(`cbp_billing_invoices_${withStatus ? 'status' : 'all'}`, (q) =>
    q
      .select({ ...getTableColumns(invoices), total: totalOverAll })
      .from(invoices)
      .where(and(eq(invoices.tenantId, sql.placeholder('tenantId')), withStatus ? eq(invoices.status, sql.placeholder('status')) : undefined))
      .orderBy(desc(invoices.createdAt), desc(invoices.id))
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset')),
  );
const invoicePages = { all: invoicePage(false), status: invoicePage(true) };

/** The lines of some invoices, by invoice and position (one statement whatever their number). */
const linesOfInvoices = preparedQuery('cbp_billing_invoice_lines', (q) =>
  q
    .select()
    .from(invoiceLines)
    .where(sql`${invoiceLines.invoiceId} = ANY(${sql.placeholder('ids')}::uuid[])`)
    .orderBy(asc(invoiceLines.invoiceId), asc(invoiceLines.position)),
);

/** A page of invoices with their lines and the number matching: two statements, each prepared. */
export async function listInvoices(
  tx: ScopedTx,
  tenantId: string,
  { page, limit, status }: { page: number; limit: number; status?: InvoiceStatus },
): Promise<{ rows: InvoiceRow[]; lines: InvoiceLineRow[]; total: number }> {
  const offset = (page - 1) * limit;
  const rows = await (status ? invoicePages.status : invoicePages.all)(tx, { tenantId, status, limit, offset });
  const { rows: invoicesOnPage, total } = await pageWithTotal(rows, offset, async () => {
    const where = and(eq(invoices.tenantId, tenantId), status ? eq(invoices.status, status) : undefined);
    return (await tx.select({ n: count() }).from(invoices).where(where))[0]?.n ?? 0;
  });
  const lines = invoicesOnPage.length ? await linesOfInvoices(tx, { ids: invoicesOnPage.map((r) => r.id) }) : [];
  return { rows: invoicesOnPage, lines, total };
}

export async function invoiceById(tx: ScopedTx, tenantId: string, id: string): Promise<InvoiceRow | undefined> {
  const [row] = await tx
    .select()
    .from(invoices)
    .where(and(eq(invoices.tenantId, tenantId), eq(invoices.id, id)))
    .limit(1);
  return row;
}

export async function invoiceByGatewayId(tx: ScopedTx, gatewayId: string): Promise<InvoiceRow | undefined> {
  const [row] = await tx.select().from(invoices).where(eq(invoices.gatewayInvoiceId, gatewayId)).limit(1);
  return row;
}

export async function linesOf(tx: ScopedTx, invoiceIds: string[]): Promise<InvoiceLineRow[]> {
  if (invoiceIds.length === 0) return [];
  return tx
    .select()
    .from(invoiceLines)
    .where(inArray(invoiceLines.invoiceId, invoiceIds))
    .orderBy(asc(invoiceLines.invoiceId), asc(invoiceLines.position));
}

/** A line as stored: quantity x unitAmount = amount (a CHECK since 0031), else one lump sum. */
export function addingUp<L extends { quantity: number; unitAmount: number; amount: number; unitSize?: number }>(line: L): L {
  return line.quantity * line.unitAmount === line.amount ? line : { ...line, quantity: 1, unitAmount: line.amount, unitSize: 1 };
}

export async function upsertInvoice(
  tx: ScopedTx,
  values: typeof invoices.$inferInsert,
  lines: Omit<typeof invoiceLines.$inferInsert, 'invoiceId' | 'tenantId' | 'position'>[],
): Promise<string> {
  const { id: _ignored, ...updatable } = values;
  const [row] = await tx
    .insert(invoices)
    .values(values)
    .onConflictDoUpdate({ target: invoices.gatewayInvoiceId, set: updatable })
    .returning({ id: invoices.id });
  if (!row) throw new Error('invoice upsert returned nothing');
  await tx.delete(invoiceLines).where(eq(invoiceLines.invoiceId, row.id));
  if (lines.length) {
    await tx
      .insert(invoiceLines)
      .values(lines.map((l, position) => ({ ...addingUp(l), invoiceId: row.id, tenantId: values.tenantId, position })));
  }
  return row.id;
}

/** Sets the customer of an invoice that has none yet (see recordInvoiceCustomer). */
export async function setInvoiceCustomer(tx: ScopedTx, tenantId: string, invoiceId: string, customer: InvoiceCustomer): Promise<boolean> {
  const rows = await tx
    .update(invoices)
    .set({ customer })
    .where(and(eq(invoices.tenantId, tenantId), eq(invoices.id, invoiceId), isNull(invoices.customer)))
    .returning({ id: invoices.id });
  return rows.length > 0;
}

export async function countInvoices(tx: ScopedTx, tenantId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(invoices).where(eq(invoices.tenantId, tenantId));
  return row?.n ?? 0;
}

/** The invoice locked for a change (FOR UPDATE): concurrent payments of one invoice write one after the other. */
export async function lockInvoice(tx: ScopedTx, tenantId: string, id: string): Promise<InvoiceRow | undefined> {
  const [row] = await tx
    .select()
    .from(invoices)
    .where(and(eq(invoices.tenantId, tenantId), eq(invoices.id, id)))
    .for('update')
    .limit(1);
  return row;
}

export async function markInvoicePaid(tx: ScopedTx, id: string, values: { amountPaid: number; paidAt: Date }) {
  await tx.update(invoices).set({ status: 'paid', amountPaid: values.amountPaid, paidAt: values.paidAt }).where(eq(invoices.id, id));
}
