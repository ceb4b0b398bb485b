import { and, eq, inArray, or, sql } from 'drizzle-orm';
import {
  hasRoleAtLeast,
  resourcePolicies,
  roleDescriptions,
  roleLevels,
  teamActions,
  tenantRoles,
  type BulkRoleResult,
  type BulkRowResult,
  type Member,
  type MemberQuery,
  type MemberStatus,
  type RoleInfo,
  type TeamActivityQuery,
  type TenantRole,
  type TransferOwnershipResult,
} from '@cbp/contracts';
import type { Mailer } from '../../adapters/mail/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { RequestContext, TenantContext as TenantCtx } from '../../platform/context.js';
import { readTenant, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import { publishEvent } from '../../platform/events.js';
import { auditLogs } from '../../platform/schema.js';
import { auditLogFrom } from '../audit-logs/audit-logs.service.js';
import { assertSeatFree } from './seats.js';
import {
  activeOwnerCount,
  deleteMembership,
  findActivity,
  findMember,
  findMembers,
  lockTeam,
  tenantName,
  updateMembership,
  type MemberRow,
} from './team.repo.js';

export interface TeamDeps {
  db: AppDb;
  mailer: Mailer;
  portalUrl: string;
}


export const memberFrom = (row: MemberRow): Member => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  status: row.status,
  joinedAt: row.joinedAt.toISOString(),
  lastActiveAt: row.lastActiveAt ? row.lastActiveAt.toISOString() : null,
});

const isOwnerLevel = (ctx: RequestContext) => hasRoleAtLeast(ctx.role, 'owner');
const businessRule = (message: string) => new AppError(422, 'BUSINESS_RULE', message);

export async function listMembers(db: AppDb, tenantId: string, query: MemberQuery) {
  return readTenant(db, tenantId, async (tx) => {
    const { rows, total } = await findMembers(tx, tenantId, query);
    return { data: rows.map(memberFrom), total };
  });
}

export async function getMember(db: AppDb, tenantId: string, userId: string): Promise<Member> {
  const row = await readTenant(db, tenantId, (tx) => findMember(tx, tenantId, userId));
  if (!row) throw notFound('Member');
  return memberFrom(row);
}

/**
 * The rules every change to another member passes: nobody changes themselves this way, only
 * an owner touches an owner or grants owner, and the tenant always keeps an active owner.
 */
async function assertMayChange(tx: ScopedTx, ctx: TenantCtx, target: MemberRow, change: { role?: TenantRole; status?: MemberStatus; remove?: boolean }) {
  if (target.id === ctx.actor.id) {
    throw businessRule(change.remove ? 'You cannot remove yourself; leave the organization instead.' : 'You cannot change your own role or status.');
  }
  if (change.role === 'owner' && !isOwnerLevel(ctx)) throw forbidden('Only an owner can grant the owner role.');
  if (target.role === 'owner' && !isOwnerLevel(ctx)) {
    throw forbidden(change.remove ? 'Admins cannot remove an owner.' : "Only an owner can change another owner's role or status.");
  }
  const losesOwner = target.role === 'owner' && target.status === 'active' && ((change.role && change.role !== 'owner') || change.status === 'suspended' || change.remove);
  if (losesOwner && (await activeOwnerCount(tx, ctx.tenantId)) <= 1) {
    throw businessRule('The organization must keep an active owner: transfer ownership first.');
  }
}

async function changeRoleIn(tx: ScopedTx, ctx: TenantCtx, userId: string, role: TenantRole): Promise<MemberRow> {
  const target = await findMember(tx, ctx.tenantId, userId);
  if (!target) throw notFound('Member');
  await assertMayChange(tx, ctx, target, { role });
  if (target.role === role) return target;
  await updateMembership(tx, ctx.tenantId, userId, { role });
  await recordAuditEntry(tx, ctx, {
    action: 'member.role_changed',
    targetType: 'user',
    targetId: userId,
    targetName: target.email,
    before: { role: target.role },
    after: { role },
  });
  await publishEvent(tx, {
    type: 'member.role_changed',
    tenantId: ctx.tenantId,
    payload: { subjectUserIds: [userId], email: target.email, fromRole: target.role, toRole: role, actorUserId: ctx.actor.id },
  });
  return { ...target, role };
}

export async function changeMemberRole(db: AppDb, ctx: TenantCtx, userId: string, role: TenantRole): Promise<Member> {
  return withTenant(db, ctx.tenantId, async (tx) => {
    await lockTeam(tx, ctx.tenantId);
    return memberFrom(await changeRoleIn(tx, ctx, userId, role));
  });
}

