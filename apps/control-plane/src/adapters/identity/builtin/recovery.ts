import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Mailer } from '../../mail/port.js';
import { findUserByEmail, findUserById, membershipsOf } from '../../../platform/accounts.js';
import { recordAuditEntry } from '../../../platform/audit.js';
import type { RequestContext } from '../../../platform/context.js';
import { scopeToTenant, withPlatformScope, type AppDb } from '../../../platform/db.js';
import { passwordResetTokens, users } from '../../../platform/schema.js';
import { accountPaths, type LinkProblem } from './pages.js';
import { hashPassword } from './passwords.js';
import { endOtherSessions } from './sessions.js';
import { clearLoginAttempts } from './throttle.js';

/**
 * "Forgot password?" at the built-in provider (issue 17 item 9). A request always gets the same
 * answer; an active account gets a mail with a single-use link (32 random bytes; only the
 * SHA-256 is stored) that expires in 30 minutes, and a new request deletes the account's earlier
 * unused links. Using the link sets the new password, spends the link and audits the change in
 * each organization of the account (`user.password_changed`, `method: reset_link`) in one
 * transaction, then ends every session and grant of the account (sessions.ts).
 */
export const resetLinkMinutes = 30;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const newToken = () => randomBytes(32).toString('base64url');

export interface RecoveryDeps {
  db: AppDb;
  mailer: Mailer;
  /** The provider's issuer URL (…/oidc): the mailed link points at its reset page. */
  issuer: string;
}

/** A page of the provider as an absolute URL: `path` (/oidc/account/…) under the issuer's base (the issuer ends in /oidc). */
export const pageUrl = (issuer: string, path: string) => `${issuer.replace(/\/oidc\/?$/, '')}${path}`;

/**
 * Sends a reset link to `email` if it names an active account; otherwise does nothing (the caller
 * answers the same either way). The mail is filed under the account's first organization, so
 * platform staff find it in that outbox when no SMTP server is set (null without one).
 */
export async function requestPasswordReset(deps: RecoveryDeps, email: string): Promise<void> {
  const user = await findUserByEmail(deps.db, email);
  if (!user || user.status !== 'active') return;
  const [tenant] = await membershipsOf(deps.db, user.id);
  const token = newToken();
  const expiresAt = new Date(Date.now() + resetLinkMinutes * 60_000);
  const link = `${pageUrl(deps.issuer, accountPaths.reset)}?token=${token}`;
  await withPlatformScope(deps.db, async (tx) => {
    // A new link replaces the earlier ones; spent links and long-expired ones are kept no longer than a day.
    await tx
      .delete(passwordResetTokens)
      .where(or(and(eq(passwordResetTokens.userId, user.id), isNull(passwordResetTokens.usedAt)), lt(passwordResetTokens.expiresAt, sql`now() - interval '1 day'`)));
    await tx.insert(passwordResetTokens).values({ userId: user.id, tokenHash: hashToken(token), expiresAt });
    await deps.mailer.send(tx, {
      tenantId: tenant?.id ?? null,
      to: user.email,
      kind: 'password_reset',
      subject: 'Reset your CBP password',
      text:
        `Hello ${user.name},\n\nSomeone (hopefully you) asked to reset the password of your CBP account ${user.email}.\n\n` +
        `Choose a new password: ${link}\n\n` +
        `The link works once and expires in ${resetLinkMinutes} minutes (${expiresAt.toUTCString()}). ` +
        `If you did not ask for it, ignore this message: your password stays as it is.\n`,
    });
  });
}

export type ResetLink = { ok: true; tokenId: string; userId: string; email: string } | { ok: false; problem: LinkProblem };

/** What a reset token stands for now (no lock: for showing the page). */
export async function resetLinkState(db: AppDb, token: string): Promise<ResetLink> {
  if (!token) return { ok: false, problem: 'unknown' };
  const [row] = await db
    .select({ id: passwordResetTokens.id, userId: passwordResetTokens.userId, expiresAt: passwordResetTokens.expiresAt, usedAt: passwordResetTokens.usedAt, email: users.email, status: users.status })
    .from(passwordResetTokens)
    .innerJoin(users, eq(users.id, passwordResetTokens.userId))
    .where(eq(passwordResetTokens.tokenHash, hashToken(token)))
    .limit(1);
  if (!row || row.status !== 'active') return { ok: false, problem: 'unknown' };
  if (row.usedAt) return { ok: false, problem: 'used' };
  if (row.expiresAt <= new Date()) return { ok: false, problem: 'expired' };
  return { ok: true, tokenId: row.id, userId: row.userId, email: row.email };
}

/**
 * Sets the new password with the link, once: the token is claimed under its row lock, so two
 * submissions of one link cannot both change the password. Returns the problem if the link
 * cannot be used (any more).
 */
export async function completePasswordReset(
  deps: RecoveryDeps,
  token: string,
  newPassword: string,
  meta: { ipAddress: string | null; userAgent: string | null },
): Promise<{ ok: true; email: string; endedSessions: number } | { ok: false; problem: LinkProblem }> {
  const link = await resetLinkState(deps.db, token);
  if (!link.ok) return link;
  const user = await findUserById(deps.db, link.userId);
  if (!user) return { ok: false, problem: 'unknown' };
  const memberships = await membershipsOf(deps.db, user.id);
  const hash = await hashPassword(newPassword);
  const claimed = await withPlatformScope(deps.db, async (tx) => {
    const [spent] = await tx
      .update(passwordResetTokens)
      .set({ usedAt: new Date() })
      .where(and(eq(passwordResetTokens.id, link.tokenId), isNull(passwordResetTokens.usedAt), sql`${passwordResetTokens.expiresAt} > now()`))
      .returning({ id: passwordResetTokens.id });
    if (!spent) return false;
    await tx.update(users).set({ passwordHash: hash }).where(eq(users.id, user.id));
    // Any other link of the account stops working too.
    await tx.delete(passwordResetTokens).where(and(eq(passwordResetTokens.userId, user.id), ne(passwordResetTokens.id, link.tokenId), isNull(passwordResetTokens.usedAt)));
    for (const tenant of memberships) {
      const scoped = await scopeToTenant(tx, tenant.id);
      const ctx: RequestContext = { ...meta, actor: { type: 'user', id: user.id, email: user.email }, tenantId: tenant.id, role: tenant.role };
      await recordAuditEntry(scoped, ctx, { action: 'user.password_changed', targetType: 'user', targetId: user.id, targetName: user.email, metadata: { method: 'reset_link' } });
    }
    return true;
  });
  if (!claimed) {
    const now = await resetLinkState(deps.db, token);
    return { ok: false, problem: now.ok ? 'used' : now.problem };
  }
  // The account may have been locked out by failed attempts: this address starts over.
  if (meta.ipAddress) await clearLoginAttempts(deps.db, user.email, meta.ipAddress);
  const endedSessions = await endOtherSessions(deps.db, user.id, null);
  return { ok: true, email: user.email, endedSessions };
}
