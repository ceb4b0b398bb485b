import { createHash, randomBytes } from 'node:crypto';
import { customerJson, paymentMethodJson, setupIntentJson } from './fake-stripe-json.js';
import { missing, newId, obj, str, StripeApiError, type FakeStripeState, type Params } from './fake-stripe-state.js';

/**
 * Payment methods and SetupIntents of the fake Stripe (see fake-stripe.ts), cards only.
 * As in Stripe's test mode, a test PaymentMethod id (`pm_card_visa`, ...) given to a SetupIntent
 * is cloned into a new `pm_…`, which a successful confirmation attaches to the customer; the
 * decline cards fail the confirmation with Stripe's card errors (HTTP 402).
 */

/** What confirming a SetupIntent with the card does. */
export type CardOutcome = 'succeeds' | 'generic_decline' | 'insufficient_funds' | 'expired_card' | 'incorrect_cvc' | 'authentication_required' | 'charge_fails';

export interface FakePaymentMethod {
  id: string;
  customer: string | null;
  card: { brand: string; last4: string; expMonth: number; expYear: number; funding: string; fingerprint: string };
  billingDetails: { name: string | null; email: string | null };
  created: number;
  /** Detached from a customer: Stripe refuses to use it again. */
  consumed: boolean;
  outcome: CardOutcome;
}

export interface FakeSetupIntent {
  id: string;
  customer: string | null;
  paymentMethod: string | null;
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'succeeded';
  usage: string;
  clientSecret: string;
  created: number;
  automaticPaymentMethods: { enabled: boolean; allow_redirects: string } | null;
  lastSetupError: object | null;
}

type TestCard = { number: string; brand: string; funding: string; outcome: CardOutcome };
const card = (number: string, brand: string, funding: string, outcome: CardOutcome = 'succeeds'): TestCard => ({ number, brand, funding, outcome });

/** Stripe's test PaymentMethod ids (docs.stripe.com/testing) and the cards behind them. */
export const testPaymentMethods: Record<string, TestCard> = {
  pm_card_visa: card('4242424242424242', 'visa', 'credit'),
  pm_card_visa_debit: card('4000056655665556', 'visa', 'debit'),
  pm_card_mastercard: card('5555555555554444', 'mastercard', 'credit'),
  pm_card_mastercard_prepaid: card('5105105105105100', 'mastercard', 'prepaid'),
  pm_card_amex: card('371449635398431', 'amex', 'credit'),
  pm_card_discover: card('6011111111111117', 'discover', 'credit'),
  pm_card_chargeDeclined: card('4000000000000002', 'visa', 'credit', 'generic_decline'),
  pm_card_visa_chargeDeclined: card('4000000000000002', 'visa', 'credit', 'generic_decline'),
  pm_card_visa_chargeDeclinedInsufficientFunds: card('4000000000009995', 'visa', 'credit', 'insufficient_funds'),
  pm_card_chargeDeclinedInsufficientFunds: card('4000000000009995', 'visa', 'credit', 'insufficient_funds'),
  pm_card_chargeDeclinedExpiredCard: card('4000000000000069', 'visa', 'credit', 'expired_card'),
  pm_card_chargeDeclinedIncorrectCvc: card('4000000000000127', 'visa', 'credit', 'incorrect_cvc'),
  pm_card_authenticationRequired: card('4000002760003184', 'visa', 'credit', 'authentication_required'),
  pm_card_authenticationRequiredOnSetup: card('4000002500003155', 'visa', 'credit', 'authentication_required'),
  // Attaches fine; every charge is declined (fake-stripe-invoices.ts).
  pm_card_chargeCustomerFail: card('4000000000000341', 'visa', 'credit', 'charge_fails'),
};

