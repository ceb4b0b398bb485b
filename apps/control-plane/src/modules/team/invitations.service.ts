import { createHash, randomBytes } from 'node:crypto';
import { and, count, desc, eq, gt, ilike, lte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type {
  InviteInput} from '@cbp/contracts';
import {
  hasRoleAtLeast,
  invitationValidDays,
  TenantRole,
  type AcceptInvitationInput,
  type AcceptInvitationResult,
  type BulkInviteResult,
  type Invitation,
  type InvitationPreview,
  type InvitationQuery,
} from '@cbp/contracts';
import type { Mailer } from '../../adapters/mail/port.js';
import type { AccountProvider } from '../../adapters/identity/accounts.js';
import { findUserByEmail } from '../../platform/accounts.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { RequestContext, TenantContext as TenantCtx } from '../../platform/context.js';
import { escapeLike, scopeToTenant, withPlatformScope, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import { publishEvent } from '../../platform/events.js';
import { tenants, userInvitations, users } from '../../platform/schema.js';
import { assertSeatFree } from './seats.js';
import { insertMembership, lockTeam, memberByEmail, tenantName } from './team.repo.js';

export interface InvitationDeps {
  db: AppDb;
  mailer: Mailer;
  portalUrl: string;
  /** Where new people's accounts are made: here with a password, or at the external provider (Keycloak). */
  accounts: AccountProvider;
}

type InvitationRow = typeof userInvitations.$inferSelect;

const day = 86_400_000;

/** The token goes out by mail only; the database keeps its SHA-256 (a leaked table grants nothing). */
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

function statusOf(row: InvitationRow, now = new Date()): Invitation['status'] {
  if (row.status === 'pending' && row.expiresAt <= now) return 'expired';
  return row.status;
}

function invitationFrom(row: InvitationRow, inviter: { id: string; name: string; email: string } | null): Invitation {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    message: row.message,
    status: statusOf(row),
    invitedBy: inviter,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    lastSentAt: row.lastSentAt.toISOString(),
    sendCount: row.sendCount,
    acceptedAt: row.acceptedAt ? row.acceptedAt.toISOString() : null,
  };
}

const invitationColumns = {
  invitation: userInvitations,
  inviterId: users.id,
  inviterName: users.name,
  inviterEmail: users.email,
};

function withInviter(r: { invitation: InvitationRow; inviterId: string | null; inviterName: string | null; inviterEmail: string | null }): Invitation {
  return invitationFrom(r.invitation, r.inviterId ? { id: r.inviterId, name: r.inviterName ?? '', email: r.inviterEmail ?? '' } : null);
}

async function invitationById(tx: ScopedTx, tenantId: string, id: string): Promise<Invitation | undefined> {
  const [row] = await tx
    .select(invitationColumns)
    .from(userInvitations)
    .leftJoin(users, eq(users.id, userInvitations.invitedBy))
    .where(and(eq(userInvitations.tenantId, tenantId), eq(userInvitations.id, id)))
    .limit(1);
  return row ? withInviter(row) : undefined;
}

export async function listInvitations(db: AppDb, tenantId: string, q: InvitationQuery) {
  const now = new Date();
  const byStatus: Record<Invitation['status'], SQL | undefined> = {
    pending: and(eq(userInvitations.status, 'pending'), gt(userInvitations.expiresAt, now)),
    expired: and(eq(userInvitations.status, 'pending'), lte(userInvitations.expiresAt, now)),
    accepted: eq(userInvitations.status, 'accepted'),
    revoked: eq(userInvitations.status, 'revoked'),
  };
  const where = and(
    eq(userInvitations.tenantId, tenantId),
    q.status ? byStatus[q.status] : undefined,
    q.search ? ilike(userInvitations.email, `%${escapeLike(q.search)}%`) : undefined,
  );
  return withTenant(db, tenantId, async (tx) => {
    const [rows, [total]] = await Promise.all([
      tx
        .select(invitationColumns)
        .from(userInvitations)
        .leftJoin(users, eq(users.id, userInvitations.invitedBy))
        .where(where)
        .orderBy(desc(userInvitations.createdAt), desc(userInvitations.id))
        .limit(q.limit)
        .offset((q.page - 1) * q.limit),
      tx.select({ n: count() }).from(userInvitations).where(where),
    ]);
    return { data: rows.map(withInviter), total: total?.n ?? 0 };
  });
}

function invitationMail(deps: InvitationDeps, args: { tenant: string; inviter: string; email: string; role: string; message: string | null; token: string; expiresAt: Date }) {
  const link = `${deps.portalUrl}/invitations/accept?token=${args.token}`;
  const note = args.message ? `\n${args.inviter} wrote:\n> ${args.message.replaceAll('\n', '\n> ')}\n` : '';
  return {
    to: args.email,
    kind: 'invitation',
    subject: `${args.inviter} invited you to ${args.tenant} on CBP`,
    text:
      `Hello,\n\n${args.inviter} invited you to join ${args.tenant} on CBP as ${args.role}.\n${note}\n` +
      `Accept the invitation: ${link}\n\n` +
      `The link works once and expires on ${args.expiresAt.toUTCString()}. If you did not expect it, ignore this message.\n`,
  };
}

/** The user sending an invitation (none for system or API-key callers). */
async function inviterOf(tx: ScopedTx, ctx: RequestContext) {
  if (ctx.actor.type !== 'user' || !ctx.actor.id) return null;
  const [row] = await tx.select({ id: users.id, name: users.name, email: users.email }).from(users).where(eq(users.id, ctx.actor.id)).limit(1);
  return row ?? null;
}

/** Creates one invitation and its mail in the caller's transaction; the rules of a single invite. */
async function inviteIn(tx: ScopedTx, deps: InvitationDeps, ctx: TenantCtx, input: { email: string; role: TenantRole; message: string | null }): Promise<Invitation> {
  if (input.role === 'owner' && !hasRoleAtLeast(ctx.role, 'owner')) throw forbidden('Only an owner can invite an owner.');
  if (!hasRoleAtLeast(ctx.role, input.role)) throw forbidden(`You cannot invite someone with a role above your own (${ctx.role}).`);
  const member = await memberByEmail(tx, ctx.tenantId, input.email);
  if (member) throw new AppError(409, 'CONFLICT', `${input.email} is already a member of this organization.`);
  const [open] = await tx
    .select()
    .from(userInvitations)
    .where(and(eq(userInvitations.tenantId, ctx.tenantId), eq(userInvitations.status, 'pending'), sql`lower(${userInvitations.email}) = ${input.email}`))
    .limit(1);
  if (open && open.expiresAt > new Date()) {
    throw new AppError(409, 'CONFLICT', `${input.email} already has a pending invitation; resend it instead.`);
  }
  await assertSeatFree(tx, ctx.tenantId);
  if (open) {
    // An expired invitation to the same address gives way to the new one.
    await tx.update(userInvitations).set({ status: 'revoked', revokedAt: new Date() }).where(eq(userInvitations.id, open.id));
  }
  const token = newToken();
  const expiresAt = new Date(Date.now() + invitationValidDays * day);
  const [row] = await tx
    .insert(userInvitations)
    .values({
      tenantId: ctx.tenantId,
      email: input.email,
      role: input.role,
      message: input.message,
      tokenHash: hashToken(token),
      status: 'pending',
      invitedBy: ctx.actor.type === 'user' ? ctx.actor.id : null,
      expiresAt,
      sendCount: 1,
    })
    .returning();
  if (!row) throw new Error('invitation not inserted');
  const inviter = await inviterOf(tx, ctx);
  await deps.mailer.send(tx, {
    tenantId: ctx.tenantId,
    ...invitationMail(deps, { tenant: await tenantName(tx, ctx.tenantId), inviter: inviter?.name ?? 'CBP', email: row.email, role: row.role, message: row.message, token, expiresAt }),
  });
  await recordAuditEntry(tx, ctx, {
    action: 'member.invited',
    targetType: 'invitation',
    targetId: row.id,
    targetName: row.email,
    after: { email: row.email, role: row.role },
  });
  return invitationFrom(row, inviter ?? null);
}

export async function invite(deps: InvitationDeps, ctx: TenantCtx, input: z.output<typeof InviteInput>): Promise<Invitation> {
  return withTenant(deps.db, ctx.tenantId, async (tx) => {
    await lockTeam(tx, ctx.tenantId);
    return inviteIn(tx, deps, ctx, { email: input.email, role: input.role, message: input.message ?? null });
  });
}

const RowEmail = z.email().max(254);

type BulkRows = BulkInviteResult['results'];
type RowAttempt = (email: string, role: TenantRole) => Promise<string | undefined>;

/** The checks of one bulk row that need no database; the row's refusal, or its email and role. */
function checkBulkRow(index: number, raw: { email: string; role: string }, seen: Set<string>): BulkRows[number] | { email: string; role: TenantRole } {
  const email = raw.email.trim().toLowerCase();
  const key = raw.email.trim();
  const role = TenantRole.safeParse(raw.role.trim().toLowerCase());
  if (!RowEmail.safeParse(email).success) {
    return { index, key, ok: false, status: 400, code: 'VALIDATION_FAILED', message: `"${key}" is not a valid email address.` };
  }
  if (!role.success) {
    return { index, key, ok: false, status: 400, code: 'VALIDATION_FAILED', message: `"${raw.role}" is not a role (analyst, engineer, admin or owner).` };
  }
  if (seen.has(email)) {
    return { index, key, ok: false, status: 409, code: 'CONFLICT', message: `${email} appears more than once in the list.` };
  }
  seen.add(email);
  return { email, role: role.data };
}

/** Every row in order through `attempt`, which invites one (or throws the AppError a single invite would). */
async function runBulkRows(rows: { email: string; role: string }[], attempt: RowAttempt): Promise<BulkInviteResult> {
  const results: BulkRows = [];
  const seen = new Set<string>();
  for (const [index, raw] of rows.entries()) {
    const checked = checkBulkRow(index, raw, seen);
    if ('index' in checked) {
      results.push(checked);
      continue;
    }
    const key = raw.email.trim();
    try {
      const invitationId = await attempt(checked.email, checked.role);
      results.push({ index, key, ok: true, status: 201, ...(invitationId ? { invitationId } : {}) });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      results.push({ index, key, ok: false, status: err.status, code: err.code, message: err.message });
    }
  }
  const created = results.filter((r) => r.ok).length;
  return { created, failed: results.length - created, results };
}

/** Thrown to roll a dry run's transaction back, carrying what the run found. */
class DryRunDone extends Error {
  constructor(readonly result: BulkInviteResult) {
    super('dry run');
  }
}

/**
 * Many invitations at once: each row is validated and created on its own (its own
 * transaction), so good rows go ahead while bad ones are reported with the reason.
 *
 * A dry run goes through the very same code (inviteIn) in one transaction that is rolled back
 * at the end: a row it calls ready is one the send accepts, unless the team changes between
 * the two, and earlier rows count for later ones exactly as they do when sending.
 */
export async function bulkInvite(
  deps: InvitationDeps,
  ctx: TenantCtx,
  rows: { email: string; role: string }[],
  message: string | null,
  options: { dryRun?: boolean } = {},
): Promise<BulkInviteResult> {
  if (!options.dryRun) {
    return runBulkRows(rows, async (email, role) => {
      const created = await withTenant(deps.db, ctx.tenantId, async (tx) => {
        await lockTeam(tx, ctx.tenantId);
        return inviteIn(tx, deps, ctx, { email, role, message });
      });
      return created.id;
    });
  }
  try {
    await withTenant(deps.db, ctx.tenantId, async (tx) => {
      await lockTeam(tx, ctx.tenantId);
      // inviteIn refuses (AppError) before it writes anything, so the transaction stays usable.
      throw new DryRunDone(await runBulkRows(rows, async (email, role) => {
        await inviteIn(tx, deps, ctx, { email, role, message });
        return undefined;
      }));
    });
  } catch (err) {
    if (err instanceof DryRunDone) return err.result;
    throw err;
  }
  throw new Error('dry run did not finish');
}

export async function resendInvitation(deps: InvitationDeps, ctx: TenantCtx, id: string): Promise<Invitation> {
  return withTenant(deps.db, ctx.tenantId, async (tx) => {
    await lockTeam(tx, ctx.tenantId);
    const [row] = await tx.select().from(userInvitations).where(and(eq(userInvitations.tenantId, ctx.tenantId), eq(userInvitations.id, id))).for('update');
    if (!row) throw notFound('Invitation');
    if (row.status !== 'pending') throw new AppError(409, 'CONFLICT', `This invitation was ${row.status}; it cannot be sent again.`);
    if (row.role === 'owner' && !hasRoleAtLeast(ctx.role, 'owner')) throw forbidden('Only an owner can resend an owner invitation.');
    // A new token: the earlier link stops working, and the invitation gets a fresh week.
    const token = newToken();
    const expiresAt = new Date(Date.now() + invitationValidDays * day);
    await tx
      .update(userInvitations)
      .set({ tokenHash: hashToken(token), expiresAt, lastSentAt: new Date(), sendCount: row.sendCount + 1 })
      .where(eq(userInvitations.id, id));
    const inviter = await inviterOf(tx, ctx);
    await deps.mailer.send(tx, {
      tenantId: ctx.tenantId,
      ...invitationMail(deps, { tenant: await tenantName(tx, ctx.tenantId), inviter: inviter?.name ?? 'CBP', email: row.email, role: row.role, message: row.message, token, expiresAt }),
    });
    await recordAuditEntry(tx, ctx, {
      action: 'invitation.resent',
      targetType: 'invitation',
      targetId: id,
      targetName: row.email,
      before: { expiresAt: row.expiresAt.toISOString() },
      after: { expiresAt: expiresAt.toISOString() },
      metadata: { sendCount: row.sendCount + 1 },
    });
    const updated = await invitationById(tx, ctx.tenantId, id);
    if (!updated) throw notFound('Invitation');
    return updated;
  });
}

export async function cancelInvitation(deps: InvitationDeps, ctx: TenantCtx, id: string): Promise<void> {
  await withTenant(deps.db, ctx.tenantId, async (tx) => {
    const [row] = await tx.select().from(userInvitations).where(and(eq(userInvitations.tenantId, ctx.tenantId), eq(userInvitations.id, id))).for('update');
    if (!row) throw notFound('Invitation');
    if (row.status !== 'pending') throw new AppError(409, 'CONFLICT', `This invitation was already ${row.status}.`);
    if (row.role === 'owner' && !hasRoleAtLeast(ctx.role, 'owner')) throw forbidden('Only an owner can cancel an owner invitation.');
    await tx.update(userInvitations).set({ status: 'revoked', revokedAt: new Date() }).where(eq(userInvitations.id, id));
    await recordAuditEntry(tx, ctx, { action: 'invitation.revoked', targetType: 'invitation', targetId: id, targetName: row.email, before: { status: statusOf(row) }, after: { status: 'revoked' } });
  });
}

/** The invitation behind a token, or the reason it can no longer be used (410). */
async function usableInvitation(tx: ScopedTx, token: string, { lock }: { lock: boolean }) {
  const query = tx
    .select({ invitation: userInvitations, tenantName: tenants.name, inviterName: users.name })
    .from(userInvitations)
    .innerJoin(tenants, eq(tenants.id, userInvitations.tenantId))
    .leftJoin(users, eq(users.id, userInvitations.invitedBy))
    .where(eq(userInvitations.tokenHash, hashToken(token)))
    .limit(1);
  const [row] = lock ? await query.for('update', { of: userInvitations }) : await query;
  if (!row) throw new AppError(404, 'NOT_FOUND', 'This invitation link is not valid. Check that you copied the whole link, or ask for a new invitation.');
  const status = statusOf(row.invitation);
  const from = row.inviterName ? ` Ask ${row.inviterName} for a new one.` : ' Ask an admin of the organization for a new one.';
  if (status === 'accepted') throw new AppError(410, 'GONE', 'This invitation has already been used. Sign in to reach the organization.');
  if (status === 'revoked') throw new AppError(410, 'GONE', `This invitation was cancelled.${from}`);
  if (status === 'expired') throw new AppError(410, 'GONE', `This invitation expired on ${row.invitation.expiresAt.toUTCString()}.${from}`);
  return row;
}

export async function previewInvitation(deps: InvitationDeps, token: string): Promise<InvitationPreview> {
  // The token names the invitation, not its tenant: found in the platform scope (decision 003).
  return withPlatformScope(deps.db, async (tx) => {
    const row = await usableInvitation(tx, token, { lock: false });
    const existing = await findUserByEmail(tx, row.invitation.email);
    return {
      tenantName: row.tenantName,
      email: row.invitation.email,
      role: row.invitation.role,
      invitedBy: row.inviterName,
      message: row.invitation.message,
      expiresAt: row.invitation.expiresAt.toISOString(),
      existingUser: Boolean(existing),
      identity: deps.accounts.kind,
    };
  });
}

/**
 * Accepts an invitation by its token, once: an existing account joins the tenant; a new
 * person gets an account (with a password at the built-in provider, or to be completed at
 * the external provider's registration, linked later by verified email).
 */
export async function acceptInvitation(deps: InvitationDeps, input: AcceptInvitationInput, meta: { ipAddress: string | null; userAgent: string | null }): Promise<AcceptInvitationResult> {
  // Found by token in the platform scope, then narrowed to the invitation's tenant.
  return withPlatformScope(deps.db, async (tx) => {
    const row = await usableInvitation(tx, input.token, { lock: true });
    const { invitation } = row;
    await scopeToTenant(tx, invitation.tenantId);
    await lockTeam(tx, invitation.tenantId);
    // The invitation held its seat; only members added meanwhile (say, a reactivation) can have filled it.
    await assertSeatFree(tx, invitation.tenantId, { accepting: true });
    let user = await findUserByEmail(tx, invitation.email);
    const { accounts } = deps;
    const newAccount = !user;
    if (user) {
      if (await memberByEmail(tx, invitation.tenantId, invitation.email)) {
        throw new AppError(409, 'CONFLICT', `${invitation.email} is already a member of ${row.tenantName}. Sign in to reach it.`);
      }
    } else {
      if (!input.name) {
        throw new AppError(400, 'VALIDATION_FAILED', 'Tell us your name for your new account.', [{ path: 'body.name', message: 'Required for a new account' }]);
      }
      if (accounts.kind === 'builtin' && !input.password) {
        throw new AppError(400, 'VALIDATION_FAILED', 'Choose a password for your new account.', [{ path: 'body.password', message: 'Required for a new account' }]);
      }
      const [created] = await tx
        .insert(users)
        .values({ email: invitation.email, name: input.name, status: 'active', passwordHash: accounts.kind === 'builtin' && input.password ? await accounts.passwordHash(input.password) : null })
        .returning();
      user = created;
    }
    if (!user) throw new Error('user not created');
    await insertMembership(tx, { tenantId: invitation.tenantId, userId: user.id, role: invitation.role, invitedBy: invitation.invitedBy });
    await tx.update(userInvitations).set({ status: 'accepted', acceptedAt: new Date(), acceptedUserId: user.id }).where(eq(userInvitations.id, invitation.id));
    const ctx: RequestContext = { actor: { type: 'user', id: user.id, email: user.email }, tenantId: invitation.tenantId, role: invitation.role, ...meta };
    await recordAuditEntry(tx, ctx, {
      action: 'member.joined',
      targetType: 'user',
      targetId: user.id,
      targetName: user.email,
      after: { role: invitation.role },
      metadata: { invitationId: invitation.id, newAccount },
    });
    await publishEvent(tx, {
      type: 'invitation.accepted',
      tenantId: invitation.tenantId,
      payload: { invitationId: invitation.id, userId: user.id, email: user.email, role: invitation.role, actorUserId: user.id },
    });
    const registrationUrl = accounts.kind === 'external' && !user.externalSubject && !user.passwordHash ? accounts.registrationUrl : null;
    return {
      tenantId: invitation.tenantId,
      tenantName: row.tenantName,
      role: invitation.role,
      email: invitation.email,
      next: registrationUrl ? 'register' : 'sign-in',
      ...(registrationUrl ? { registrationUrl } : {}),
    };
  });
}