/** One role for many members; each row succeeds or fails on its own, as the single call would. */
export async function bulkChangeRole(db: AppDb, ctx: TenantCtx, userIds: string[], role: TenantRole): Promise<BulkRoleResult> {
  const results: BulkRowResult[] = [];
  const seen = new Set<string>();
  for (const [index, userId] of userIds.entries()) {
    if (seen.has(userId)) {
      results.push({ index, key: userId, ok: false, status: 409, code: 'CONFLICT', message: 'This member appears twice in the request.' });
      continue;
    }
    seen.add(userId);
    try {
      await changeMemberRole(db, ctx, userId, role);
      results.push({ index, key: userId, ok: true, status: 200 });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      results.push({ index, key: userId, ok: false, status: err.status, code: err.code, message: err.message });
    }
  }
  const updated = results.filter((r) => r.ok).length;
  return { updated, failed: results.length - updated, results };
}

export async function changeMemberStatus(db: AppDb, ctx: TenantCtx, userId: string, status: MemberStatus): Promise<Member> {
  return withTenant(db, ctx.tenantId, async (tx) => {
    await lockTeam(tx, ctx.tenantId);
    const target = await findMember(tx, ctx.tenantId, userId);
    if (!target) throw notFound('Member');
    await assertMayChange(tx, ctx, target, { status });
    if (target.status === status) return memberFrom(target);
    if (status === 'active') await assertSeatFree(tx, ctx.tenantId);
    await updateMembership(tx, ctx.tenantId, userId, { status });
    await recordAuditEntry(tx, ctx, {
      action: status === 'suspended' ? 'member.suspended' : 'member.reactivated',
      targetType: 'user',
      targetId: userId,
      targetName: target.email,
      before: { status: target.status },
      after: { status },
    });
    return memberFrom({ ...target, status });
  });
}

export async function removeMember(db: AppDb, ctx: TenantCtx, userId: string): Promise<void> {
  await withTenant(db, ctx.tenantId, async (tx) => {
    await lockTeam(tx, ctx.tenantId);
    const target = await findMember(tx, ctx.tenantId, userId);
    if (!target) throw notFound('Member');
    await assertMayChange(tx, ctx, target, { remove: true });
    await deleteMembership(tx, ctx.tenantId, userId);
    await recordAuditEntry(tx, ctx, {
      action: 'member.removed',
      targetType: 'user',
      targetId: userId,
      targetName: target.email,
      before: { role: target.role, status: target.status },
    });
    await publishEvent(tx, { type: 'member.removed', tenantId: ctx.tenantId, payload: { userId, email: target.email, role: target.role, actorUserId: ctx.actor.id } });
  });
}

/** The caller leaves the tenant; its last active owner cannot. */
export async function leaveTenant(db: AppDb, ctx: TenantCtx): Promise<void> {
  const userId = ctx.actor.id;
  if (ctx.actor.type !== 'user' || !userId) throw forbidden('Only a member can leave an organization.');
  await withTenant(db, ctx.tenantId, async (tx) => {
    await lockTeam(tx, ctx.tenantId);
    const me = await findMember(tx, ctx.tenantId, userId);
    if (!me) throw businessRule('You are not a member of this organization.');
    if (me.role === 'owner' && me.status === 'active' && (await activeOwnerCount(tx, ctx.tenantId)) <= 1) {
      throw businessRule('You are the last owner: transfer ownership before leaving.');
    }
    await deleteMembership(tx, ctx.tenantId, userId);
    await recordAuditEntry(tx, ctx, { action: 'member.left', targetType: 'user', targetId: userId, targetName: me.email, before: { role: me.role } });
    await publishEvent(tx, { type: 'member.removed', tenantId: ctx.tenantId, payload: { userId, email: me.email, role: me.role, left: true, actorUserId: userId } });
  });
}

/**
 * The caller (an owner) makes another active member the owner and becomes an admin, in one
 * transaction; both are told by mail.
 */
