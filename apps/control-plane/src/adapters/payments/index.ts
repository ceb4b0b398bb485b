import type Stripe from 'stripe';
import type { Config } from '../../config.js';
import type { AppDb } from '../../platform/db.js';
import { LocalGateway } from './local.js';
import type { GatewayEvent, GatewaySubscription, PaymentGateway } from './port.js';
import { createStripeClient, StripeGateway } from './stripe.js';

/** Stripe when STRIPE_SECRET_KEY is set, else the local gateway in the database. */
export function createPaymentGateway(
  config: Config,
  db: AppDb,
  onLocalEvent: (event: GatewayEvent) => Promise<unknown>,
  /** The local gateway calls this before drawing up a renewal invoice (usage of the ended period goes on it). */
  beforeLocalRenewal?: (subscription: GatewaySubscription) => Promise<unknown>,
): { gateway: PaymentGateway; stripe: Stripe; local: LocalGateway | null } {
  if (config.STRIPE_SECRET_KEY) {
    const stripe = createStripeClient(config.STRIPE_SECRET_KEY);
    return { gateway: new StripeGateway(stripe, { returnUrl: `${config.portalOrigins[0] ?? ''}/billing` }), stripe, local: null };
  }
  const local = new LocalGateway(db, {
    portalUrl: config.portalOrigins[0] ?? '',
    onEvent: onLocalEvent,
    ...(beforeLocalRenewal ? { beforeRenewal: beforeLocalRenewal } : {}),
  });
  return {
    gateway: local,
    local,
    // Only verifies webhook signatures in local mode; never calls Stripe.
    stripe: createStripeClient('sk_test_local_gateway_no_calls'),
  };
}
