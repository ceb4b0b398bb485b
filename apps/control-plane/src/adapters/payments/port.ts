import type { InvoiceLineKind, InvoiceStatus, PaymentMethodType, SubscriptionStatus } from '@cbp/contracts';

/**
 * The payment gateway port: the operations CBP needs from Stripe, in Stripe's nouns.
 * Two implementations: `stripe.ts` (the Stripe API through the `stripe` SDK) and `local.ts`
 * (the same operations kept in the database, the embedded default).
 * Plans are named by their key (`free`, `starter`, `pro`, `enterprise`); in Stripe each plan
 * is a recurring Price whose `lookup_key` is `cbp_<plan key>`.
 */
export interface PaymentGateway {
  readonly name: 'stripe' | 'local';
  createCustomer(input: { tenantId: string; name: string; email: string | null }): Promise<GatewayCustomer>;
  /**
   * Sets the customer's billing identity to the organization profile's current values (Stripe:
   * `customers.update`; null clears). Idempotent: the same input leaves the same customer.
   */
  updateCustomer(input: CustomerBillingUpdate): Promise<GatewayCustomer>;
  /**
   * Closes the customer (organization deletion, issue 15): Stripe `customers.del`, which also
   * ends its subscriptions at once. Idempotent: a customer already gone is not an error.
   */
  deleteCustomer(input: { customerId: string }): Promise<void>;
  createSubscription(input: { customerId: string; planKey: string; trialDays?: number }): Promise<GatewaySubscription>;
  /** What changing plan at `prorationDate` would add to the next invoice (no change made). */
  previewPlanChange(input: { subscriptionId: string; planKey: string; prorationDate: Date }): Promise<PlanChangeQuote>;
  /** Changes plan with prorations added to the next invoice (Stripe's `create_prorations`). */
  changePlan(input: { subscriptionId: string; planKey: string; prorationDate: Date }): Promise<GatewaySubscription>;
  setCancelAtPeriodEnd(input: { subscriptionId: string; cancelAtPeriodEnd: boolean }): Promise<GatewaySubscription>;
  /** The next invoice as it stands (plan for the next period plus pending prorations). */
  upcomingInvoice(input: { subscriptionId: string }): Promise<PlanChangeQuote>;
  createBillingPortalSession(input: { customerId: string; returnUrl: string }): Promise<{ url: string }>;

  /** A SetupIntent the browser confirms (Stripe Elements `confirmSetup`) to collect a method. */
  createSetupIntent(input: { customerId: string }): Promise<{ id: string; clientSecret: string }>;
  /**
   * Verifies a payment method for off-session use (a confirmed SetupIntent, so declines surface
   * now: GatewayError `card_declined`, `insufficient_funds`, `expired_card`,
   * `authentication_required`, status 402) and attaches it to the customer.
   * Accepts Stripe's test PaymentMethod ids (`pm_card_visa`, ...) like Stripe's test mode.
   * `idempotencyKey` makes a retried call attach once.
   */
  attachPaymentMethod(input: { customerId: string; paymentMethodId: string; idempotencyKey: string }): Promise<GatewayPaymentMethod>;
  detachPaymentMethod(input: { paymentMethodId: string }): Promise<void>;
  /** The customer's `invoice_settings.default_payment_method`. */
  setDefaultPaymentMethod(input: { customerId: string; paymentMethodId: string }): Promise<void>;
  /** Current state, for events: a webhook says something changed, the gateway says what is true now. */
  retrievePaymentMethod(paymentMethodId: string): Promise<GatewayPaymentMethod | null>;
  defaultPaymentMethodOf(customerId: string): Promise<string | null>;
  /**
   * A one-off line for the subscription's next invoice (Stripe: an invoice item with
   * `subscription`), used for usage overage at period close. `idempotencyKey` makes a retried
   * call add the line once.
   */
  addInvoiceItem(input: UsageInvoiceItem): Promise<{ id: string }>;
  /**
   * Pays an open invoice now with the given payment method, off session (Stripe: `invoices.pay`
   * with `payment_method` and `off_session`). A decline is a GatewayError with status 402 and the
   * reason as code (`card_declined`, `insufficient_funds`, ...), and leaves the invoice open; an
   * invoice paid already is `invoice_already_paid` (409). `idempotencyKey` makes a retried call
   * charge once. `amount` is what CBP shows as due: the local gateway charges it for invoices it
   * did not draw up itself (the demo's seeded history).
   */
  payInvoice(input: PayInvoiceInput): Promise<InvoicePayment>;
}

export interface PayInvoiceInput {
  customerId: string;
  /** The gateway's invoice id (`in_...`). */
  invoiceId: string;
  paymentMethodId: string;
  /** Minor units. */
  amount: number;
  currency: string;
  idempotencyKey: string;
}

export interface InvoicePayment {
  /** The gateway's id of the payment (Stripe: the PaymentIntent, else the charge). */
  paymentId: string;
  amountPaid: number;
  paidAt: Date;
}

