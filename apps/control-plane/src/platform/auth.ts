import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { PlatformRole } from '@cbp/contracts';
import type { AppDb } from './db.js';
import {
  currentAuthEpoch,
  findPrincipal,
  findUserByEmail,
  linkExternalSubject,
  type AuthUser,
  type PrincipalRow,
} from './accounts.js';
import { unauthenticated } from './errors.js';
import { platformRoleFromClaims } from '../adapters/identity/admin/port.js';
import { roleRevokedFor } from '../adapters/identity/admin/revocations.js';

/** Asymmetric algorithms only: `none` and HMAC (key confusion) are never accepted. */
const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const clockToleranceSeconds = 5;

export interface AuthenticatedUser {
  user: AuthUser;
  platformRole: PlatformRole | null;
  claims: JWTPayload;
}

/**
 * Authentication methods (RFC 8176 `amr`) that count as a second factor. The built-in provider
 * puts `["pwd", "otp"]` in its tokens after an authenticator or recovery code; Keycloak emits
 * `amr` with its "Authentication Method Reference (AMR)" mapper when the OTP step of the flow
 * has the reference value `otp` (docs/ARCHITECTURE.md, Identity). `acr` is not read: its values
 * are each realm's own.
 */
const secondFactorMethods = new Set(['otp', 'mfa', 'hwk', 'swk']);

/** Whether the token's sign-in used a second factor (its `amr` claim). */
export function hasSecondFactor(claims: JWTPayload): boolean {
  const amr = claims.amr;
  return Array.isArray(amr) && amr.some((m) => typeof m === 'string' && secondFactorMethods.has(m));
}

/** The caller of one request: who, and where they stand in the tenant asked for. */
export interface Principal {
  auth: AuthenticatedUser;
  /** The tenant asked for (or, without one, the caller's only tenant); null if there is none. */
  tenant: PrincipalRow['tenant'];
  activeMemberships: number;
}

export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<AuthenticatedUser>;
  /**
   * The caller and their standing in `tenantId` (a UUID; null: their only tenant), from one
   * statement or from the cache of this API copy.
   */
  principal(authorization: string | undefined, tenantId: string | null): Promise<Principal>;
  /**
   * An API key behind a secret, cached like principals (`load` returns null for an unknown or
   * revoked key, which is never cached).
   */
  apiKey<K>(secret: string, load: () => Promise<K | null>): Promise<K | null>;
  /**
   * Something in this process may have changed access (a write request finished): the next
   * cached answer first re-reads the auth epoch.
   */
  invalidate(): void;
}

type KeySet = ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;

const KeycloakClaims = z.object({
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
});

/**
 * How long this copy answers from its cache. Every change that can take access away (role,
 * membership, tenant status, user, API key) bumps `auth_epoch` in its own transaction
 * (migration 0026); a copy re-reads the epoch before serving a cached answer when its last
 * reading is older than `epochCheckMs` (or a write request of its own finished since), and
 * drops everything read under an older epoch. So such a change holds on every copy within
 * `epochCheckMs` plus one request; anything else (a token's key rotated away at the issuer)
 * within `ttlMs`. The documented bound is 5 s (docs/benchmarks.md, "api").
 */
export interface AuthCacheOptions {
  /** 0 turns the cache off. */
  ttlMs: number;
  epochCheckMs: number;
  maxEntries: number;
}

export const defaultAuthCache: AuthCacheOptions = { ttlMs: 5_000, epochCheckMs: 1_000, maxEntries: 10_000 };

export interface AuthenticatorOptions {
  db: AppDb;
  issuer: string;
  audience: string;
  /** Built-in provider: its public keys, verified locally. External: discovered from the issuer. */
  localJwks?: { keys: JWK[] };
  cache?: AuthCacheOptions;
}

interface Entry<V> {
  value: V;
  epoch: number;
  expiresAt: number;
  /** The token's `exp` in ms (principals), checked on every hit. */
  tokenExpiresAt: number;
}

/**
 * Verifies bearer JWTs against the issuer's keys and maps them to a CBP user.
 * Built-in issuer: `sub` is the user id. External issuer (Keycloak): `sub` is linked to the
 * user with the same verified email on first use; `super_admin` comes from realm roles
 * (identity-admin port, unless revoked since the token was issued).
 */
