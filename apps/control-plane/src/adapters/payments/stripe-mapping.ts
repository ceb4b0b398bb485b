import type { InvoiceLineKind, InvoiceStatus, SubscriptionStatus } from '@cbp/contracts';
import type Stripe from 'stripe';
import {
  GatewayError,
  planKeyFromLookupKey,
  type GatewayEvent,
  type GatewayInvoice,
  type GatewayInvoiceLine,
  type GatewayPaymentMethod,
  type GatewaySubscription,
  type QuoteLine,
} from './port.js';

/**
 * Pure mapping from Stripe objects (current API version, as typed by the pinned SDK) to the
 * payment port's types. Webhook payloads are not coerced by the SDK and may come from an
 * endpoint pinned to an older API version, so a few legacy fields are read as fallbacks.
 */

/** A webhook whose `Stripe-Signature` is missing or does not verify with the endpoint secret. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

const fromUnix = (seconds: number) => new Date(seconds * 1000);
const fromUnixOrNull = (seconds: number | null | undefined) => (seconds == null ? null : fromUnix(seconds));
const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value == null ? null : typeof value === 'string' ? value : value.id;

/** `Decimal` (SDK-coerced responses), decimal string (webhooks) or number -> number. */
function decimalToNumber(value: unknown): number | null {
  if (value == null) return null;
  const n = Number(typeof value === 'number' ? value : String(value));
  return Number.isFinite(n) ? n : null;
}

const isMetered = (price: Stripe.Price | null) => price?.recurring?.usage_type === 'metered';

/**
 * The subscription item that carries the CBP plan: the first licensed (not metered) item whose
 * price has a `cbp_` lookup key, else the first item with such a key. Throws `unknown_plan`
 * when the subscription has no CBP price (e.g. created by hand in the Stripe dashboard).
 */
export function planItemOf(sub: Stripe.Subscription): Stripe.SubscriptionItem & { planKey: string } {
  const candidates = sub.items.data.filter((item) => planKeyFromLookupKey(item.price.lookup_key) !== null);
  const item = candidates.find((i) => !isMetered(i.price)) ?? candidates[0];
  if (!item) {
    throw new GatewayError('unknown_plan', `Stripe subscription ${sub.id} has no price with a cbp_ lookup key.`);
  }
  return { ...item, planKey: planKeyFromLookupKey(item.price.lookup_key) as string };
}

const subscriptionStatuses: Record<string, SubscriptionStatus> = {
  trialing: 'trialing',
  active: 'active',
  past_due: 'past_due',
  canceled: 'canceled',
  incomplete: 'incomplete',
  unpaid: 'past_due',
  paused: 'past_due',
  incomplete_expired: 'canceled',
};

export function subscriptionFromStripe(sub: Stripe.Subscription): GatewaySubscription {
  const item = planItemOf(sub);
  // Current API: the billing period lives on the item; API versions before 2025-03-31 had it
  // on the subscription, which webhook payloads of an older endpoint may still carry.
  const legacy = sub as unknown as { current_period_start?: number; current_period_end?: number };
  const start = item.current_period_start ?? legacy.current_period_start;
  const end = item.current_period_end ?? legacy.current_period_end;
  if (start == null || end == null) {
    throw new GatewayError('invalid_stripe_object', `Stripe subscription ${sub.id} carries no billing period.`);
  }
  const customerId = idOf(sub.customer);
  if (!customerId) throw new GatewayError('invalid_stripe_object', `Stripe subscription ${sub.id} has no customer.`);
  return {
    id: sub.id,
    customerId,
    planKey: item.planKey,
    // Statuses Stripe may add later count as "not in good standing" rather than active.
    status: subscriptionStatuses[sub.status] ?? 'past_due',
    currentPeriodStart: fromUnix(start),
    currentPeriodEnd: fromUnix(end),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    trialEnd: fromUnixOrNull(sub.trial_end),
  };
}

type LegacyLine = { proration?: boolean; price?: Stripe.Price | string | null };

/** Whether an invoice line is a proration (current API: under `parent`; legacy: top level). */
export function isProrationLine(line: Stripe.InvoiceLineItem): boolean {
  const parent = line.parent;
  return (
    parent?.subscription_item_details?.proration ??
    parent?.invoice_item_details?.proration ??
    (line as unknown as LegacyLine).proration ??
    false
  );
}

/** The line's Price when the payload expanded it (`lines.data.pricing.price_details.price`), else null. */
function expandedPrice(line: Stripe.InvoiceLineItem): Stripe.Price | null {
  const price = line.pricing?.price_details?.price ?? (line as unknown as LegacyLine).price;
  return price && typeof price === 'object' ? price : null;
}

/**
 * proration > usage (metered price; only detectable when the price is expanded) > subscription
 * (any other subscription item line) > adjustment (one-off invoice items).
 */
