import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { SigningKeys } from '../src/adapters/identity/builtin/keys.js';
import { demoUsers } from '../src/seed/demo.js';

export interface TokenOptions {
  /** A jose duration ('1h') or seconds since the epoch; default one hour from now. */
  expiresAt?: string | number;
  /** How the sign-in was made (RFC 8176), as the built-in issuer sets it: `['pwd']`, `['pwd', 'otp']`; none by default. */
  amr?: string[];
}

/**
 * Signs access tokens exactly like the built-in issuer's (RS256, `at+jwt`), for tests that
 * need a caller without going through the sign-in pages.
 */
export function accessTokenSigner({ keys, issuer, audience }: { keys: SigningKeys; issuer: string; audience: string }) {
  const jwk = keys.keys[0];
  if (!jwk) throw new Error('no signing key');
  const key = importJWK(jwk, 'RS256');
  const forUserId = async (userId: string, { expiresAt = '1h', amr }: TokenOptions = {}) => {
    const token = new SignJWT({ client_id: 'cbp-portal', scope: 'api', ...(amr ? { amr } : {}) })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid ?? '' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(userId)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID());
    // An already expired token was issued an hour before it expired.
    token.setIssuedAt(typeof expiresAt === 'number' ? expiresAt - 3600 : undefined);
    return token.sign(await key);
  };
  const forEmail = (email: string, options?: TokenOptions) => {
    const user = demoUsers.find((u) => u.email === email);
    if (!user) throw new Error(`no demo user ${email}`);
    return forUserId(user.id, options);
  };
  return { forUserId, forEmail };
}
