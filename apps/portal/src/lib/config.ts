/** Every build-time setting of the portal, read once from Vite's `VITE_*` variables. */
const env = import.meta.env;

const apiUrl = (env.VITE_API_URL || 'http://localhost:14000').replace(/\/+$/, '');

export const config = {
  apiUrl,
  oidcIssuer: env.VITE_OIDC_ISSUER || `${apiUrl}/oidc`,
  oidcClientId: env.VITE_OIDC_CLIENT_ID || 'cbp-portal',
  /** Stripe Elements are used only when this is set (not yet wired). */
  stripePublishableKey: env.VITE_STRIPE_PUBLISHABLE_KEY || null,
} as const;
