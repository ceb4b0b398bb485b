import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { PlatformRole } from '@cbp/contracts';
import type { AppDb } from './db.js';
import {
  findUserByEmail,
  findUserByExternalSubject,
  findUserById,
  linkExternalSubject,
  type UserRow,
} from './accounts.js';
import { unauthenticated } from './errors.js';

/** Asymmetric algorithms only: `none` and HMAC (key confusion) are never accepted. */
const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

export interface AuthenticatedUser {
  user: UserRow;
  platformRole: PlatformRole | null;
  claims: JWTPayload;
}

export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<AuthenticatedUser>;
}

type KeySet = ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;

const KeycloakClaims = z.object({
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  realm_access: z.object({ roles: z.array(z.string()) }).optional(),
});

export interface AuthenticatorOptions {
  db: AppDb;
  issuer: string;
  audience: string;
  /** Built-in provider: its public keys, verified locally. External: discovered from the issuer. */
  localJwks?: { keys: JWK[] };
}

/**
 * Verifies bearer JWTs against the issuer's keys and maps them to a CBP user.
 * Built-in issuer: `sub` is the user id. External issuer (Keycloak): `sub` is linked to the
 * user with the same verified email on first use; `super_admin` comes from realm roles.
 */
export function createAuthenticator({ db, issuer, audience, localJwks }: AuthenticatorOptions): Authenticator {
  const external = !localJwks;
  let keySet: KeySet | undefined = localJwks ? createLocalJWKSet(localJwks) : undefined;

  async function keys(): Promise<KeySet> {
    if (keySet) return keySet;
    const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    if (!res.ok) throw new Error(`OIDC discovery failed for ${issuer}: HTTP ${res.status}`);
    const { jwks_uri: jwksUri } = z.object({ jwks_uri: z.url() }).parse(await res.json());
    keySet = createRemoteJWKSet(new URL(jwksUri));
    return keySet;
  }

  async function verify(token: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, await keys(), { issuer, audience, algorithms, clockTolerance: 5 });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated('The access token has expired.');
      if (err instanceof joseErrors.JOSEError) throw unauthenticated('The access token is not valid.');
      throw err;
    }
  }

  async function resolveUser(claims: JWTPayload): Promise<AuthenticatedUser> {
    const sub = claims.sub;
    if (!sub) throw unauthenticated('The access token has no subject.');
    if (!external) {
      const user = z.uuid().safeParse(sub).success ? await findUserById(db, sub) : undefined;
      if (!user) throw unauthenticated('The account of this token no longer exists.');
      return { user, platformRole: user.platformRole, claims };
    }
    const extra = KeycloakClaims.safeParse(claims);
    const info = extra.success ? extra.data : {};
    let user = await findUserByExternalSubject(db, sub);
    if (!user && info.email && info.email_verified !== false) {
      user = await findUserByEmail(db, info.email);
      // An account already linked to another subject is not taken over by a matching email.
      if (user?.externalSubject) throw unauthenticated('This account is linked to another identity.');
      if (user) await linkExternalSubject(db, user.id, sub);
    }
    if (!user) throw unauthenticated('No CBP account matches this identity.');
    const realmStaff = info.realm_access?.roles.includes('super_admin') ? 'super_admin' : null;
    return { user, platformRole: user.platformRole ?? realmStaff, claims };
  }

  return {
    async authenticate(authorization) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!match?.[1]) throw unauthenticated();
      const result = await resolveUser(await verify(match[1]));
      if (result.user.status !== 'active') throw unauthenticated('This account is disabled.');
      return result;
    },
  };
}
