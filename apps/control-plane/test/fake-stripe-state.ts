import { randomBytes } from 'node:crypto';
import { customerJson, lineJson, listJson, priceJson, subscriptionJson } from './fake-stripe-json.js';
import { invoiceItemLineJson, invoiceItemsOf } from './fake-stripe-invoice-items.js';
import type { FakePaymentMethod, FakeSetupIntent } from './fake-stripe-payment-methods.js';

/**
 * In-memory objects of the fake Stripe (see fake-stripe.ts) and the handlers that read and
 * change them, answering with the JSON shapes of Stripe's API (version pinned by the SDK:
 * billing periods on subscription items, invoice lines with `parent` and `pricing`).
 * Simplifications: payments always succeed (subscriptions start `active` or `trialing`), every
 * price is monthly in usd, and previews need a subscription.
 */

export type ParamValue = string | Params | ParamValue[];
export interface Params {
  [key: string]: ParamValue;
}

/**
 * An error answered as Stripe does: `{ error: { type, code, message, param } }` with an HTTP
 * status; `extra` adds fields such as a card error's `decline_code` and `setup_intent`.
 */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param?: string,
    readonly extra: object = {},
  ) {
    super(message);
  }
  toJSON() {
    return {
      type: this.type,
      message: this.message,
      ...(this.code ? { code: this.code, doc_url: `https://stripe.com/docs/error-codes/${this.code.replace(/_/g, '-')}` } : {}),
      ...(this.param ? { param: this.param } : {}),
      ...this.extra,
    };
  }
}

export interface FakePrice {
  id: string;
  lookupKey: string;
  nickname: string;
  product: string;
  unitAmount: number;
  created: number;
}
export interface FakeCustomer {
  id: string;
  name: string | null;
  email: string | null;
  metadata: Params;
  created: number;
  /** `invoice_settings.default_payment_method`. */
  defaultPaymentMethod: string | null;
}
export interface FakeItem {
  id: string;
  priceId: string;
  quantity: number;
  periodStart: number;
  periodEnd: number;
  created: number;
}
/** A line of the next invoice: a pending proration (invoice item) or the next period's charge. */
export interface FakeLine {
  id: string;
  itemId: string;
  priceId: string;
  quantity: number;
  amount: number;
  description: string;
  start: number;
  end: number;
  proration: boolean;
}
export interface FakeSubscription {
  id: string;
  customer: string;
  status: 'active' | 'trialing' | 'canceled';
  cancelAtPeriodEnd: boolean;
  canceledAt: number | null;
  endedAt: number | null;
  created: number;
  trialStart: number | null;
  trialEnd: number | null;
  metadata: Params;
  items: FakeItem[];
  /** Prorations from plan changes, billed on the next invoice. */
  pending: FakeLine[];
}

export const newId = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
export const str = (v: ParamValue | undefined) => (typeof v === 'string' ? v : undefined);
const list = (v: ParamValue | undefined): ParamValue[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
export const obj = (v: ParamValue | undefined): Params => (typeof v === 'object' && !Array.isArray(v) ? v : {});
const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;
const day = (seconds: number) =>
  new Date(seconds * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** Same day next month, clamped to the month's last day (31 Jan -> 28/29 Feb), like Stripe. */
export function addMonth(seconds: number): number {
  const d = new Date(seconds * 1000);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 2, 0)).getUTCDate();
  const next = new Date(d);
  next.setUTCDate(1);
  next.setUTCMonth(d.getUTCMonth() + 1);
  next.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return Math.floor(next.getTime() / 1000);
}

export const missing = (kind: string, id: string, where: 'path' | 'param', param?: string) =>
  new StripeApiError(where === 'path' ? 404 : 400, 'invalid_request_error', 'resource_missing', `No such ${kind}: '${id}'`, param);

export class FakeStripeState {
  /** The fake's clock in Unix seconds; tests may replace it. */
  now = () => Math.floor(Date.now() / 1000);
  readonly customers = new Map<string, FakeCustomer>();
  readonly prices = new Map<string, FakePrice>();
  readonly subscriptions = new Map<string, FakeSubscription>();
  readonly paymentMethods = new Map<string, FakePaymentMethod>();
  readonly setupIntents = new Map<string, FakeSetupIntent>();

  constructor() {
    const plans: Array<[string, string, number]> = [
      ['free', 'Free', 0],
      ['starter', 'Starter', 4900],
      ['pro', 'Pro', 19900],
      ['enterprise', 'Enterprise', 99900],
    ];
    for (const [key, nickname, unitAmount] of plans) {
      const price = { id: newId('price'), lookupKey: `cbp_${key}`, nickname, product: newId('prod'), unitAmount, created: this.now() };
      this.prices.set(price.id, price);
    }
  }

