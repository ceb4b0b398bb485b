import { listJson } from './fake-stripe-json.js';
import { missing, newId, str, StripeApiError, type FakeStripeState, type Params } from './fake-stripe-state.js';

/**
 * Finalized invoices of the fake Stripe (see fake-stripe.ts) and `POST /v1/invoices/:id/pay`.
 * Tests put an open invoice in place with `addOpenInvoice`; paying it charges the given (or the
 * customer's default) card: decline cards and `pm_card_chargeCustomerFail` answer Stripe's 402
 * card error and leave it open; a paid invoice cannot be paid again.
 */
export interface FakeInvoice {
  id: string;
  customer: string;
  status: 'open' | 'paid';
  amountDue: number;
  amountPaid: number;
  currency: string;
  created: number;
  paidAt: number | null;
  paymentIntent: string | null;
}

const invoices = new WeakMap<FakeStripeState, Map<string, FakeInvoice>>();
export const invoicesOf = (s: FakeStripeState) => {
  let map = invoices.get(s);
  if (!map) invoices.set(s, (map = new Map()));
  return map;
};

export function addOpenInvoice(state: FakeStripeState, input: { customer: string; amount: number; currency?: string }): FakeInvoice {
  state.customer(input.customer, 'param');
  const invoice: FakeInvoice = {
    id: newId('in'),
    customer: input.customer,
    status: 'open',
    amountDue: input.amount,
    amountPaid: 0,
    currency: input.currency ?? 'usd',
    created: state.now(),
    paidAt: null,
    paymentIntent: null,
  };
  invoicesOf(state).set(invoice.id, invoice);
  return invoice;
}

export function invoiceJson(inv: FakeInvoice) {
  const payments = inv.paymentIntent
    ? [{ id: `inpay_${inv.paymentIntent.slice(3)}`, object: 'invoice_payment', invoice: inv.id, is_default: true, status: 'paid', payment: { type: 'payment_intent', payment_intent: inv.paymentIntent } }]
    : [];
  return {
    id: inv.id,
    object: 'invoice',
    customer: inv.customer,
    status: inv.status,
    amount_due: inv.amountDue,
    amount_paid: inv.amountPaid,
    amount_remaining: inv.amountDue - inv.amountPaid,
    currency: inv.currency,
    created: inv.created,
    status_transitions: { finalized_at: inv.created, marked_uncollectible_at: null, paid_at: inv.paidAt, voided_at: null },
    payments: listJson(payments, `/v1/invoices/${inv.id}/payments`),
  };
}

const declines: Record<string, { code: string; decline: string; message: string }> = {
  generic_decline: { code: 'card_declined', decline: 'generic_decline', message: 'Your card was declined.' },
  charge_fails: { code: 'card_declined', decline: 'generic_decline', message: 'Your card was declined.' },
  insufficient_funds: { code: 'card_declined', decline: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  expired_card: { code: 'expired_card', decline: 'expired_card', message: 'Your card has expired.' },
  incorrect_cvc: { code: 'incorrect_cvc', decline: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  authentication_required: { code: 'authentication_required', decline: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' },
};

/** `POST /v1/invoices/:id/pay` with `payment_method` (else the customer's default). */
export function payInvoice(state: FakeStripeState, p: Params, id: string) {
  const inv = invoicesOf(state).get(id);
  if (!inv) throw missing('invoice', id, 'path');
  if (inv.status === 'paid') throw new StripeApiError(400, 'invalid_request_error', 'invoice_unexpected_state', 'Invoice is already paid', undefined);
  const pmId = str(p.payment_method) ?? state.customer(inv.customer, 'param').defaultPaymentMethod;
  const pm = pmId ? state.paymentMethods.get(pmId) : undefined;
  if (!pmId || !pm || pm.customer !== inv.customer) {
    throw new StripeApiError(400, 'invalid_request_error', 'resource_missing', `No such PaymentMethod: '${pmId ?? ''}'`, 'payment_method');
  }
  const decline = declines[pm.outcome];
  if (decline) {
    throw new StripeApiError(402, 'card_error', decline.code, decline.message, undefined, { decline_code: decline.decline, payment_method: { id: pm.id, object: 'payment_method' } });
  }
  inv.status = 'paid';
  inv.amountPaid = inv.amountDue;
  inv.paidAt = state.now();
  inv.paymentIntent = newId('pi');
  return invoiceJson(inv);
}
