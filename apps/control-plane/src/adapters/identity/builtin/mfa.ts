import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { MembershipSummary } from '@cbp/contracts';
import { membershipsOf, type UserRow } from '../../../platform/accounts.js';
import { recordAuditEntry } from '../../../platform/audit.js';
import type { RequestContext } from '../../../platform/context.js';
import { scopeToTenant, withPlatformScope, type AppDb, type PlatformTx } from '../../../platform/db.js';
import { userRecoveryCodes, userTotp } from '../../../platform/schema.js';

/**
 * Two-step verification at the built-in provider (issue 15; migration 0041): one TOTP
 * authenticator per account (RFC 6238: SHA-1, 6 digits, 30 s, as every authenticator app reads
 * it) and ten one-time recovery codes.
 *
 * - The shared secret is stored encrypted (AES-256-GCM, key derived with HKDF from the
 *   provider's persistent server secret); recovery codes only as SHA-256.
 * - A code is accepted in its 30 s step or the ones next to it (clock drift), and only for a step
 *   later than the last accepted one (`last_used_step`, claimed with a conditional UPDATE): the
 *   same code never works twice, not even from two requests at once.
 * - Turning it on, turning it off and using a recovery code are audited in every organization of
 *   the account, in the transaction of the change (like a password change).
 */

export const totpSettings = { algorithm: 'SHA1', digits: 6, period: 30, window: 1 } as const;
export const recoveryCodeCount = 10;
const issuerName = 'CBP Portal';

/** The encryption key of stored TOTP secrets, derived from the provider's server secret. */
export function mfaKey(serverSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'cbp-builtin-identity', 'totp-secret-v1', 32));
}

export function encryptSecret(key: Buffer, base32: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(base32, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), Buffer.concat([body, cipher.getAuthTag()]).toString('base64url')].join('.');
}