  priceByLookupKey(lookupKey: string): FakePrice {
    const price = [...this.prices.values()].find((p) => p.lookupKey === lookupKey);
    if (!price) throw new Error(`fake Stripe has no price ${lookupKey}`);
    return price;
  }

  customer(id: string, where: 'path' | 'param', param = 'customer'): FakeCustomer {
    const customer = this.customers.get(id);
    if (!customer) throw missing('customer', id, where, param);
    return customer;
  }

  subscription(id: string, where: 'path' | 'param', param = 'subscription'): FakeSubscription {
    const sub = this.subscriptions.get(id);
    if (!sub) throw missing('subscription', id, where, param);
    return sub;
  }

  priceOf = (id: string): FakePrice => {
    const price = this.prices.get(id);
    if (!price) throw new Error(`fake Stripe has no price ${id}`);
    return price;
  };

  subscriptionJson(sub: FakeSubscription) {
    return subscriptionJson(sub, this.priceOf);
  }

  private price(id: string | undefined, param: string): FakePrice {
    if (!id) throw new StripeApiError(400, 'invalid_request_error', 'parameter_missing', `Missing required param: ${param}.`, param);
    const price = this.prices.get(id);
    if (!price) throw missing('price', id, 'param', param);
    return price;
  }

  createCustomer(p: Params) {
    const customer: FakeCustomer = {
      id: newId('cus'),
      name: str(p.name) ?? null,
      email: str(p.email) ?? null,
      metadata: obj(p.metadata),
      created: this.now(),
      defaultPaymentMethod: null,
    };
    this.customers.set(customer.id, customer);
    return customerJson(customer);
  }

  listPrices(p: Params) {
    const keys = list(p.lookup_keys).map(String);
    const limit = Number(str(p.limit) ?? 10);
    const found = [...this.prices.values()].filter((price) => keys.length === 0 || keys.includes(price.lookupKey));
    return listJson(found.slice(0, limit).map((price) => priceJson(price)), '/v1/prices');
  }

  createSubscription(p: Params) {
    const customer = this.customer(str(p.customer) ?? '', 'param');
    const items = list(p.items).map(obj);
    if (items.length === 0) {
      throw new StripeApiError(400, 'invalid_request_error', 'parameter_missing', 'Missing required param: items.', 'items');
    }
    const start = this.now();
    const trialDays = Number(str(p.trial_period_days) ?? 0);
    const trialEnd = trialDays > 0 ? start + trialDays * 86_400 : null;
    const end = trialEnd ?? addMonth(start);
    const sub: FakeSubscription = {
      id: newId('sub'),
      customer: customer.id,
      status: trialEnd ? 'trialing' : 'active',
      cancelAtPeriodEnd: false,
      canceledAt: null,
      endedAt: null,
      created: start,
      trialStart: trialEnd ? start : null,
      trialEnd,
      metadata: obj(p.metadata),
      items: items.map((item, i) => ({
        id: newId('si'),
        priceId: this.price(str(item.price), `items[${i}][price]`).id,
        quantity: Number(str(item.quantity) ?? 1),
        periodStart: start,
        periodEnd: end,
        created: start,
      })),
      pending: [],
    };
    this.subscriptions.set(sub.id, sub);
    return this.subscriptionJson(sub);
  }

  updateSubscription(id: string, p: Params) {
    const sub = this.subscription(id, 'path');
    this.applyItemChanges(sub, list(p.items).map(obj), p.proration_behavior, p.proration_date, sub.pending);
    if (p.cancel_at_period_end !== undefined) {
      sub.cancelAtPeriodEnd = str(p.cancel_at_period_end) === 'true';
      sub.canceledAt = sub.cancelAtPeriodEnd ? this.now() : null;
    }
    return this.subscriptionJson(sub);
  }

  cancelSubscription(id: string) {
    const sub = this.subscription(id, 'path');
    sub.status = 'canceled';
    sub.canceledAt = sub.endedAt = this.now();
    return this.subscriptionJson(sub);
  }

