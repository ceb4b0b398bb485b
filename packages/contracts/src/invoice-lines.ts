import type { Invoice, InvoiceLine, InvoiceStatus } from './billing.js';
import { metricNames } from './usage.js';
import type { MetricType } from './billing.js';

/**
 * How an invoice line reads, the same on the portal's invoice page and in the PDF: what was
 * used and included (usage lines), the billed quantity in the priced unit, the price of that
 * unit, and the amount (= quantity x unit price).
 */
export interface InvoiceLineText {
  /** e.g. "API calls: 1,065,000 used, 1,000,000 included, 65,000 over" */
  description: string;
  /** e.g. "7 × 10,000 calls" */
  quantity: string;
  /** e.g. "$1.50 per 10,000 calls" */
  unitPrice: string;
  /** e.g. "$10.50" */
  amount: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Integer minor units in their ISO currency, en-US ("$1,065.50"; 0 decimals for JPY...). */
export function formatMinorUnits(minor: number, currency: string): string {
  const formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  return formatter.format(minor / 10 ** digits);
}

function metricOf(line: Pick<InvoiceLine, 'metricType'>): { name: string; unit: string; one: string } | null {
  const metric = line.metricType ? metricNames[line.metricType as MetricType] : undefined;
  if (!metric) return null;
  // "calls" -> "call", "seats" -> "seat"; "GB" stays.
  const one = metric.unit.endsWith('s') ? metric.unit.slice(0, -1) : metric.unit;
  return { ...metric, one };
}

export function formatInvoiceLine(
  line: Pick<InvoiceLine, 'kind' | 'description' | 'metricType' | 'quantity' | 'unitAmount' | 'unitSize' | 'usedQuantity' | 'includedQuantity' | 'amount'>,
  currency: string,
): InvoiceLineText {
  const money = (minor: number) => formatMinorUnits(minor, currency);
  const metric = line.kind === 'usage' ? metricOf(line) : null;
  let description = line.description;
  if (metric && line.usedQuantity !== null && line.includedQuantity !== null) {
    const over = Math.max(0, line.usedQuantity - line.includedQuantity);
    description = `${metric.name}: ${count(line.usedQuantity)} used, ${count(line.includedQuantity)} included, ${count(over)} over`;
  }
  const block = line.unitSize > 1 ? `${count(line.unitSize)} ${metric?.unit ?? 'units'}` : (metric?.one ?? null);
  return {
    description,
    quantity: line.unitSize > 1 ? `${count(line.quantity)} × ${block}` : metric ? `${count(line.quantity)} ${metric.unit}` : count(line.quantity),
    unitPrice: block ? `${money(line.unitAmount)} per ${block}` : money(line.unitAmount),
    amount: money(line.amount),
  };
}

/** The rule for "amount due" everywhere (API, page, PDF): total - amount paid, nothing for a void invoice. */
export function amountDueOf(invoice: { status: InvoiceStatus; total: number; amountPaid: number }): number {
  if (invoice.status === 'void') return 0;
  return Math.max(0, invoice.total - invoice.amountPaid);
}

/** Every line bills quantity x unit price, and the lines add up to the subtotal. */
export function invoiceAddsUp(invoice: Pick<Invoice, 'lines' | 'subtotal'>): boolean {
  return (
    invoice.lines.every((l) => l.quantity * l.unitAmount === l.amount) &&
    invoice.lines.reduce((sum, l) => sum + l.amount, 0) === invoice.subtotal
  );
}
