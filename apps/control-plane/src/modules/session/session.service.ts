import type { ChangePasswordBody, ChangePasswordResult, Me, MeIdentity, Tenant, UserSession } from '@cbp/contracts';
import { deviceFamily } from '../../adapters/identity/builtin/devices.js';
import { hashPassword, verifyPassword } from '../../adapters/identity/builtin/passwords.js';
import { endOtherSessions, endSession, grantTagClaim, isCurrentSession, liveSessionsOf } from '../../adapters/identity/builtin/sessions.js';
import { admitLoginAttempt, clearLoginAttempts } from '../../adapters/identity/builtin/throttle.js';
import { allTenantsAs, findUserById, membershipsOf } from '../../platform/accounts.js';
import type { AuditEntry } from '../../platform/audit.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { AuthenticatedUser } from '../../platform/auth.js';
import type { RequestContext } from '../../platform/context.js';
import { readTenant, scopeToTenant, type AppDb, type Tx } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { findTenant, setPasswordHash, setUserName } from './session.repo.js';

/** Who manages sign-in: the built-in provider, or an external issuer (Keycloak) and its account console. */
export interface IdentitySetup {
  external: boolean;
  issuer: string;
}

export function identityOf(setup: IdentitySetup): MeIdentity {
  return setup.external ? { provider: 'external', accountUrl: `${setup.issuer.replace(/\/$/, '')}/account` } : { provider: 'builtin' };
}

export async function describeCaller(db: AppDb, auth: AuthenticatedUser, setup?: IdentitySetup): Promise<Me> {
  const { user, platformRole } = auth;
  const tenants = platformRole === 'super_admin' ? await allTenantsAs(db, 'super_admin') : await membershipsOf(db, user.id);
  return {
    user: { id: user.id, email: user.email, name: user.name },
    tenants,
    platformRole,
    ...(setup ? { identity: identityOf(setup) } : {}),
  };
}

export async function currentTenant(db: AppDb, tenantId: string): Promise<Tenant> {
  const row = await readTenant(db, tenantId, (tx) => findTenant(tx, tenantId));
  if (!row) throw notFound('Tenant');
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    status: row.status,
    planId: row.planId,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * A change of the caller's own account: `change` and one audit entry in each organization the
 * caller is an active member of, in one transaction (like sign-in, an account spans tenants).
 */
async function changeOwnAccount(db: AppDb, auth: AuthenticatedUser, ctx: RequestContext, entry: Omit<AuditEntry, 'targetType' | 'targetId' | 'targetName'>, change?: (tx: Tx) => Promise<void>) {
  const { user } = auth;
  const memberships = await membershipsOf(db, user.id);
  await db.transaction(async (tx) => {
    if (change) await change(tx);
    for (const tenant of memberships) {
      const scoped = await scopeToTenant(tx, tenant.id);
      await recordAuditEntry(scoped, { ...ctx, actor: { type: 'user', id: user.id, email: user.email }, tenantId: tenant.id, role: tenant.role }, {
        ...entry,
        targetType: 'user',
        targetId: user.id,
        targetName: user.email,
      });
    }
  });
}

export async function updateProfile(db: AppDb, auth: AuthenticatedUser, ctx: RequestContext, name: string, setup: IdentitySetup): Promise<Me> {
  const before = auth.user.name;
  if (name !== before) {
    await changeOwnAccount(db, auth, ctx, { action: 'user.profile_updated', before: { name: before }, after: { name } }, (tx) => setUserName(tx, auth.user.id, name));
  }
  return describeCaller(db, { ...auth, user: { ...auth.user, name } }, setup);
}

export class PasswordChangeThrottled extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('password change throttled');
  }
}

const currentGrantTag = (auth: AuthenticatedUser): string | null => {
  const tag = auth.claims[grantTagClaim];
  return typeof tag === 'string' ? tag : null;
};

function requireBuiltin(setup: IdentitySetup, what: string) {
  if (setup.external) {
    throw new AppError(409, 'CONFLICT', `${what} are managed by your identity provider: use its account console at ${identityOf(setup).accountUrl}.`);
  }
}

/**
 * Built-in identity only. The current password is checked under the sign-in throttle of the
 * (email, address) pair, so this form cannot be used to guess passwords faster than the login
 * page. The new hash is stored, every other session and grant of the account is ended at the
 * provider, and the change is audited in each organization; the password is never logged.
 */
export async function changePassword(db: AppDb, auth: AuthenticatedUser, ctx: RequestContext, body: ChangePasswordBody, setup: IdentitySetup): Promise<ChangePasswordResult> {
  requireBuiltin(setup, 'Passwords');
  const user = await findUserById(db, auth.user.id);
  if (!user?.passwordHash) throw new AppError(409, 'CONFLICT', 'This account has no password at the built-in provider.');
  const ip = ctx.ipAddress ?? 'unknown';
  const admission = await admitLoginAttempt(db, user.email, ip);
  if (!admission.allowed) throw new PasswordChangeThrottled(admission.retryAfterSeconds);
  if (!(await verifyPassword(body.currentPassword, user.passwordHash))) {
    throw new AppError(403, 'CURRENT_PASSWORD_INCORRECT', 'The current password is not correct.', [
      { path: 'body.currentPassword', message: 'The current password is not correct' },
    ]);
  }
  if (body.newPassword === body.currentPassword) {
    throw new AppError(400, 'VALIDATION_FAILED', 'Choose a password different from the current one.', [
      { path: 'body.newPassword', message: 'Must differ from the current password' },
    ]);
  }
  await clearLoginAttempts(db, user.email, ip);
  const hash = await hashPassword(body.newPassword);
  await changeOwnAccount(db, auth, ctx, { action: 'user.password_changed' }, (tx) => setPasswordHash(tx, user.id, hash));
  const endedSessions = await endOtherSessions(db, user.id, currentGrantTag(auth));
  return { endedSessions };
}

export async function listSessions(db: AppDb, auth: AuthenticatedUser, setup: IdentitySetup): Promise<UserSession[]> {
  requireBuiltin(setup, 'Sessions');
  const tag = currentGrantTag(auth);
  return (await liveSessionsOf(db, auth.user.id)).map((s) => ({
    id: s.uid,
    userAgent: s.userAgent,
    device: deviceFamily(s.userAgent),
    ipAddress: s.ipAddress,
    createdAt: s.createdAt.toISOString(),
    lastSeenAt: s.lastSeenAt.toISOString(),
    current: isCurrentSession(s, tag),
  }));
}

export async function revokeSession(db: AppDb, auth: AuthenticatedUser, ctx: RequestContext, id: string, setup: IdentitySetup): Promise<void> {
  requireBuiltin(setup, 'Sessions');
  const ended = await endSession(db, auth.user.id, id);
  if (!ended) throw notFound('Session');
  await changeOwnAccount(db, auth, ctx, {
    action: 'auth.session_revoked',
    metadata: { sessionId: id, device: deviceFamily(ended.userAgent), ipAddress: ended.ipAddress, current: isCurrentSession(ended, currentGrantTag(auth)) },
  });
}
