import type { Config } from '../../../config.js';
import type { AppDb } from '../../../platform/db.js';
import { createBuiltinIdentityAdmin } from './builtin.js';
import { createKeycloakIdentityAdmin } from './keycloak.js';
import type { IdentityAdmin } from './port.js';

/** Keycloak's Admin REST API when KEYCLOAK_URL is set, otherwise the built-in provider's users. */
export function createIdentityAdmin(config: Config, db: AppDb): IdentityAdmin {
  if (!config.KEYCLOAK_URL) return createBuiltinIdentityAdmin(db);
  if (!config.KEYCLOAK_ADMIN_CLIENT_SECRET) throw new Error('KEYCLOAK_URL is set: KEYCLOAK_ADMIN_CLIENT_SECRET (the service account client secret) is required too');
  return createKeycloakIdentityAdmin({
    url: config.KEYCLOAK_URL,
    realm: config.KEYCLOAK_REALM,
    clientId: config.KEYCLOAK_ADMIN_CLIENT_ID,
    clientSecret: config.KEYCLOAK_ADMIN_CLIENT_SECRET,
  });
}
