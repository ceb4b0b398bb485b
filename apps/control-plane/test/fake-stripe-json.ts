import type { FakePaymentMethod, FakeSetupIntent } from './fake-stripe-payment-methods.js';
import type { FakeCustomer, FakeLine, FakePrice, FakeSubscription } from './fake-stripe-state.js';

/** Stripe's JSON shapes (SDK-pinned API version) of the fake Stripe's objects. */

export const listJson = (data: object[], url: string) => ({ object: 'list', data, has_more: false, total_count: data.length, url });

export function customerJson(c: FakeCustomer) {
  return {
    id: c.id,
    object: 'customer',
    address: null,
    balance: 0,
    created: c.created,
    currency: null,
    delinquent: false,
    description: null,
    email: c.email,
    invoice_settings: { custom_fields: null, default_payment_method: c.defaultPaymentMethod, footer: null, rendering_options: null },
    livemode: false,
    metadata: c.metadata,
    name: c.name,
    phone: null,
    preferred_locales: [],
    tax_exempt: 'none',
  };
}

export function priceJson(price: FakePrice) {
  return {
    id: price.id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: price.created,
    currency: 'usd',
    livemode: false,
    lookup_key: price.lookupKey,
    metadata: {},
    nickname: price.nickname,
    product: price.product,
    recurring: { interval: 'month', interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: price.unitAmount,
    unit_amount_decimal: String(price.unitAmount),
  };
}

/** Current API: the billing period is on each item (`current_period_start/end`), not on the subscription. */
export function subscriptionJson(sub: FakeSubscription, priceOf: (id: string) => FakePrice) {
  const periodEnd = sub.items[0]?.periodEnd ?? null;
  return {
    id: sub.id,
    object: 'subscription',
    billing_cycle_anchor: sub.items[0]?.periodStart ?? sub.created,
    cancel_at: sub.cancelAtPeriodEnd ? periodEnd : null,
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    canceled_at: sub.canceledAt,
    collection_method: 'charge_automatically',
    created: sub.created,
    currency: 'usd',
    customer: sub.customer,
    discounts: [],
    ended_at: sub.endedAt,
    items: listJson(
      sub.items.map((item) => ({
        id: item.id,
        object: 'subscription_item',
        created: item.created,
        current_period_end: item.periodEnd,
        current_period_start: item.periodStart,
        discounts: [],
        metadata: {},
        price: priceJson(priceOf(item.priceId)),
        quantity: item.quantity,
        subscription: sub.id,
        tax_rates: [],
      })),
      `/v1/subscription_items?subscription=${sub.id}`,
    ),
    latest_invoice: null,
    livemode: false,
    metadata: sub.metadata,
    start_date: sub.created,
    status: sub.status,
    trial_end: sub.trialEnd,
    trial_start: sub.trialStart,
  };
}

/** Current API: the proration flag is under `parent.subscription_item_details`, the price under `pricing`. */
export function lineJson(sub: FakeSubscription, line: FakeLine, price: FakePrice) {
  return {
    id: line.id,
    object: 'line_item',
    amount: line.amount,
    currency: 'usd',
    description: line.description,
    discount_amounts: [],
    discountable: !line.proration,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: {},
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: line.proration ? line.id : null,
        proration: line.proration,
        proration_details: { credited_items: null },
        subscription: sub.id,
        subscription_item: line.itemId,
      },
    },
    period: { start: line.start, end: line.end },
    pricing: {
      type: 'price_details',
      price_details: { price: price.id, product: price.product },
      unit_amount_decimal: String(price.unitAmount),
    },
    quantity: line.quantity,
    subtotal: line.amount,
    taxes: [],
  };
}

export function paymentMethodJson(pm: FakePaymentMethod) {
  const { card } = pm;
  return {
    id: pm.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: pm.billingDetails.email,
      name: pm.billingDetails.name,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
      country: 'US',
      display_brand: card.brand,
      exp_month: card.expMonth,
      exp_year: card.expYear,
      fingerprint: card.fingerprint,
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: pm.created,
    customer: pm.customer,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}

export function setupIntentJson(si: FakeSetupIntent) {
  return {
    id: si.id,
    object: 'setup_intent',
    allowed_payment_method_types: null,
    application: null,
    automatic_payment_methods: si.automaticPaymentMethods,
    cancellation_reason: null,
    client_secret: si.clientSecret,
    created: si.created,
    customer: si.customer,
    description: null,
    excluded_payment_method_types: null,
    last_setup_error: si.lastSetupError,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: {},
    next_action:
      si.status === 'requires_action'
        ? { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: 'https://hooks.stripe.com/3d_secure_2/hosted', source: si.paymentMethod } }
        : null,
    on_behalf_of: null,
    payment_method: si.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    single_use_mandate: null,
    status: si.status,
    usage: si.usage,
  };
}
