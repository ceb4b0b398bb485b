import { createHash } from 'node:crypto';
import { and, eq, gt, inArray, isNull, ne, notInArray, or, sql } from 'drizzle-orm';
import type { AppDb } from '../../../platform/db.js';
import { oidcPayloads, userSessions } from '../../../platform/schema.js';

/**
 * The built-in provider's sessions of one user (issue 14, slice 2c). oidc-provider keeps each
 * session as an `oidc_payloads` row of kind `Session` (its id is the session cookie's value and
 * never leaves the server); `user_sessions` (migration 0027) adds the device it was opened
 * from, keyed by the session's `uid`, which is what the API calls the session's id.
 *
 * Ending a session deletes the session, the grants it holds and their refresh tokens (the
 * provider's own `revokeByGrantId` storage), so neither the cookie nor a refresh token renews
 * anything; an access token already issued (JWT, 1 h at most) stays valid until it expires.
 */

/** The claim the provider adds to access tokens: a tag of the grant they were issued under. */
export const grantTagClaim = 'gid';
export const grantTag = (grantId: string) => createHash('sha256').update(grantId).digest('base64url').slice(0, 22);

interface SessionPayload {
  accountId?: string;
  uid?: string;
  loginTs?: number;
  authorizations?: Record<string, { grantId?: string } | undefined>;
}

const live = () => or(isNull(oidcPayloads.expiresAt), gt(oidcPayloads.expiresAt, new Date()));

const grantsOf = (payload: SessionPayload): string[] =>
  Object.values(payload.authorizations ?? {})
    .map((a) => a?.grantId)
    .filter((g): g is string => typeof g === 'string');

/** Called by the storage adapter whenever the provider saves a session (sign-in, renewals). */
export async function recordSession(db: AppDb, s: { uid: string; userId: string; userAgent: string | null; ipAddress: string | null }) {
  await db
    .insert(userSessions)
    .values({ sessionUid: s.uid, userId: s.userId, userAgent: s.userAgent, ipAddress: s.ipAddress })
    .onConflictDoUpdate({
      target: userSessions.sessionUid,
      set: { lastSeenAt: sql`now()`, ...(s.userAgent ? { userAgent: s.userAgent } : {}), ...(s.ipAddress ? { ipAddress: s.ipAddress } : {}) },
    });
}

export async function forgetSession(db: AppDb, uid: string) {
  await db.delete(userSessions).where(eq(userSessions.sessionUid, uid));
}

export interface StoredSession {
  uid: string;
  rowId: string;
  grantIds: string[];
  userAgent: string | null;
  ipAddress: string | null;
  createdAt: Date;
  lastSeenAt: Date;
}

/** The user's live sessions, most recently used first. */
export async function liveSessionsOf(db: AppDb, userId: string): Promise<StoredSession[]> {
  const rows = await db
    .select({ id: oidcPayloads.id, uid: oidcPayloads.uid, payload: oidcPayloads.payload, device: userSessions })
    .from(oidcPayloads)
    .leftJoin(userSessions, eq(userSessions.sessionUid, oidcPayloads.uid))
    .where(and(eq(oidcPayloads.kind, 'Session'), sql`${oidcPayloads.payload}->>'accountId' = ${userId}`, live()));
  const sessions = rows
    .filter((r) => r.uid)
    .map((r): StoredSession => {
      const payload = r.payload as SessionPayload;
      const login = typeof payload.loginTs === 'number' ? new Date(payload.loginTs * 1000) : null;
      return {
        uid: r.uid ?? '',
        rowId: r.id,
        grantIds: grantsOf(payload),
        userAgent: r.device?.userAgent ?? null,
        ipAddress: r.device?.ipAddress ?? null,
        createdAt: r.device?.createdAt ?? login ?? new Date(0),
        lastSeenAt: r.device?.lastSeenAt ?? login ?? new Date(0),
      };
    });
  return sessions.sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime());
}

async function revoke(db: AppDb, sessions: StoredSession[], extraGrantIds: string[] = []) {
  const grantIds = [...new Set([...sessions.flatMap((s) => s.grantIds), ...extraGrantIds])];
  await db.transaction(async (tx) => {
    if (sessions.length > 0) {
      await tx.delete(oidcPayloads).where(and(eq(oidcPayloads.kind, 'Session'), inArray(oidcPayloads.id, sessions.map((s) => s.rowId))));
      await tx.delete(userSessions).where(inArray(userSessions.sessionUid, sessions.map((s) => s.uid)));
    }
    if (grantIds.length > 0) {
      await tx.delete(oidcPayloads).where(inArray(oidcPayloads.grantId, grantIds));
      await tx.delete(oidcPayloads).where(and(eq(oidcPayloads.kind, 'Grant'), inArray(oidcPayloads.id, grantIds)));
    }
  });
}

/** Ends one session of the user; false if they have no such live session. */
export async function endSession(db: AppDb, userId: string, uid: string): Promise<StoredSession | null> {
  const session = (await liveSessionsOf(db, userId)).find((s) => s.uid === uid);
  if (!session) return null;
  await revoke(db, [session]);
  return session;
}

/**
 * Ends every session and grant of the user except the one `currentTag` names (the caller's,
 * from their token's `gid` claim; null ends them all). Returns how many sessions ended.
 */
export async function endOtherSessions(db: AppDb, userId: string, currentTag: string | null): Promise<number> {
  const isCurrent = (grantIds: string[]) => currentTag !== null && grantIds.some((g) => grantTag(g) === currentTag);
  const sessions = await liveSessionsOf(db, userId);
  const others = sessions.filter((s) => !isCurrent(s.grantIds));
  const kept = sessions.filter((s) => isCurrent(s.grantIds)).flatMap((s) => s.grantIds);
  // Grants no session holds any more (a session that ended without signing out) keep refresh tokens alive: they go too.
  const grants = await db
    .select({ id: oidcPayloads.id })
    .from(oidcPayloads)
    .where(
      and(
        eq(oidcPayloads.kind, 'Grant'),
        sql`${oidcPayloads.payload}->>'accountId' = ${userId}`,
        kept.length > 0 ? notInArray(oidcPayloads.id, kept) : ne(oidcPayloads.id, ''),
      ),
    );
  const grantIds = grants.map((g) => g.id).filter((g) => !(currentTag !== null && grantTag(g) === currentTag));
  await revoke(db, others, grantIds);
  return others.length;
}

export function isCurrentSession(session: StoredSession, currentTag: string | null): boolean {
  return currentTag !== null && session.grantIds.some((g) => grantTag(g) === currentTag);
}
