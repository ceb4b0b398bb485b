import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Mailer } from '../../mail/port.js';
import { findUserByEmail } from '../../../platform/accounts.js';
import { withPlatformScope, type AppDb } from '../../../platform/db.js';
import { signupVerifications } from '../../../platform/schema.js';
import { accountPaths, type JoiningOrganization, type LinkProblem } from './pages.js';
import { hashPassword } from './passwords.js';
import { hashToken, newToken, pageUrl } from './recovery.js';

/**
 * Sign-up at the built-in provider, joining by verified domain (issue 15). Which organizations
 * admit an address, and making the account and its memberships, belong to the organization and
 * team modules: app.ts hands them in as this port, so the provider never reads their tables.
 */
export interface DomainSignUp {
  /** Organizations that verified the email's domain and allow it to sign up (none: refused). */
  organizationsFor(email: string): Promise<(JoiningOrganization & { tenantId: string })[]>;
  /** Creates the account and its memberships (asking the organizations again), or says why not. */
  join(
    account: { email: string; name: string; passwordHash: string },
    meta: { ipAddress: string | null; userAgent: string | null },
  ): Promise<{ status: 'joined'; organizations: JoiningOrganization[] } | { status: 'exists' } | { status: 'not_allowed' }>;
}

export interface SignUpDeps {
  db: AppDb;
  mailer: Mailer;
  issuer: string;
  portalUrl: string;
  signUp: DomainSignUp;
}

export const signUpLinkHours = 24;

/**
 * A sign-up request with a valid name, email and password. `refused` when no organization admits
 * the address (the page says so, naming none). Otherwise a mail goes to the address and the page
 * says "check your email": a confirmation link for a new address; for an address that already has
 * an account, a note saying so with the way to sign in or reset the password (the page answers
 * the same, so it does not tell who has an account).
 */
export async function requestSignUp(deps: SignUpDeps, input: { name: string; email: string; password: string }): Promise<'sent' | 'refused'> {
  const organizations = await deps.signUp.organizationsFor(input.email);
  if (organizations.length === 0) return 'refused';
  const tenantId = organizations[0]?.tenantId ?? null;
  // Hashed either way, so the answer's timing does not tell whether the address has an account.
  const passwordHash = await hashPassword(input.password);
  const existing = await findUserByEmail(deps.db, input.email);
  if (existing) {
    await withPlatformScope(deps.db, (tx) =>
      deps.mailer.send(tx, {
        tenantId,
        to: existing.email,
        kind: 'signup_existing_account',
        subject: 'You already have a CBP account',
        text:
          `Hello,\n\nSomeone (hopefully you) asked to create a CBP account for ${existing.email}, which already has one.\n\n` +
          `Sign in: ${deps.portalUrl}/\nForgot your password? ${pageUrl(deps.issuer, accountPaths.forgot)}\n\n` +
          `If you did not ask, ignore this message: nothing changed.\n`,
      }),
    );
    return 'sent';
  }
  const token = newToken();
  const expiresAt = new Date(Date.now() + signUpLinkHours * 3_600_000);
  const link = `${pageUrl(deps.issuer, accountPaths.confirmSignUp)}?token=${token}`;
  const names = organizations.map((o) => o.tenantName);
  const joining = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  await withPlatformScope(deps.db, async (tx) => {
    // A new request for the address replaces its earlier links; old ones are kept a day at most.
    await tx
      .delete(signupVerifications)
      .where(or(and(sql`lower(${signupVerifications.email}) = lower(${input.email})`, isNull(signupVerifications.usedAt)), lt(signupVerifications.expiresAt, sql`now() - interval '1 day'`)));
    await tx.insert(signupVerifications).values({ email: input.email, name: input.name, passwordHash, tokenHash: hashToken(token), expiresAt });
    await deps.mailer.send(tx, {
      tenantId,
      to: input.email,
      kind: 'signup_verification',
      subject: `Confirm your email to join ${joining} on CBP`,
      text:
        `Hello ${input.name},\n\nConfirm your email address to finish creating your CBP account and join ${joining}: ${link}\n\n` +
        `The link works once and expires in ${signUpLinkHours} hours (${expiresAt.toUTCString()}). If you did not sign up, ignore this message: no account is created.\n`,
    });
  });
  return 'sent';
}

type Verification = typeof signupVerifications.$inferSelect;

/** What a sign-up token stands for now (for showing the confirmation page). */
export async function signUpLinkState(db: AppDb, token: string): Promise<{ ok: true; row: Verification } | { ok: false; problem: LinkProblem }> {
  if (!token) return { ok: false, problem: 'unknown' };
  const [row] = await db.select().from(signupVerifications).where(eq(signupVerifications.tokenHash, hashToken(token))).limit(1);
  if (!row) return { ok: false, problem: 'unknown' };
  if (row.usedAt) return { ok: false, problem: 'used' };
  if (row.expiresAt <= new Date()) return { ok: false, problem: 'expired' };
  return { ok: true, row };
}

export type SignUpOutcome =
  | { status: 'joined'; organizations: JoiningOrganization[] }
  | { status: 'exists'; email: string }
  | { status: 'not_allowed' }
  | { status: 'link'; problem: LinkProblem };

/**
 * Follows a sign-up link, once: the token is spent first (a second submission finds it used),
 * then the team module makes the account; if that fails unexpectedly the token is given back.
 */
export async function confirmSignUp(deps: SignUpDeps, token: string, meta: { ipAddress: string | null; userAgent: string | null }): Promise<SignUpOutcome> {
  const state = await signUpLinkState(deps.db, token);
  if (!state.ok) return { status: 'link', problem: state.problem };
  const [claimed] = await deps.db
    .update(signupVerifications)
    .set({ usedAt: new Date() })
    .where(and(eq(signupVerifications.id, state.row.id), isNull(signupVerifications.usedAt), sql`${signupVerifications.expiresAt} > now()`))
    .returning();
  if (!claimed) {
    const now = await signUpLinkState(deps.db, token);
    return { status: 'link', problem: now.ok ? 'used' : now.problem };
  }
  try {
    const result = await deps.signUp.join({ email: claimed.email, name: claimed.name, passwordHash: claimed.passwordHash }, meta);
    if (result.status === 'exists') return { status: 'exists', email: claimed.email };
    return result;
  } catch (err) {
    await deps.db.update(signupVerifications).set({ usedAt: null }).where(eq(signupVerifications.id, claimed.id));
    throw err;
  }
}
