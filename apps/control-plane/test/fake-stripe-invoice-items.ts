import { listJson } from './fake-stripe-json.js';
import { newId, obj, str, StripeApiError, type FakeStripeState, type Params } from './fake-stripe-state.js';

/** A one-off invoice item (`POST /v1/invoiceitems`), pending until an invoice takes it. */
export interface FakeInvoiceItem {
  id: string;
  customer: string;
  subscription: string | null;
  /** The draft invoice it was added to; null while pending. */
  invoice: string | null;
  amount: number;
  currency: string;
  description: string;
  period: { start: number; end: number };
  metadata: Record<string, string>;
  date: number;
}

const items = new WeakMap<FakeStripeState, FakeInvoiceItem[]>();
export const invoiceItemsOf = (s: FakeStripeState) => {
  let list = items.get(s);
  if (!list) items.set(s, (list = []));
  return list;
};

function invalid(message: string, param: string): StripeApiError {
  return new StripeApiError(400, 'invalid_request_error', 'parameter_invalid', message, param);
}

export function invoiceItemJson(item: FakeInvoiceItem) {
  return {
    id: item.id,
    object: 'invoiceitem',
    amount: item.amount,
    currency: item.currency,
    customer: item.customer,
    date: item.date,
    description: item.description,
    discountable: true,
    invoice: item.invoice,
    livemode: false,
    metadata: item.metadata,
    parent: item.subscription ? { type: 'subscription_details', subscription_details: { subscription: item.subscription, subscription_item: null } } : null,
    period: item.period,
    proration: false,
    quantity: 1,
  };
}

/** The item as a line of an invoice (a preview's, here). */
export function invoiceItemLineJson(item: FakeInvoiceItem) {
  return {
    id: newId('il'),
    object: 'line_item',
    amount: item.amount,
    currency: item.currency,
    description: item.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: item.metadata,
    parent: {
      type: 'invoice_item_details',
      invoice_item_details: { invoice_item: item.id, proration: false, proration_details: { credited_items: null }, subscription: item.subscription },
      subscription_item_details: null,
    },
    period: item.period,
    pricing: null,
    quantity: 1,
    subtotal: item.amount,
    taxes: [],
  };
}

export function createInvoiceItem(s: FakeStripeState, p: Params) {
  const customer = s.customer(str(p.customer) ?? '', 'param');
  const subscriptionId = str(p.subscription) ?? null;
  if (subscriptionId && s.subscription(subscriptionId, 'param').customer !== customer.id) {
    throw invalid(`The subscription ${subscriptionId} does not belong to customer ${customer.id}.`, 'subscription');
  }
  const amount = Number(str(p.amount));
  if (!Number.isInteger(amount)) throw invalid('Invalid integer: amount', 'amount');
  const currency = str(p.currency);
  if (!currency || currency !== currency.toLowerCase()) throw invalid('Invalid currency', 'currency');
  const period = obj(p.period);
  const item: FakeInvoiceItem = {
    id: newId('ii'),
    customer: customer.id,
    subscription: subscriptionId,
    invoice: str(p.invoice) ?? null,
    amount,
    currency,
    description: str(p.description) ?? '',
    period: { start: Number(str(period.start) ?? s.now()), end: Number(str(period.end) ?? s.now()) },
    metadata: Object.fromEntries(Object.entries(obj(p.metadata)).map(([k, v]) => [k, str(v) ?? ''])),
    date: s.now(),
  };
  invoiceItemsOf(s).push(item);
  return invoiceItemJson(item);
}

/** `GET /v1/invoiceitems?customer=…&pending=true`: pending ones are on no invoice yet. */
export function listInvoiceItems(s: FakeStripeState, p: Params) {
  const customer = str(p.customer);
  const pending = str(p.pending) === 'true';
  return listJson(
    invoiceItemsOf(s)
      .filter((i) => (!customer || i.customer === customer) && (!pending || i.invoice === null))
      .map(invoiceItemJson),
    '/v1/invoiceitems',
  );
}