export async function transferOwnership(deps: TeamDeps, ctx: TenantCtx, newOwnerId: string): Promise<TransferOwnershipResult> {
  const callerId = ctx.actor.id;
  if (ctx.actor.type !== 'user' || !callerId) throw forbidden('Only an owner can transfer ownership.');
  return withTenant(deps.db, ctx.tenantId, async (tx) => {
    await lockTeam(tx, ctx.tenantId);
    const [me, next] = await Promise.all([findMember(tx, ctx.tenantId, callerId), findMember(tx, ctx.tenantId, newOwnerId)]);
    if (!me || me.role !== 'owner' || me.status !== 'active') throw businessRule('Only an active owner of this organization can transfer its ownership.');
    if (!next) throw notFound('Member');
    if (next.id === me.id) throw businessRule('You already own this organization: choose another member.');
    if (next.status !== 'active') throw businessRule('Ownership can only go to an active member; reactivate them first.');
    await updateMembership(tx, ctx.tenantId, next.id, { role: 'owner' });
    await updateMembership(tx, ctx.tenantId, me.id, { role: 'admin' });
    const name = await tenantName(tx, ctx.tenantId);
    await recordAuditEntry(tx, ctx, {
      action: 'ownership.transferred',
      targetType: 'user',
      targetId: next.id,
      targetName: next.email,
      before: { owner: me.email, [next.email]: next.role },
      after: { owner: next.email, [me.email]: 'admin' },
      metadata: { previousOwnerId: me.id, newOwnerId: next.id },
    });
    for (const [who, before, after] of [[next, next.role, 'owner'], [me, 'owner', 'admin']] as const) {
      await recordAuditEntry(tx, ctx, {
        action: 'member.role_changed',
        targetType: 'user',
        targetId: who.id,
        targetName: who.email,
        before: { role: before },
        after: { role: after },
        metadata: { reason: 'ownership_transfer' },
      });
    }
    await publishEvent(tx, {
      type: 'ownership.transferred',
      tenantId: ctx.tenantId,
      payload: { subjectUserIds: [next.id], fromEmail: me.email, toEmail: next.email, actorUserId: me.id },
    });
    const link = `${deps.portalUrl}/team`;
    await deps.mailer.send(tx, {
      tenantId: ctx.tenantId,
      to: next.email,
      kind: 'ownership_transferred',
      subject: `You are now the owner of ${name}`,
      text: `Hello ${next.name},\n\n${me.name} (${me.email}) transferred the ownership of ${name} to you on CBP. You now manage its subscription, payment methods and ownership.\n\n${me.name} stays in the organization as an admin.\n\nOpen your team: ${link}\n`,
    });
    await deps.mailer.send(tx, {
      tenantId: ctx.tenantId,
      to: me.email,
      kind: 'ownership_transferred',
      subject: `You transferred the ownership of ${name}`,
      text: `Hello ${me.name},\n\nYou transferred the ownership of ${name} to ${next.name} (${next.email}). You are now an admin of the organization.\n\nIf you did not do this, contact ${next.email} or your platform administrator at once.\n\nOpen your team: ${link}\n`,
    });
    return {
      previousOwner: memberFrom({ ...me, role: 'admin' }),
      newOwner: memberFrom({ ...next, role: 'owner' }),
    };
  });
}

/** Tenant roles with what each may do, from the one RBAC table. */
export function rolesWithPermissions(): RoleInfo[] {
  return tenantRoles.map((key) => ({
    key,
    name: roleDescriptions[key].name,
    level: roleLevels[key],
    description: roleDescriptions[key].description,
    permissions: Object.entries(resourcePolicies).flatMap(([resource, actions]) =>
      Object.entries(actions as Record<string, TenantRole | 'super_admin'>)
        .filter(([, minimum]) => hasRoleAtLeast(key, minimum))
        .map(([action]) => `${resource}:${action}`),
    ),
  }));
}

/**
 * The team's activity from the audit trail: for one member, everything they did or that was
 * done to them; for the whole team, the team changes (`teamActions`).
 */
export async function teamActivity(db: AppDb, tenantId: string, { page, limit, userId }: TeamActivityQuery) {
  return withTenant(db, tenantId, async (tx) => {
    if (userId && !(await findMember(tx, tenantId, userId))) {
      // Former members keep their history: only answer 404 for ids the trail never saw.
      const [seen] = await tx
        .select({ id: auditLogs.id })
        .from(auditLogs)
        .where(and(eq(auditLogs.tenantId, tenantId), or(eq(auditLogs.actorId, userId), and(eq(auditLogs.targetType, 'user'), eq(auditLogs.targetId, userId)))))
        .limit(1);
      if (!seen) throw notFound('Member');
    }
    const condition = userId
      ? or(eq(auditLogs.actorId, userId), and(eq(auditLogs.targetType, 'user'), eq(auditLogs.targetId, userId)))
      : inArray(auditLogs.action, [...teamActions]);
    const { rows, total } = await findActivity(tx, tenantId, condition ?? sql`true`, { limit, offset: (page - 1) * limit });
    return { data: rows.map(auditLogFrom), total };
  });
}