function lineKind(line: Stripe.InvoiceLineItem, price: Stripe.Price | null): InvoiceLineKind {
  if (isProrationLine(line)) return 'proration';
  if (isMetered(price) || line.metadata?.cbp_kind === 'usage') return 'usage';
  if (line.parent?.subscription_item_details) return 'subscription';
  return 'adjustment';
}

/**
 * The line in its priced unit, so that amount = quantity x unitAmount. CBP's overage items are
 * one amount whose metadata says what it is for (units over, used, included, price step);
 * other lines use Stripe's quantity and unit price, or become one lump sum when those do not
 * reproduce the amount (a fractional unit_amount_decimal, a discount...).
 */
function pricingOf(line: Stripe.InvoiceLineItem, price: Stripe.Price | null): Pick<GatewayInvoiceLine, 'quantity' | 'unitAmount' | 'unitSize' | 'usedQuantity' | 'includedQuantity'> {
  const meta = line.metadata ?? {};
  const lump = { quantity: 1, unitAmount: line.amount, unitSize: 1, usedQuantity: null, includedQuantity: null };
  if (meta.cbp_kind === 'usage') {
    const over = decimalToNumber(meta.quantity);
    const unitSize = decimalToNumber(meta.unit_size);
    const unitAmount = decimalToNumber(meta.unit_amount);
    const usage = { usedQuantity: decimalToNumber(meta.used_quantity), includedQuantity: decimalToNumber(meta.included_quantity) };
    if (over !== null && unitSize && unitAmount !== null && Math.ceil(over / unitSize) * unitAmount === line.amount) {
      return { quantity: Math.ceil(over / unitSize), unitAmount, unitSize, ...usage };
    }
    return { ...lump, ...usage };
  }
  const quantity = line.quantity ?? decimalToNumber(line.quantity_decimal) ?? 1;
  const unitAmount = decimalToNumber(line.pricing?.unit_amount_decimal) ?? price?.unit_amount ?? null;
  if (unitAmount !== null && Number.isInteger(unitAmount) && Number.isInteger(quantity) && quantity * unitAmount === line.amount) {
    return { quantity, unitAmount, unitSize: 1, usedQuantity: null, includedQuantity: null };
  }
  return lump;
}

export function invoiceLineFromStripe(line: Stripe.InvoiceLineItem): GatewayInvoiceLine {
  const price = expandedPrice(line);
  const kind = lineKind(line, price);
  return {
    kind,
    description: line.description ?? price?.nickname ?? '',
    metricType: kind === 'usage' ? (price?.metadata?.metric_type ?? line.metadata?.metric_type ?? null) : null,
    ...pricingOf(line, price),
    amount: line.amount,
    periodStart: fromUnix(line.period.start),
    periodEnd: fromUnix(line.period.end),
  };
}

export const quoteLineFromStripe = (line: Stripe.InvoiceLineItem): QuoteLine => ({
  description: line.description ?? '',
  amount: line.amount,
});

const invoiceStatuses: Record<string, InvoiceStatus> = {
  draft: 'draft',
  open: 'open',
  paid: 'paid',
  void: 'void',
  uncollectible: 'uncollectible',
};

/**
 * Only the lines embedded in the invoice object are mapped (Stripe embeds the first page);
 * an invoice with `lines.has_more` needs `invoices.listLineItems` for the rest.
 */
export function invoiceFromStripe(inv: Stripe.Invoice): GatewayInvoice {
  const customerId = idOf(inv.customer);
  if (!customerId) throw new GatewayError('invalid_stripe_object', `Stripe invoice ${inv.id} has no customer.`);
  const legacySubscription = (inv as unknown as { subscription?: string | Stripe.Subscription | null }).subscription;
  return {
    id: inv.id,
    customerId,
    subscriptionId: idOf(inv.parent?.subscription_details?.subscription ?? legacySubscription),
    number: inv.number,
    // A preview invoice has no status yet: it is a draft of the next invoice.
    status: (inv.status && invoiceStatuses[inv.status]) || 'draft',
    currency: inv.currency,
    subtotal: inv.subtotal,
    amountDue: inv.amount_due,
    amountPaid: inv.amount_paid,
    periodStart: fromUnix(inv.period_start),
    periodEnd: fromUnix(inv.period_end),
    dueDate: fromUnixOrNull(inv.due_date),
    paidAt: fromUnixOrNull(inv.status_transitions?.paid_at),
    created: fromUnix(inv.created),
    billingReason: inv.billing_reason ?? null,
    lines: inv.lines.data.map(invoiceLineFromStripe),
  };
}

const cardFundings = new Set(['credit', 'debit', 'prepaid']);

/**
 * Cards, US bank accounts and SEPA Direct Debit accounts; any other type (Link, PayPal, ...)
 * throws `unsupported_payment_method` (422).
 */
