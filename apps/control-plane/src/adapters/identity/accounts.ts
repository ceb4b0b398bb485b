import type { Config } from '../../config.js';
import { hashPassword } from './builtin/passwords.js';

/**
 * Where people's accounts live, for the modules that create them (accepting an invitation):
 * - `builtin`: the embedded provider; CBP creates the account and keeps its password's hash;
 * - `external`: the OIDC provider (Keycloak) keeps accounts and passwords; a new person
 *   registers on its page, and the account is linked by verified email at first sign-in.
 */
export type AccountProvider =
  | { readonly kind: 'builtin'; passwordHash(password: string): Promise<string> }
  | { readonly kind: 'external'; readonly registrationUrl: string };

export const builtinAccounts: AccountProvider = { kind: 'builtin', passwordHash: hashPassword };

/**
 * The account side of the configured identity provider. With an external issuer, its
 * registration page is Keycloak's (`/protocol/openid-connect/registrations`), returning to the
 * portal's sign-in callback.
 */
export function accountProvider(config: Pick<Config, 'embeddedIdentity' | 'issuer' | 'OIDC_CLIENT_ID'>, portalUrl: string): AccountProvider {
  if (config.embeddedIdentity) return builtinAccounts;
  const query = new URLSearchParams({ client_id: config.OIDC_CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: `${portalUrl}/auth/callback` });
  return { kind: 'external', registrationUrl: `${config.issuer.replace(/\/$/, '')}/protocol/openid-connect/registrations?${query.toString()}` };
}