/** The secret, or null when it cannot be read (the server secret changed): the authenticator is lost. */
export function decryptSecret(key: Buffer, stored: string): string | null {
  const [version, iv, data] = stored.split('.');
  if (version !== 'v1' || !iv || !data) return null;
  try {
    const bytes = Buffer.from(data, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

export function totpFor(base32: string, email: string): TOTP {
  return new TOTP({ issuer: issuerName, label: email, algorithm: totpSettings.algorithm, digits: totpSettings.digits, period: totpSettings.period, secret: Secret.fromBase32(base32) });
}

/** What a person types: digits with spaces, or a recovery code in any case with or without its dash. */
export const normaliseCode = (input: string) => input.replace(/[\s-]/g, '').toLowerCase();
const isTotpCode = (code: string) => /^\d{6}$/.test(code);
const isRecoveryCode = (code: string) => /^[a-z2-7]{10}$/.test(code);
const hashCode = (code: string) => createHash('sha256').update(normaliseCode(code)).digest('hex');

/** `abcde-fghij`: 50 random bits in lower-case base32 (no 0/1/8/9 to mistake for letters). */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => alphabet[b % 32]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export interface MfaStatus {
  enabled: boolean;
  recoveryCodesLeft: number;
}

export async function mfaStatus(db: AppDb, userId: string): Promise<MfaStatus> {
  const [row] = await db.select({ confirmedAt: userTotp.confirmedAt }).from(userTotp).where(eq(userTotp.userId, userId)).limit(1);
  if (!row?.confirmedAt) return { enabled: false, recoveryCodesLeft: 0 };
  const [left] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(userRecoveryCodes)
    .where(and(eq(userRecoveryCodes.userId, userId), isNull(userRecoveryCodes.usedAt)));
  return { enabled: true, recoveryCodesLeft: Number(left?.n ?? 0) };
}

export interface Enrollment {
  secret: string;
  uri: string;
  /** The otpauth URI as an SVG QR code (markup with no script: inlined in the page). */
  qrSvg: string;
}

/**
 * The authenticator being set up: the pending secret of the account (created once, so reloading
 * the page shows the same QR code), or null if two-step verification is already on.
 */
export async function startEnrollment(db: AppDb, key: Buffer, user: Pick<UserRow, 'id' | 'email'>): Promise<Enrollment | null> {
  const [existing] = await db.select().from(userTotp).where(eq(userTotp.userId, user.id)).limit(1);
  if (existing?.confirmedAt) return null;
  let secret = existing ? decryptSecret(key, existing.secretEncrypted) : null;
  if (!secret) {
    secret = new Secret({ size: 20 }).base32;
    await db
      .insert(userTotp)
      .values({ userId: user.id, secretEncrypted: encryptSecret(key, secret) })
      .onConflictDoUpdate({ target: userTotp.userId, set: { secretEncrypted: encryptSecret(key, secret), createdAt: sql`now()`, lastUsedStep: null }, where: isNull(userTotp.confirmedAt) });
  }
  const uri = totpFor(secret, user.email).toString();
  const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, uri, qrSvg };
}

type Meta = { ipAddress: string | null; userAgent: string | null };

/** One audit entry per organization of the account, in `tx` (which ends its platform scope: call last). */
async function auditAccount(tx: PlatformTx, tenants: MembershipSummary[], user: Pick<UserRow, 'id' | 'email'>, meta: Meta, action: string, metadata: Record<string, unknown>) {
  for (const tenant of tenants) {
    const scoped = await scopeToTenant(tx, tenant.id);
    const ctx: RequestContext = { ...meta, actor: { type: 'user', id: user.id, email: user.email }, tenantId: tenant.id, role: tenant.role };
    await recordAuditEntry(scoped, ctx, { action, targetType: 'user', targetId: user.id, targetName: user.email, metadata });
  }
}

/** The time step a code matches in (its window), or null. */
function matchingStep(secret: string, email: string, code: string, now = Date.now()): number | null {
  const delta = totpFor(secret, email).validate({ token: code, timestamp: now, window: totpSettings.window });
  if (delta === null) return null;
  return Math.floor(now / 1000 / totpSettings.period) + delta;
}

export type ConfirmOutcome = { ok: true; recoveryCodes: string[] } | { ok: false; problem: 'wrong_code' | 'not_pending' };

/**
 * Turns two-step verification on with the first code from the app: marks the authenticator
 * confirmed (that code's step counts as used), replaces the recovery codes with ten new ones
 * (returned once, in clear) and audits `user.mfa_enabled`, in one transaction.
 */
export async function confirmEnrollment(db: AppDb, key: Buffer, user: Pick<UserRow, 'id' | 'email'>, input: string, meta: Meta): Promise<ConfirmOutcome> {
  const code = normaliseCode(input);
  const [pending] = await db.select().from(userTotp).where(eq(userTotp.userId, user.id)).limit(1);
  if (!pending || pending.confirmedAt) return { ok: false, problem: 'not_pending' };
  const secret = decryptSecret(key, pending.secretEncrypted);
  const step = secret && isTotpCode(code) ? matchingStep(secret, user.email, code) : null;
  if (step === null) return { ok: false, problem: 'wrong_code' };
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  const tenants = await membershipsOf(db, user.id);
  const done = await withPlatformScope(db, async (tx) => {
    const [confirmed] = await tx
      .update(userTotp)
      .set({ confirmedAt: sql`now()`, lastUsedStep: step })
      .where(and(eq(userTotp.userId, user.id), isNull(userTotp.confirmedAt), eq(userTotp.secretEncrypted, pending.secretEncrypted)))
      .returning({ userId: userTotp.userId });
    if (!confirmed) return false;
    await tx.delete(userRecoveryCodes).where(eq(userRecoveryCodes.userId, user.id));
    await tx.insert(userRecoveryCodes).values(codes.map((c) => ({ userId: user.id, codeHash: hashCode(c) })));
    await auditAccount(tx, tenants, user, meta, 'user.mfa_enabled', { method: 'totp', recoveryCodes: recoveryCodeCount });
    return true;
  });
  return done ? { ok: true, recoveryCodes: codes } : { ok: false, problem: 'not_pending' };
}

export type VerifyOutcome =
  | { ok: true; method: 'totp' | 'recovery_code'; recoveryCodesLeft?: number }
  | { ok: false; problem: 'wrong_code' | 'already_used' | 'not_enabled' };

/**
 * Checks the second factor of a sign-in (or of turning it off): an authenticator code, once per
 * time step, or an unused recovery code, once (audited `user.mfa_recovery_code_used` with how
 * many are left, in the transaction that spends it).
 */
export async function verifySecondFactor(db: AppDb, key: Buffer, user: Pick<UserRow, 'id' | 'email'>, input: string, meta: Meta): Promise<VerifyOutcome> {
  const code = normaliseCode(input);
  const [row] = await db.select().from(userTotp).where(eq(userTotp.userId, user.id)).limit(1);
  if (!row?.confirmedAt) return { ok: false, problem: 'not_enabled' };
  if (isRecoveryCode(code)) {
    const tenants = await membershipsOf(db, user.id);
    return withPlatformScope(db, async (tx): Promise<VerifyOutcome> => {
      const [spent] = await tx
        .update(userRecoveryCodes)
        .set({ usedAt: sql`now()` })
        .where(and(eq(userRecoveryCodes.userId, user.id), eq(userRecoveryCodes.codeHash, hashCode(code)), isNull(userRecoveryCodes.usedAt)))
        .returning({ id: userRecoveryCodes.id });
      if (!spent) return { ok: false, problem: 'wrong_code' };
      const [left] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(userRecoveryCodes)
        .where(and(eq(userRecoveryCodes.userId, user.id), isNull(userRecoveryCodes.usedAt)));
      const recoveryCodesLeft = Number(left?.n ?? 0);
      await auditAccount(tx, tenants, user, meta, 'user.mfa_recovery_code_used', { recoveryCodesLeft });
      return { ok: true, method: 'recovery_code', recoveryCodesLeft };
    });
  }
  const secret = decryptSecret(key, row.secretEncrypted);
  const step = secret && isTotpCode(code) ? matchingStep(secret, user.email, code) : null;
  if (step === null) return { ok: false, problem: 'wrong_code' };
  const [claimed] = await db
    .update(userTotp)
    .set({ lastUsedStep: step })
    .where(and(eq(userTotp.userId, user.id), or(isNull(userTotp.lastUsedStep), lt(userTotp.lastUsedStep, step))))
    .returning({ userId: userTotp.userId });
  return claimed ? { ok: true, method: 'totp' } : { ok: false, problem: 'already_used' };
}

/**
 * Ten new recovery codes for an account that has two-step verification on (after a current
 * code): the earlier ones stop working; audited `user.mfa_recovery_codes_replaced`. Null if it is off.
 */
export async function replaceRecoveryCodes(db: AppDb, user: Pick<UserRow, 'id' | 'email'>, meta: Meta): Promise<string[] | null> {
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  const tenants = await membershipsOf(db, user.id);
  return withPlatformScope(db, async (tx) => {
    const [row] = await tx.select({ confirmedAt: userTotp.confirmedAt }).from(userTotp).where(eq(userTotp.userId, user.id)).for('update');
    if (!row?.confirmedAt) return null;
    await tx.delete(userRecoveryCodes).where(eq(userRecoveryCodes.userId, user.id));
    await tx.insert(userRecoveryCodes).values(codes.map((c) => ({ userId: user.id, codeHash: hashCode(c) })));
    await auditAccount(tx, tenants, user, meta, 'user.mfa_recovery_codes_replaced', { recoveryCodes: recoveryCodeCount });
    return codes;
  });
}

/** Turns two-step verification off (after the caller checked a current code): authenticator and recovery codes go, audited. */
export async function disableMfa(db: AppDb, user: Pick<UserRow, 'id' | 'email'>, meta: Meta): Promise<boolean> {
  const tenants = await membershipsOf(db, user.id);
  return withPlatformScope(db, async (tx) => {
    const removed = await tx.delete(userTotp).where(and(eq(userTotp.userId, user.id), sql`${userTotp.confirmedAt} IS NOT NULL`)).returning({ userId: userTotp.userId });
    if (removed.length === 0) return false;
    await tx.delete(userRecoveryCodes).where(eq(userRecoveryCodes.userId, user.id));
    await auditAccount(tx, tenants, user, meta, 'user.mfa_disabled', { method: 'totp' });
    return true;
  });
}