export function paymentMethodFromStripe(pm: Stripe.PaymentMethod): GatewayPaymentMethod {
  const base = {
    id: pm.id,
    customerId: idOf(pm.customer),
    billingDetails: { name: pm.billing_details?.name ?? null, email: pm.billing_details?.email ?? null },
  };
  const noDetails = () => new GatewayError('invalid_stripe_object', `Stripe payment method ${pm.id} has no ${pm.type} details.`);
  switch (pm.type) {
    case 'card': {
      if (!pm.card) throw noDetails();
      const { card } = pm;
      return {
        ...base,
        type: 'card',
        card: {
          brand: card.brand,
          last4: card.last4,
          expMonth: card.exp_month,
          expYear: card.exp_year,
          funding: cardFundings.has(card.funding) ? (card.funding as 'credit' | 'debit' | 'prepaid') : 'unknown',
          fingerprint: card.fingerprint ?? null,
        },
        bankAccount: null,
      };
    }
    case 'us_bank_account': {
      if (!pm.us_bank_account) throw noDetails();
      const bank = pm.us_bank_account;
      return { ...base, type: 'us_bank_account', card: null, bankAccount: { bankName: bank.bank_name ?? null, last4: bank.last4 ?? '' } };
    }
    case 'sepa_debit': {
      if (!pm.sepa_debit) throw noDetails();
      const sepa = pm.sepa_debit;
      return { ...base, type: 'sepa_debit', card: null, bankAccount: { bankName: sepa.bank_code ?? null, last4: sepa.last4 ?? '' } };
    }
    default:
      throw new GatewayError(
        'unsupported_payment_method',
        `Payment methods of type ${pm.type} are not supported: use a card, a US bank account or a SEPA Direct Debit account.`,
        422,
      );
  }
}

/**
 * Normalises a Stripe event. Subscription events of a subscription without a CBP price, and
 * payment method events of an unsupported type, map to 'ignored' (CBP cannot represent them,
 * and throwing would make Stripe retry for days).
 */
export function eventFromStripe(event: Stripe.Event): GatewayEvent {
  const base = { id: event.id, created: fromUnix(event.created), stripeType: event.type };
  switch (event.type) {
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.trial_will_end':
    case 'customer.subscription.deleted': {
      let subscription: GatewaySubscription;
      try {
        subscription = subscriptionFromStripe(event.data.object);
      } catch (err) {
        if (err instanceof GatewayError && err.code === 'unknown_plan') return { ...base, type: 'ignored' };
        throw err;
      }
      const type = event.type === 'customer.subscription.deleted' ? 'subscription.deleted' : 'subscription.updated';
      return { ...base, type, subscription };
    }
    case 'invoice.created':
    case 'invoice.finalized':
    case 'invoice.paid':
    case 'invoice.payment_failed':
    case 'invoice.payment_succeeded':
    case 'invoice.voided':
    case 'invoice.marked_uncollectible':
    case 'invoice.updated':
      return { ...base, type: 'invoice.updated', invoice: invoiceFromStripe(event.data.object) };
    case 'payment_method.attached':
    case 'payment_method.updated':
    case 'payment_method.automatically_updated': {
      let paymentMethod: GatewayPaymentMethod;
      try {
        paymentMethod = paymentMethodFromStripe(event.data.object);
      } catch (err) {
        if (err instanceof GatewayError && err.code === 'unsupported_payment_method') return { ...base, type: 'ignored' };
        throw err;
      }
      const type = event.type === 'payment_method.attached' ? 'payment_method.attached' : 'payment_method.updated';
      return { ...base, type, paymentMethod };
    }
    case 'payment_method.detached':
      // The object is already detached (`customer: null`): the customer it left is the previous value.
      return {
        ...base,
        type: 'payment_method.detached',
        paymentMethodId: event.data.object.id,
        customerId: idOf(event.data.previous_attributes?.customer),
      };
    case 'customer.updated': {
      // Only a change of the default payment method matters; a default set from none has previous value null.
      const previous = event.data.previous_attributes?.invoice_settings;
      if (!previous || !('default_payment_method' in previous)) return { ...base, type: 'ignored' };
      return {
        ...base,
        type: 'customer.default_payment_method',
        customerId: event.data.object.id,
        paymentMethodId: idOf(event.data.object.invoice_settings?.default_payment_method),
      };
    }
    default:
      return { ...base, type: 'ignored' };
  }
}

/**
 * Verifies a webhook with the endpoint secret (`whsec_…`) on the exact raw body and maps it.
 * Throws `WebhookSignatureError` for a missing, malformed, stale or wrong signature.
 */
export function parseStripeWebhook(
  stripe: Stripe,
  rawBody: Buffer | string,
  signature: string | undefined,
  secret: string,
): GatewayEvent {
  if (!signature) throw new WebhookSignatureError('The Stripe-Signature header is missing.');
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (err) {
    if (err instanceof stripe.errors.StripeSignatureVerificationError) {
      throw new WebhookSignatureError('The Stripe-Signature header does not match the payload.');
    }
    throw err;
  }
  return eventFromStripe(event);
}