export interface UsageInvoiceItem {
  customerId: string;
  subscriptionId: string;
  description: string;
  /** Minor units. */
  amount: number;
  currency: string;
  metricType: string;
  /** Units over the included quantity. */
  quantity: number;
  /** What the period used and the plan included, and the price step (`amount` = ceil(quantity / unitSize) x unitAmount). */
  usedQuantity: number;
  includedQuantity: number;
  unitSize: number;
  unitAmount: number;
  periodStart: Date;
  periodEnd: Date;
  idempotencyKey: string;
  /** A draft invoice to put the line on (a renewal in Stripe's draft window); else the next invoice. */
  invoiceId?: string;
}

export interface GatewayPaymentMethod {
  id: string;
  customerId: string | null;
  type: PaymentMethodType;
  card: {
    brand: string;
    last4: string;
    expMonth: number;
    expYear: number;
    funding: 'credit' | 'debit' | 'prepaid' | 'unknown';
    /** Same card, same fingerprint (Stripe's `card.fingerprint`): duplicates are refused. */
    fingerprint: string | null;
  } | null;
  bankAccount: { bankName: string | null; last4: string } | null;
  billingDetails: { name: string | null; email: string | null };
}

/** Stripe's customer address fields. */
export interface GatewayAddress {
  line1: string | null;
  line2: string | null;
  city: string | null;
  postalCode: string | null;
  state: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string | null;
}

export interface CustomerBillingUpdate {
  customerId: string;
  name: string;
  email: string | null;
  /** Null: no address on file (cleared at the gateway). */
  address: GatewayAddress | null;
  /** Free-form tax id of the profile (Stripe keeps it in metadata `tax_id`: a typed Tax ID needs its kind). */
  taxId: string | null;
}

export interface GatewayCustomer {
  id: string;
  email: string | null;
  name: string | null;
}

export interface GatewaySubscription {
  id: string;
  customerId: string;
  planKey: string;
  status: SubscriptionStatus;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
  trialEnd: Date | null;
}

export interface QuoteLine {
  description: string;
  /** Minor units; negative for a credit. */
  amount: number;
}

export interface PlanChangeQuote {
  /** Only the proration lines of the change (empty for an upcoming invoice without change). */
  prorationLines: QuoteLine[];
  /** Every line of the next invoice after the change. */
  nextInvoiceLines: QuoteLine[];
  nextInvoiceAmount: number;
  nextInvoiceDate: Date;
  currency: string;
}

export interface GatewayInvoiceLine {
  kind: InvoiceLineKind;
  description: string;
  metricType: string | null;
  /** Priced units billed: amount = quantity x unitAmount. */
  quantity: number;
  unitAmount: number;
  /** Metered units in one priced unit (1 unless usage priced per block). */
  unitSize: number;
  /** Usage lines: units used in the period and included in the plan; else null. */
  usedQuantity: number | null;
  includedQuantity: number | null;
  amount: number;
  periodStart: Date;
  periodEnd: Date;
}

export interface GatewayInvoice {
  id: string;
  customerId: string;
  subscriptionId: string | null;
  number: string | null;
  status: InvoiceStatus;
  currency: string;
  subtotal: number;
  amountDue: number;
  amountPaid: number;
  periodStart: Date;
  periodEnd: Date;
  dueDate: Date | null;
  paidAt: Date | null;
  created: Date;
  /** Stripe's `billing_reason`: `subscription_cycle` for a renewal; null when unknown. */
  billingReason: string | null;
  lines: GatewayInvoiceLine[];
}

/** A gateway event, normalised from Stripe's event types; `id` is Stripe's event id. */
export type GatewayEvent =
  | { id: string; created: Date; type: 'subscription.updated'; stripeType: string; subscription: GatewaySubscription }
  | { id: string; created: Date; type: 'subscription.deleted'; stripeType: string; subscription: GatewaySubscription }
  | { id: string; created: Date; type: 'invoice.updated'; stripeType: string; invoice: GatewayInvoice }
  | { id: string; created: Date; type: 'payment_method.attached' | 'payment_method.updated'; stripeType: string; paymentMethod: GatewayPaymentMethod }
  | { id: string; created: Date; type: 'payment_method.detached'; stripeType: string; paymentMethodId: string; customerId: string | null }
  | { id: string; created: Date; type: 'customer.default_payment_method'; stripeType: string; customerId: string; paymentMethodId: string | null }
  | { id: string; created: Date; type: 'ignored'; stripeType: string };

export class GatewayError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 502,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** Stripe's `lookup_key` of a plan's price. */
export const priceLookupKey = (planKey: string) => `cbp_${planKey}`;
export const planKeyFromLookupKey = (lookupKey: string | null | undefined) =>
  lookupKey?.startsWith('cbp_') ? lookupKey.slice(4) : null;