  /**
   * Price changes of `items[n][id]`; with `create_prorations` (the default) pushes to `into`
   * a credit for the unused time of the old price and a charge for the remaining time of the
   * new one, each `unit amount × quantity × seconds left / seconds in period`, rounded to the cent.
   * Returns the price of every item after the change.
   */
  private applyItemChanges(sub: FakeSubscription, changes: Params[], behavior: ParamValue | undefined, date: ParamValue | undefined, into: FakeLine[]) {
    const at = date === undefined ? this.now() : Number(str(date));
    const priceAfter = new Map(sub.items.map((item) => [item.id, item.priceId]));
    changes.forEach((change, i) => {
      const itemId = str(change.id) ?? '';
      const item = sub.items.find((it) => it.id === itemId);
      if (!item) throw missing('subscription item', itemId, 'param', `items[${i}][id]`);
      if (change.price === undefined) return;
      const price = this.price(str(change.price), `items[${i}][price]`);
      if (price.id === item.priceId) return;
      if (at < item.periodStart || at > item.periodEnd) {
        const message = 'The proration_date must be within the current subscription period.';
        throw new StripeApiError(400, 'invalid_request_error', null, message, 'proration_date');
      }
      if ((str(behavior) ?? 'create_prorations') !== 'none') {
        const old = this.priceOf(item.priceId);
        const share = (unitAmount: number) =>
          Math.round((unitAmount * item.quantity * (item.periodEnd - at)) / (item.periodEnd - item.periodStart));
        const line = { itemId: item.id, quantity: item.quantity, start: at, end: item.periodEnd, proration: true };
        into.push(
          { ...line, id: newId('ii'), priceId: old.id, amount: -share(old.unitAmount), description: `Unused time on ${old.nickname} after ${day(at)}` },
          { ...line, id: newId('ii'), priceId: price.id, amount: share(price.unitAmount), description: `Remaining time on ${price.nickname} after ${day(at)}` },
        );
      }
      priceAfter.set(item.id, price.id);
      if (into === sub.pending) item.priceId = price.id;
    });
    return priceAfter;
  }

  /**
   * `POST /v1/invoices/create_preview`: the next invoice of a subscription, with the proposed
   * `subscription_details` applied (nothing is changed). Lines: pending prorations, the
   * proposal's prorations, then next period's charge per item (none when canceling at period end).
   * Like Stripe, a negative total is owed to the customer: `amount_due` is then 0.
   */
  createPreview(p: Params) {
    if (!str(p.subscription)) {
      const message = 'The fake Stripe previews invoices of a subscription only: pass `subscription`.';
      throw new StripeApiError(400, 'invalid_request_error', 'parameter_missing', message, 'subscription');
    }
    const sub = this.subscription(str(p.subscription) as string, 'param');
    const customer = str(p.customer);
    if (customer && customer !== sub.customer) {
      this.customer(customer, 'param');
      throw new StripeApiError(400, 'invalid_request_error', null, `The subscription ${sub.id} does not belong to customer ${customer}.`, 'customer');
    }
    const details = obj(p.subscription_details);
    const proposed: FakeLine[] = [];
    const priceAfter = this.applyItemChanges(sub, list(details.items).map(obj), details.proration_behavior, details.proration_date, proposed);
    const lines = [...sub.pending, ...proposed];
    if (!sub.cancelAtPeriodEnd) {
      for (const item of sub.items) {
        const price = this.priceOf(priceAfter.get(item.id) ?? item.priceId);
        lines.push({
          id: newId('il_tmp'),
          itemId: item.id,
          priceId: price.id,
          quantity: item.quantity,
          amount: price.unitAmount * item.quantity,
          description: `${item.quantity} × ${price.nickname} (at ${money(price.unitAmount)} / month)`,
          start: item.periodEnd,
          end: addMonth(item.periodEnd),
          proration: false,
        });
      }
    }
    const items = invoiceItemsOf(this).filter((i) => i.subscription === sub.id && i.invoice === null);
    const total = lines.reduce((sum, line) => sum + line.amount, 0) + items.reduce((sum, i) => sum + i.amount, 0);
    const first = sub.items[0] as FakeItem;
    const due = Math.max(0, total);
    return {
      id: newId('upcoming_in'),
      object: 'invoice',
      amount_due: due,
      amount_paid: 0,
      amount_remaining: due,
      billing_reason: 'upcoming',
      collection_method: 'charge_automatically',
      created: first.periodEnd,
      currency: 'usd',
      customer: sub.customer,
      due_date: null,
      lines: listJson(
        [...lines.map((line) => lineJson(sub, line, this.priceOf(line.priceId))), ...items.map(invoiceItemLineJson)],
        '/v1/invoices/upcoming/lines',
      ),
      livemode: false,
      next_payment_attempt: due > 0 ? first.periodEnd + 3600 : null,
      number: null,
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: {
          metadata: sub.metadata,
          subscription: sub.id,
          ...(details.proration_date ? { subscription_proration_date: Number(str(details.proration_date)) } : {}),
        },
      },
      period_end: first.periodEnd,
      period_start: first.periodStart,
      starting_balance: 0,
      status: 'draft',
      status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
      subtotal: total,
      total,
    };
  }

  createPortalSession(p: Params) {
    const customer = this.customer(str(p.customer) ?? '', 'param');
    return {
      id: newId('bps'),
      object: 'billing_portal.session',
      created: this.now(),
      customer: customer.id,
      livemode: false,
      return_url: str(p.return_url) ?? null,
      url: `https://billing.stripe.com/p/session/test_${randomBytes(12).toString('hex')}`,
    };
  }
}
