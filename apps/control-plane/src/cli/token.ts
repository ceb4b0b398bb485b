import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { loadSigningKeys } from '../adapters/identity/builtin/keys.js';
import { loadConfig } from '../config.js';
import { findUserByEmail } from '../platform/accounts.js';
import { openDatabase } from '../platform/db.js';
import { demoUsers } from '../seed/demo.js';

// `npm run --silent token -- owner@acme.test`: prints an access token of the built-in issuer,
// the same token a portal login gives, for scripts and manual API calls.

const email = process.argv[2];
const config = loadConfig();
if (!email) {
  process.stderr.write('usage: npm run --silent token -- <email>\n');
  process.exit(2);
}
if (!config.embeddedIdentity) {
  process.stderr.write('An external identity provider is configured (OIDC_ISSUER_URL): get tokens from it.\n');
  process.exit(2);
}

async function userIdFor(address: string): Promise<string | undefined> {
  // The embedded database is held by the running API, so demo users are found by their fixed ids.
  if (!config.DATABASE_URL) return demoUsers.find((u) => u.email === address.toLowerCase())?.id;
  const database = await openDatabase({ url: config.DATABASE_URL });
  try {
    return (await findUserByEmail(database.db, address))?.id;
  } finally {
    await database.close();
  }
}

const userId = await userIdFor(email);
if (!userId) {
  process.stderr.write(`No user ${email}. Demo users: ${demoUsers.map((u) => u.email).join(', ')}\n`);
  process.exit(1);
}
const { keys } = await loadSigningKeys(config.CBP_DATA_DIR, config.OIDC_SIGNING_JWKS);
const jwk = keys[0];
if (!jwk) throw new Error('no signing key');
const key = await importJWK(jwk, 'RS256');
const token = await new SignJWT({ client_id: config.OIDC_CLIENT_ID, scope: 'api' })
  .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', ...(jwk.kid ? { kid: jwk.kid } : {}) })
  .setIssuer(config.issuer)
  .setSubject(userId)
  .setAudience(config.audience)
  .setIssuedAt()
  .setExpirationTime('1h')
  .setJti(randomUUID())
  .sign(key);
process.stdout.write(`${token}\n`);
