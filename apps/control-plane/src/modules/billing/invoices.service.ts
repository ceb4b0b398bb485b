import type { Invoice, InvoiceCustomer, InvoiceListQuery, UpcomingInvoice } from '@cbp/contracts';
import { addMonth } from '../../adapters/payments/proration.js';
import { readTenant, withTenant, type TenantTx } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { versionedReadCache } from '../../platform/read-cache.js';
import { invoiceById, linesOf, listInvoices, setInvoiceCustomer, subscriptionOf, tenantName } from './billing.repo.js';
import { renderInvoicePdf, type InvoiceParty } from './invoice-pdf.js';
import { invoiceFrom } from './mappers.js';
import type { BillingDeps } from './subscriptions.service.js';

/**
 * Pages of invoices as answered, per tenant and query, while the tenant's invoices and lines
 * are unchanged (platform/read-cache.ts: checked against PostgreSQL on every call). Up to
 * 32 MB (a demo page of 7 invoices with their lines weighs ~7 KB).
 */
const invoicePages = versionedReadCache<{ data: Invoice[]; total: number }>({
  resource: 'invoices',
  maxBytes: 32 * 1024 * 1024,
  weigh: (page) => 200 + page.data.reduce((sum, invoice) => sum + 600 + 300 * invoice.lines.length, 0),
});

export async function invoicesOf({ db }: BillingDeps, tenantId: string, query: InvoiceListQuery) {
  return readTenant(db, tenantId, (tx) =>
    invoicePages(tx, db, tenantId, `${query.page}:${query.limit}:${query.status ?? ''}`, async () => {
      const { rows, lines, total } = await listInvoices(tx, tenantId, query);
      return { data: rows.map((r) => invoiceFrom(r, lines)), total };
    }),
  );
}

export async function invoiceOf({ db }: BillingDeps, tenantId: string, id: string): Promise<Invoice> {
  return readTenant(db, tenantId, async (tx) => {
    // Another tenant's invoice is "not found", never "forbidden".
    const row = await invoiceById(tx, tenantId, id);
    if (!row) throw notFound('Invoice');
    return invoiceFrom(row, await linesOf(tx, [row.id]));
  });
}

/** Without INVOICE_SELLER_* configuration (tests, local runs). */
export const defaultSeller: InvoiceParty = { name: 'CBP · Customer Business Portal', addressLines: [], taxId: null };

/**
 * The invoice's PDF. The customer block is the customer as billed when the invoice was issued
 * (`invoice.customer`); only a draft, or an invoice issued before CBP kept that, prints the
 * organization profile as it is now.
 */
export async function invoicePdf(deps: BillingDeps, tenantId: string, id: string): Promise<{ number: string; pdf: Buffer }> {
  const invoice = await invoiceOf(deps, tenantId, id);
  return { number: invoice.number, pdf: await renderInvoicePdf(invoice, { seller: deps.seller ?? defaultSeller, billedTo: invoice.customer ?? (await currentCustomer(deps, tenantId)) }) };
}

async function currentCustomer(deps: BillingDeps, tenantId: string): Promise<InvoiceParty> {
  const name = (await withTenant(deps.db, tenantId, (tx) => tenantName(tx, tenantId))) ?? '';
  const details = deps.customerBillingDetails ? await deps.customerBillingDetails(tenantId) : null;
  return {
    name: details?.name || name,
    addressLines: details?.addressLines ?? [],
    taxId: details?.taxId ?? null,
    email: details?.email ?? null,
  };
}

/**
 * Writes the customer as billed on an issued invoice, once: a later call (a repeated delivery of
 * `invoice.issued`) changes nothing. For the organization module's `invoice.issued` handler, in
 * the delivery's transaction. Returns whether it wrote.
 */
export async function recordInvoiceCustomer(tx: TenantTx, tenantId: string, invoiceId: string, customer: InvoiceCustomer): Promise<boolean> {
  return setInvoiceCustomer(tx, tenantId, invoiceId, customer);
}

export async function upcomingInvoice(deps: BillingDeps, tenantId: string): Promise<UpcomingInvoice> {
  const sub = await withTenant(deps.db, tenantId, (tx) => subscriptionOf(tx, tenantId));
  if (!sub) throw notFound('Subscription');
  if (!sub.gatewaySubscriptionId) throw new AppError(409, 'NOT_PROVISIONED', 'This subscription is not connected to the payment gateway yet.');
  if (sub.status === 'canceled') throw new AppError(404, 'NOT_FOUND', 'An ended subscription has no upcoming invoice.');
  const quote = await deps.gateway.upcomingInvoice({ subscriptionId: sub.gatewaySubscriptionId });
  return {
    amountDue: quote.nextInvoiceAmount,
    currency: quote.currency,
    periodStart: sub.currentPeriodEnd.toISOString(),
    periodEnd: addMonth(sub.currentPeriodEnd).toISOString(),
    lines: quote.nextInvoiceLines,
  };
}
