import Stripe from 'stripe';
import {
  GatewayError,
  priceLookupKey,
  type GatewayCustomer,
  type GatewaySubscription,
  type PaymentGateway,
  type PlanChangeQuote,
} from './port.js';
import { isProrationLine, planItemOf, quoteLineFromStripe, subscriptionFromStripe } from './stripe-mapping.js';

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