export function createAuthenticator({ db, issuer, audience, localJwks, cache = defaultAuthCache }: AuthenticatorOptions): Authenticator {
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
      const { payload } = await jwtVerify(token, await keys(), { issuer, audience, algorithms, clockTolerance: clockToleranceSeconds });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated('The access token has expired.');
      if (err instanceof joseErrors.JOSEError) throw unauthenticated('The access token is not valid.');
      throw err;
    }
  }

  // --- the cache of this API copy -------------------------------------------------------
  const principals = new Map<string, Entry<Principal>>();
  const apiKeys = new Map<string, Entry<unknown>>();
  /** The highest auth epoch seen; entries of a lower one are stale. */
  let knownEpoch = -1;
  /** Bumped by invalidate(); a reading of the epoch counts only for the generations it started after. */
  let generation = 0;
  /** The latest epoch reading: when it started and in which generation. */
  let lastReading = { at: -Infinity, generation: -1 };
  let reading: Promise<void> | undefined;

  function observe(epoch: number, startedAt: number, startedGeneration: number) {
    if (epoch > knownEpoch) {
      knownEpoch = epoch;
      principals.clear();
      apiKeys.clear();
    }
    if (epoch >= knownEpoch && startedAt > lastReading.at) lastReading = { at: startedAt, generation: startedGeneration };
  }

  async function readEpoch(): Promise<void> {
    const startedAt = performance.now();
    const startedGeneration = generation;
    observe(await currentAuthEpoch(db), startedAt, startedGeneration);
  }

  /** Makes knownEpoch recent enough to trust a cached entry: at most two readings (one in flight, one new). */
  async function ensureFresh(): Promise<void> {
    const now = performance.now();
    const wanted = generation;
    const fresh = () => lastReading.generation >= wanted && now - lastReading.at < cache.epochCheckMs;
    while (!fresh()) {
      reading ??= readEpoch().finally(() => {
        reading = undefined;
      });
      await reading;
    }
  }

  function store<V>(map: Map<string, Entry<V>>, key: string, entry: Entry<V>) {
    if (entry.epoch !== knownEpoch) return; // read under an epoch already superseded
    if (map.size >= cache.maxEntries) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, entry);
  }

  async function cached<V>(map: Map<string, Entry<V>>, key: string): Promise<V | undefined> {
    if (cache.ttlMs <= 0) return undefined;
    const entry = map.get(key);
    if (!entry) return undefined;
    const now = Date.now();
    if (now >= entry.expiresAt || now >= entry.tokenExpiresAt) {
      map.delete(key);
      return undefined;
    }
    await ensureFresh();
    // ensureFresh() may have cleared the map: the entry must still be of the current epoch.
    return entry.epoch === knownEpoch && map.get(key) === entry ? entry.value : undefined;
  }

  // --- lookups -----------------------------------------------------------------------------
  async function lookup(claims: JWTPayload, tenantId: string | null): Promise<{ principal: Principal; epoch: number }> {
    const sub = claims.sub;
    if (!sub) throw unauthenticated('The access token has no subject.');
    if (!external) {
      const row = z.uuid().safeParse(sub).success ? await findPrincipal(db, { userId: sub }, tenantId) : undefined;
      if (!row) throw unauthenticated('The account of this token no longer exists.');
      return { principal: { auth: { user: row.user, platformRole: row.user.platformRole, claims }, tenant: row.tenant, activeMemberships: row.activeMemberships }, epoch: row.epoch };
    }
    const extra = KeycloakClaims.safeParse(claims);
    const info = extra.success ? extra.data : {};
    let row = await findPrincipal(db, { externalSubject: sub }, tenantId);
    if (!row && info.email && info.email_verified !== false) {
      const user = await findUserByEmail(db, info.email);
      // An account already linked to another subject is not taken over by a matching email.
      if (user?.externalSubject) throw unauthenticated('This account is linked to another identity.');
      if (user) {
        await linkExternalSubject(db, user.id, sub);
        row = await findPrincipal(db, { userId: user.id }, tenantId);
      }
    }
    if (!row) throw unauthenticated('No CBP account matches this identity.');
    // Realm roles -> CBP platform role through the identity-admin port's mapping (decision 010);
    // a role revoked after the token was issued no longer counts (migration 0032).
    const tokenRole = platformRoleFromClaims(claims);
    const realmStaff = tokenRole && !row.user.platformRole && (await roleRevokedFor(db, sub, tokenRole, claims.iat)) ? null : tokenRole;
    return {
      principal: { auth: { user: row.user, platformRole: row.user.platformRole ?? realmStaff, claims }, tenant: row.tenant, activeMemberships: row.activeMemberships },
      epoch: row.epoch,
    };
  }

  async function principal(authorization: string | undefined, tenantId: string | null): Promise<Principal> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (!token) throw unauthenticated();
    // The exact token bytes were verified when cached; only its expiry can change since.
    const key = `${tenantId ?? ''} ${token}`;
    const hit = await cached(principals, key);
    if (hit) return hit;
    const claims = await verify(token);
    const startedAt = performance.now();
    const startedGeneration = generation;
    const { principal: found, epoch } = await lookup(claims, tenantId);
    if (found.auth.user.status !== 'active') throw unauthenticated('This account is disabled.');
    observe(epoch, startedAt, startedGeneration);
    if (cache.ttlMs > 0) {
      const tokenExpiresAt = typeof claims.exp === 'number' ? (claims.exp + clockToleranceSeconds) * 1000 : Infinity;
      store(principals, key, { value: found, epoch, expiresAt: Date.now() + cache.ttlMs, tokenExpiresAt });
    }
    return found;
  }

  return {
    principal,
    async authenticate(authorization) {
      return (await principal(authorization, null)).auth;
    },
    async apiKey<K>(secret: string, load: () => Promise<K | null>): Promise<K | null> {
      const map = apiKeys as Map<string, Entry<K>>;
      const hit = await cached(map, secret);
      if (hit) return hit;
      // Tagged with the epoch known before the read: any later revocation moves the epoch past it.
      if (cache.ttlMs > 0) await ensureFresh();
      const epoch = knownEpoch;
      const key = await load();
      if (key !== null && cache.ttlMs > 0) store(map, secret, { value: key, epoch, expiresAt: Date.now() + cache.ttlMs, tokenExpiresAt: Infinity });
      return key;
    },
    invalidate() {
      generation += 1;
    },
  };
}
