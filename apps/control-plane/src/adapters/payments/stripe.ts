import Stripe from 'stripe';
import {
  type CustomerBillingUpdate,
  GatewayError,
  priceLookupKey,
  type GatewayCustomer,
  type GatewayPaymentMethod,
  type GatewaySubscription,
  type InvoicePayment,
  type PayInvoiceInput,
  type PaymentGateway,
  type PlanChangeQuote,
  type UsageInvoiceItem,
} from './port.js';
import { isProrationLine, paymentMethodFromStripe, planItemOf, quoteLineFromStripe, subscriptionFromStripe } from './stripe-mapping.js';

/**
 * A Stripe client on the SDK's pinned API version. `overrides` point it at another host
 * (the tests' fake Stripe); then requests are not retried, so a failure shows at once.
 */
export function createStripeClient(
  secretKey: string,
  overrides?: { host: string; port: number; protocol: 'http' | 'https' },
): Stripe {
  return new Stripe(secretKey, {
    apiVersion: Stripe.API_VERSION,
    maxNetworkRetries: overrides ? 0 : 2,
    telemetry: false,
    appInfo: { name: 'cbp-control-plane' },
    ...(overrides ?? {}),
  });
}

/** Anything shaped like a Stripe key or webhook secret, as Stripe's own messages may echo one (masked or not). */
const secretPattern = /\b(?:sk|rk|pk|whsec)_(?:test|live)?_?[A-Za-z0-9*]+/g;
const redact = (message: string) => message.replace(secretPattern, '[redacted]');

/**
 * Maps an error thrown by the SDK to a `GatewayError` with a stable code and a sentence that
 * never carries the API key. Errors that are not Stripe's pass through unchanged.
 */
export function gatewayErrorFromStripe(err: unknown, operation: string): unknown {
  if (err instanceof GatewayError || !(err instanceof Stripe.errors.StripeError)) return err;
  const detail = err.message ? ` ${redact(err.message)}` : '';
  if (err instanceof Stripe.errors.StripeCardError) {
    return new GatewayError('card_declined', `The card was declined while trying to ${operation}.${detail}`, 402);
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    if (err.code === 'resource_missing') {
      return new GatewayError('resource_missing', `Stripe could not ${operation}:${detail}`, 404);
    }
    if (err.code === 'invoice_upcoming_none') {
      // E.g. a subscription canceling at period end: there is no next invoice.
      return new GatewayError('no_upcoming_invoice', `Stripe has no upcoming invoice:${detail}`, 404);
    }
    return new GatewayError('invalid_request', `Stripe rejected the request to ${operation}:${detail}`, 502);
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError) {
    return new GatewayError('idempotency_conflict', `Stripe refused to ${operation}: the same idempotency key was used with different parameters.`, 409);
  }
  if (err instanceof Stripe.errors.StripeAuthenticationError) {
    // Stripe's message quotes the (masked) key: not repeated here.
    return new GatewayError('stripe_auth_failed', `Stripe rejected the API key while trying to ${operation}; check STRIPE_SECRET_KEY.`, 502);
  }
  if (err instanceof Stripe.errors.StripePermissionError) {
    return new GatewayError('stripe_permission_denied', `The Stripe API key may not ${operation}.`, 502);
  }
  if (err instanceof Stripe.errors.StripeRateLimitError) {
    return new GatewayError('stripe_rate_limited', `Stripe is rate limiting requests; could not ${operation}. Try again shortly.`, 503);
  }
  if (err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeAPIError) {
    return new GatewayError('stripe_unavailable', `Stripe is unavailable; could not ${operation}. Try again shortly.`, 503);
  }
  return new GatewayError('stripe_error', `Stripe failed to ${operation}.${detail}`, 502);
}