/** Stripe's card errors: `code`, and the `message` shown to the customer; `decline_code` is the outcome. */
const declines: Partial<Record<CardOutcome, { code: string; message: string }>> = {
  generic_decline: { code: 'card_declined', message: 'Your card was declined.' },
  insufficient_funds: { code: 'card_declined', message: 'Your card has insufficient funds.' },
  expired_card: { code: 'expired_card', message: 'Your card has expired.' },
  incorrect_cvc: { code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
};

/** Same card number, same fingerprint (per account in Stripe). */
const fingerprintOf = (number: string) =>
  createHash('sha256').update(`fake-stripe:${number}`).digest('base64url').replace(/[-_]/g, '').slice(0, 16);

const invalid = (message: string, param?: string, code: string | null = null) =>
  new StripeApiError(400, 'invalid_request_error', code, message, param);

function fromTestCard(state: FakeStripeState, id: string, test: TestCard): FakePaymentMethod {
  const now = new Date(state.now() * 1000);
  return {
    id,
    customer: null,
    card: {
      brand: test.brand,
      last4: test.number.slice(-4),
      expMonth: now.getUTCMonth() + 1,
      expYear: now.getUTCFullYear() + 1,
      funding: test.funding,
      fingerprint: fingerprintOf(test.number),
    },
    billingDetails: { name: null, email: null },
    created: state.now(),
    consumed: false,
    outcome: test.outcome,
  };
}

/** A stored method, or a new clone (stored) of a test PaymentMethod id. */
function resolvePaymentMethod(state: FakeStripeState, id: string, param: string): FakePaymentMethod {
  const test = testPaymentMethods[id];
  if (test) {
    const clone = fromTestCard(state, newId('pm'), test);
    state.paymentMethods.set(clone.id, clone);
    return clone;
  }
  const pm = state.paymentMethods.get(id);
  if (!pm) throw missing('PaymentMethod', id, 'param', param);
  return pm;
}

function confirm(state: FakeStripeState, si: FakeSetupIntent, p: Params) {
  const pmId = str(p.payment_method) ?? si.paymentMethod;
  if (!pmId) {
    throw invalid("You cannot confirm this SetupIntent because it's missing a payment method.", 'payment_method', 'setup_intent_unexpected_state');
  }
  const apm = si.automaticPaymentMethods;
  if (apm?.enabled && apm.allow_redirects !== 'never' && !str(p.return_url)) {
    throw invalid(
      'This SetupIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don\'t want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.',
      'return_url',
    );
  }
  const pm = resolvePaymentMethod(state, pmId, 'payment_method');
  if (pm.consumed) {
    throw invalid(
      'This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.',
      'payment_method',
    );
  }
  if (pm.customer && pm.customer !== si.customer) {
    throw invalid('The payment method you provided has already been attached to a customer.', 'payment_method');
  }
  const decline = declines[pm.outcome];
  if (decline) {
    const error = { type: 'card_error', code: decline.code, decline_code: pm.outcome, message: decline.message, payment_method: paymentMethodJson(pm) };
    si.status = 'requires_payment_method';
    si.paymentMethod = null;
    si.lastSetupError = error;
    throw new StripeApiError(402, 'card_error', decline.code, decline.message, undefined, {
      decline_code: pm.outcome,
      payment_method: paymentMethodJson(pm),
      setup_intent: setupIntentJson(si),
    });
  }
  si.paymentMethod = pm.id;
  if (pm.outcome === 'authentication_required') {
    si.status = 'requires_action';
    return;
  }
  si.status = 'succeeded';
  if (si.customer) pm.customer = si.customer;
}

/** `POST /v1/setup_intents`: confirmed at once with `confirm=true` (Stripe's server-side save). */
export function createSetupIntent(state: FakeStripeState, p: Params) {
  const customer = str(p.customer) ? state.customer(str(p.customer) as string, 'param').id : null;
  const apm = obj(p.automatic_payment_methods);
  const id = newId('seti');
  const si: FakeSetupIntent = {
    id,
    customer,
    paymentMethod: str(p.payment_method) ?? null,
    status: str(p.payment_method) ? 'requires_confirmation' : 'requires_payment_method',
    usage: str(p.usage) ?? 'off_session',
    clientSecret: `${id}_secret_${randomBytes(12).toString('hex')}`,
    created: state.now(),
    // Current API: automatic payment methods unless `allowed_payment_method_types` is given.
    automaticPaymentMethods:
      p.allowed_payment_method_types === undefined
        ? { enabled: str(apm.enabled) !== 'false', allow_redirects: str(apm.allow_redirects) ?? 'always' }
        : null,
    lastSetupError: null,
  };
  state.setupIntents.set(si.id, si);
  if (str(p.confirm) === 'true') confirm(state, si, p);
  return setupIntentJson(si);
}

/** `POST /v1/setup_intents/:id/confirm`, as Stripe.js `confirmSetup` does from the browser. */
export function confirmSetupIntent(state: FakeStripeState, p: Params, id: string) {
  const si = state.setupIntents.get(id);
  if (!si) throw missing('setupintent', id, 'path');
  if (si.status === 'succeeded') {
    throw invalid('You cannot confirm this SetupIntent because it has already succeeded.', undefined, 'setup_intent_unexpected_state');
  }
  confirm(state, si, p);
  return setupIntentJson(si);
}

/** `GET /v1/payment_methods/:id`; a test id reads as an unattached card, like Stripe's test mode. */
export function retrievePaymentMethod(state: FakeStripeState, id: string) {
  const test = testPaymentMethods[id];
  if (test) return paymentMethodJson(fromTestCard(state, id, test));
  const pm = state.paymentMethods.get(id);
  if (!pm) throw missing('PaymentMethod', id, 'path');
  return paymentMethodJson(pm);
}

/** `POST /v1/payment_methods/:id/detach`; unsets the customer's default when it was this method. */
export function detachPaymentMethod(state: FakeStripeState, id: string) {
  const pm = state.paymentMethods.get(id);
  if (!pm) throw missing('PaymentMethod', id, 'path');
  if (!pm.customer) throw invalid('The payment method you provided is not attached to a customer so detachment is impossible.');
  const customer = state.customers.get(pm.customer);
  if (customer?.defaultPaymentMethod === pm.id) customer.defaultPaymentMethod = null;
  pm.customer = null;
  pm.consumed = true;
  return paymentMethodJson(pm);
}

/** `POST /v1/customers/:id`: name, email, metadata and `invoice_settings[default_payment_method]` ('' unsets). */
export function updateCustomer(state: FakeStripeState, p: Params, id: string) {
  const customer = state.customer(id, 'path');
  if (p.name !== undefined) customer.name = str(p.name) || null;
  if (p.email !== undefined) customer.email = str(p.email) || null;
  if (p.metadata !== undefined) customer.metadata = { ...customer.metadata, ...obj(p.metadata) };
  const settings = obj(p.invoice_settings);
  if (settings.default_payment_method !== undefined) {
    const pmId = str(settings.default_payment_method) ?? '';
    if (pmId && state.paymentMethods.get(pmId)?.customer !== customer.id) {
      throw invalid(
        `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
        'invoice_settings[default_payment_method]',
        'resource_missing',
      );
    }
    customer.defaultPaymentMethod = pmId || null;
  }
  return customerJson(customer);
}