/** Stripe's decline and error codes CBP names, with Stripe's sentence for each when it sends none. */
const declines: Record<string, { code: string; message: string }> = {
  insufficient_funds: { code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  expired_card: { code: 'expired_card', message: 'Your card has expired.' },
  incorrect_cvc: { code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  authentication_required: { code: 'authentication_required', message: 'This card requires authentication. Add it from the portal to complete verification.' },
};
const genericDecline = { code: 'card_declined', message: 'Your card was declined.' };

/**
 * A card error while verifying a payment method: Stripe's `decline_code` (else its `code`)
 * named where CBP distinguishes it, else `card_declined`; the message is Stripe's own sentence
 * for the customer (generic_decline, lost_card, fraudulent, ... all read "Your card was declined.").
 */
export function cardErrorFromStripe(err: Stripe.errors.StripeCardError): GatewayError {
  const known = [err.decline_code, err.code].map((code) => (code ? declines[code] : undefined)).find(Boolean);
  const { code, message } = known ?? genericDecline;
  return new GatewayError(code, err.message ? redact(err.message) : message, 402);
}

const toUnix = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * A quote from a preview invoice. `nextInvoiceDate` is the preview's `period_end`: the
 * boundary at which Stripe creates the next invoice (renewal or trial end). `next_payment_attempt`
 * is not used: it is null for `send_invoice` collection and only approximates the charge time.
 */
function quoteFromPreview(preview: Stripe.Invoice): PlanChangeQuote {
  const lines = preview.lines.data;
  return {
    prorationLines: lines.filter(isProrationLine).map(quoteLineFromStripe),
    nextInvoiceLines: lines.map(quoteLineFromStripe),
    nextInvoiceAmount: preview.amount_due,
    nextInvoiceDate: new Date(preview.period_end * 1000),
    currency: preview.currency,
  };
}

/** The payment port on the Stripe API. Plans are Prices found by lookup key `cbp_<plan>`. */
export class StripeGateway implements PaymentGateway {
  readonly name = 'stripe' as const;
  private readonly priceIds = new Map<string, Promise<string>>();

  constructor(
    private readonly stripe: Stripe,
    private readonly options: { returnUrl?: string } = {},
  ) {}

  async createCustomer(input: { tenantId: string; name: string; email: string | null }): Promise<GatewayCustomer> {
    const customer = await this.call('create the customer', () =>
      this.stripe.customers.create(
        { name: input.name, email: input.email ?? undefined, metadata: { tenant_id: input.tenantId } },
        // Stripe keeps idempotency keys for 24 hours: a retry within that window returns the same customer.
        { idempotencyKey: `cbp-customer-${input.tenantId}` },
      ),
    );
    return { id: customer.id, email: customer.email ?? null, name: customer.name ?? null };
  }

  /**
   * `customers.update` with name, email and address ('' clears a field in Stripe). The tax id goes
   * to metadata `tax_id`: a Stripe Tax ID object (`customers.createTaxId`) needs its kind
   * (`eu_vat`, `gb_vat`, ...), which the free-form profile field does not say.
   */
  async updateCustomer(input: CustomerBillingUpdate): Promise<GatewayCustomer> {
    const a = input.address;
    const customer = await this.call('update the customer', () =>
      this.stripe.customers.update(input.customerId, {
        name: input.name,
        email: input.email ?? '',
        address: a
          ? { line1: a.line1 ?? '', line2: a.line2 ?? '', city: a.city ?? '', postal_code: a.postalCode ?? '', state: a.state ?? '', country: a.country ?? '' }
          : '',
        metadata: { tax_id: input.taxId ?? '' },
      }),
    );
    return { id: customer.id, email: customer.email ?? null, name: customer.name ?? null };
  }

  /** `customers.del` (ends the customer's subscriptions at once); a customer already deleted or unknown is done. */
  async deleteCustomer(input: { customerId: string }): Promise<void> {
    await this.call('delete the customer', async () => {
      try {
        await this.stripe.customers.del(input.customerId);
      } catch (err) {
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') return;
        throw err;
      }
    });
  }

  async createSubscription(input: { customerId: string; planKey: string; trialDays?: number }): Promise<GatewaySubscription> {
    const price = await this.priceIdFor(input.planKey);
    const sub = await this.call('create the subscription', () =>
      this.stripe.subscriptions.create({
        customer: input.customerId,
        items: [{ price }],
        ...(input.trialDays ? { trial_period_days: input.trialDays } : {}),
      }),
    );
    return subscriptionFromStripe(sub);
  }

  async previewPlanChange(input: { subscriptionId: string; planKey: string; prorationDate: Date }): Promise<PlanChangeQuote> {
    const sub = await this.retrieveSubscription(input.subscriptionId);
    const item = planItemOf(sub);
    const price = await this.priceIdFor(input.planKey);
    const preview = await this.call('preview the plan change', () =>
      this.stripe.invoices.createPreview({
        customer: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
        subscription: sub.id,
        subscription_details: {
          items: [{ id: item.id, price }],
          proration_behavior: 'create_prorations',
          proration_date: toUnix(input.prorationDate),
        },
      }),
    );
    return quoteFromPreview(preview);
  }

  async changePlan(input: { subscriptionId: string; planKey: string; prorationDate: Date }): Promise<GatewaySubscription> {
    const sub = await this.retrieveSubscription(input.subscriptionId);
    const item = planItemOf(sub);
    const price = await this.priceIdFor(input.planKey);
    const updated = await this.call('change the plan', () =>
      this.stripe.subscriptions.update(sub.id, {
        items: [{ id: item.id, price }],
        proration_behavior: 'create_prorations',
        // The same instant as the preview, so the customer is charged what they were shown.
        proration_date: toUnix(input.prorationDate),
      }),
    );
    return subscriptionFromStripe(updated);
  }

  async setCancelAtPeriodEnd(input: { subscriptionId: string; cancelAtPeriodEnd: boolean }): Promise<GatewaySubscription> {
    const sub = await this.call(input.cancelAtPeriodEnd ? 'cancel the subscription' : 'resume the subscription', () =>
      this.stripe.subscriptions.update(input.subscriptionId, { cancel_at_period_end: input.cancelAtPeriodEnd }),
    );
    return subscriptionFromStripe(sub);
  }

  async upcomingInvoice(input: { subscriptionId: string }): Promise<PlanChangeQuote> {
    // The customer defaults to the subscription's: no need to fetch the subscription first.
    const preview = await this.call('preview the upcoming invoice', () =>
      this.stripe.invoices.createPreview({ subscription: input.subscriptionId }),
    );
    return quoteFromPreview(preview);
  }

  async createBillingPortalSession(input: { customerId: string; returnUrl: string }): Promise<{ url: string }> {
    const returnUrl = input.returnUrl || this.options.returnUrl;
    const session = await this.call('open the billing portal', () =>
      this.stripe.billingPortal.sessions.create({
        customer: input.customerId,
        ...(returnUrl ? { return_url: returnUrl } : {}),
      }),
    );
    return { url: session.url };
  }

  async createSetupIntent(input: { customerId: string }): Promise<{ id: string; clientSecret: string }> {
    const intent = await this.call('start collecting a payment method', () =>
      this.stripe.setupIntents.create({
        customer: input.customerId,
        usage: 'off_session',
        automatic_payment_methods: { enabled: true },
      }),
    );
    if (!intent.client_secret) {
      throw new GatewayError('invalid_stripe_object', `Stripe SetupIntent ${intent.id} has no client secret.`);
    }
    return { id: intent.id, clientSecret: intent.client_secret };
  }

  /**
   * Stripe's server-side save: a SetupIntent created and confirmed at once for off-session use,
   * which verifies the card with the issuer and, on success, attaches the method to the customer.
   * A method already on the customer (confirmed in the browser by Elements `confirmSetup`) is
   * verified already: it is returned as is.
   */
  async attachPaymentMethod(input: { customerId: string; paymentMethodId: string; idempotencyKey: string }): Promise<GatewayPaymentMethod> {
    // Stripe's test ids (pm_card_visa, ...) are cloned by the SetupIntent, never retrieved as such.
    if (!input.paymentMethodId.startsWith('pm_card_')) {
      const current = paymentMethodFromStripe(await this.fetchPaymentMethod(input.paymentMethodId));
      if (current.customerId === input.customerId) return current;
      if (current.customerId) {
        throw new GatewayError('payment_method_in_use', 'This payment method belongs to another customer.', 409);
      }
    }
    let intent: Stripe.SetupIntent;
    try {
      intent = await this.stripe.setupIntents.create(
        {
          customer: input.customerId,
          payment_method: input.paymentMethodId,
          confirm: true,
          usage: 'off_session',
          // Server-side there is no page to return to: redirect-based methods are excluded
          // (else Stripe requires a return_url). `payment_method_types` is gone from this API version.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        },
        { idempotencyKey: input.idempotencyKey },
      );
    } catch (err) {
      throw attachErrorFromStripe(err);
    }
    if (intent.status === 'requires_action') {
      throw new GatewayError('authentication_required', 'This card requires authentication. Add it from the portal to complete verification.', 402);
    }
    if (intent.status !== 'succeeded' && intent.status !== 'processing') {
      const reason = intent.last_setup_error?.message ? redact(intent.last_setup_error.message) : `the SetupIntent is ${intent.status}`;
      throw new GatewayError('setup_failed', `The payment method could not be verified: ${reason}`, 402);
    }
    const attachedId = typeof intent.payment_method === 'string' ? intent.payment_method : intent.payment_method?.id;
    if (!attachedId) throw new GatewayError('invalid_stripe_object', `Stripe SetupIntent ${intent.id} has no payment method.`);
    return paymentMethodFromStripe(await this.fetchPaymentMethod(attachedId));
  }

  async detachPaymentMethod(input: { paymentMethodId: string }): Promise<void> {
    try {
      await this.stripe.paymentMethods.detach(input.paymentMethodId);
    } catch (err) {
      // Stripe's only other refusal of a detach: the method is on no customer.
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code !== 'resource_missing') {
        throw new GatewayError('payment_method_unattached', 'This payment method is not attached to a customer.', 400);
      }
      throw gatewayErrorFromStripe(err, 'detach the payment method');
    }
  }

  async setDefaultPaymentMethod(input: { customerId: string; paymentMethodId: string }): Promise<void> {
    await this.call('set the default payment method', () =>
      this.stripe.customers.update(input.customerId, {
        invoice_settings: { default_payment_method: input.paymentMethodId },
      }),
    );
  }

  /** The method as it is now; null when Stripe has no such method. */
  async retrievePaymentMethod(paymentMethodId: string): Promise<GatewayPaymentMethod | null> {
    try {
      return paymentMethodFromStripe(await this.fetchPaymentMethod(paymentMethodId));
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'resource_missing') return null;
      throw err;
    }
  }

  /** The customer's `invoice_settings.default_payment_method`; null for a deleted customer. */
  async defaultPaymentMethodOf(customerId: string): Promise<string | null> {
    const customer = await this.call('find the customer', () => this.stripe.customers.retrieve(customerId));
    if (customer.deleted) return null;
    const current = customer.invoice_settings?.default_payment_method;
    return (typeof current === 'string' ? current : current?.id) ?? null;
  }

  /**
   * A pending invoice item on the subscription: Stripe puts it on the subscription's next
   * invoice. Stripe keeps idempotency keys for 24 hours only, so the key is also stored in the
   * item's metadata and a pending item with it is returned instead of adding a second one.
   */
  async addInvoiceItem(input: UsageInvoiceItem): Promise<{ id: string }> {
    const pending = await this.call('list pending invoice items', () =>
      this.stripe.invoiceItems.list({ customer: input.customerId, pending: true, limit: 100 }),
    );
    const earlier = pending.data.find((item) => item.metadata?.cbp_idempotency_key === input.idempotencyKey);
    if (earlier) return { id: earlier.id };
    const item = await this.call('add the usage to the invoice', () =>
      this.stripe.invoiceItems.create(
        {
          customer: input.customerId,
          // On the given draft (a renewal being drawn up), else on the subscription's next invoice.
          ...(input.invoiceId ? { invoice: input.invoiceId } : { subscription: input.subscriptionId }),
          amount: input.amount,
          currency: input.currency.toLowerCase(),
          description: input.description,
          period: { start: Math.floor(input.periodStart.getTime() / 1000), end: Math.floor(input.periodEnd.getTime() / 1000) },
          metadata: {
            cbp_kind: 'usage',
            metric_type: input.metricType,
            quantity: String(input.quantity),
            used_quantity: String(input.usedQuantity),
            included_quantity: String(input.includedQuantity),
            unit_size: String(input.unitSize),
            unit_amount: String(input.unitAmount),
            cbp_idempotency_key: input.idempotencyKey,
          },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    return { id: item.id };
  }

  /**
   * `invoices.pay` off session with the given method. Card errors are declines (402, Stripe's
   * reason as code); an invoice Stripe already holds as paid is `invoice_already_paid` (409).
   * The payment's id is the PaymentIntent of the invoice's payment when Stripe lists it.
   */
  async payInvoice(input: PayInvoiceInput): Promise<InvoicePayment> {
    let invoice: Stripe.Invoice;
    try {
      invoice = await this.stripe.invoices.pay(
        input.invoiceId,
        { payment_method: input.paymentMethodId, off_session: true, expand: ['payments'] },
        { idempotencyKey: input.idempotencyKey },
      );
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError) throw cardErrorFromStripe(err);
      if (err instanceof Stripe.errors.StripeInvalidRequestError) {
        if (err.code === 'invoice_payment_intent_requires_action') {
          throw new GatewayError('authentication_required', 'This card requires authentication. Pay from the invoice page to complete it.', 402);
        }
        if (/already paid/i.test(err.message)) throw new GatewayError('invoice_already_paid', 'This invoice has already been paid.', 409);
      }
      throw gatewayErrorFromStripe(err, 'pay the invoice');
    }
    if (invoice.status !== 'paid') {
      throw new GatewayError('card_declined', 'The payment did not complete; the invoice is still open.', 402);
    }
    const intent = invoice.payments?.data.find((p) => p.status === 'paid')?.payment.payment_intent;
    const paidAt = invoice.status_transitions.paid_at;
    return {
      paymentId: (typeof intent === 'string' ? intent : intent?.id) ?? invoice.id ?? input.invoiceId,
      amountPaid: invoice.amount_paid,
      paidAt: paidAt ? new Date(paidAt * 1000) : new Date(),
    };
  }

  private fetchPaymentMethod(id: string) {
    return this.call('find the payment method', () => this.stripe.paymentMethods.retrieve(id));
  }

  private retrieveSubscription(id: string) {
    return this.call('find the subscription', () => this.stripe.subscriptions.retrieve(id));
  }

  /** The plan's active Price id, looked up once per gateway instance (failures are not cached). */
  private priceIdFor(planKey: string): Promise<string> {
    let pending = this.priceIds.get(planKey);
    if (!pending) {
      const lookupKey = priceLookupKey(planKey);
      pending = this.call('find the plan price', () =>
        this.stripe.prices.list({ lookup_keys: [lookupKey], active: true, limit: 1 }),
      ).then((list) => {
        const price = list.data[0];
        if (!price) throw new GatewayError('unknown_plan', `Stripe has no active price with lookup key ${lookupKey}.`);
        return price.id;
      });
      pending.catch(() => this.priceIds.delete(planKey));
      this.priceIds.set(planKey, pending);
    }
    return pending;
  }

  private async call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw gatewayErrorFromStripe(err, operation);
    }
  }
}

/** Errors of the confirmed SetupIntent: declines by name, a method Stripe will not use as 400. */
function attachErrorFromStripe(err: unknown): unknown {
  if (err instanceof Stripe.errors.StripeCardError) return cardErrorFromStripe(err);
  if (err instanceof Stripe.errors.StripeInvalidRequestError && err.param === 'payment_method' && err.code !== 'resource_missing') {
    // E.g. a method detached earlier, which Stripe never reuses.
    return new GatewayError('invalid_payment_method', redact(err.message), 400);
  }
  return gatewayErrorFromStripe(err, 'verify the payment method');
}
