import { and, asc, count, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import {
  usageLevel,
  type AdminTenantDetail,
  type AdminTenantListItem,
  type AdminTenantPage,
  type AdminTenantQuery,
  type CreateAdminTenantBody,
  type CreateAdminTenantResult,
  type TenantUsageStatus,
  type UsageStatus,
} from '@cbp/contracts';
import type { PaymentGateway } from '../../adapters/payments/port.js';
import type { WorkflowEngine } from '../../adapters/workflows/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { RequestContext } from '../../platform/context.js';
import { withPlatformScope, type AppDb } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { plans, tenantMemberships, tenants, users } from '../../platform/schema.js';
import { currentSubscription } from '../billing/subscriptions.service.js';
import { listInvitations } from '../team/invitations.service.js';
import { listMembers } from '../team/team.service.js';
import { usageStatus, usageStatusOfTenants } from '../usage/usage.service.js';
import { provisionTenant } from './tenant-provisioning.js';

// The staff console (issue 16): platform staff list every tenant, provision new ones and
// suspend / reactivate them. Reads span tenants (platform scope, decision 003); the usage,
// billing and team figures come from those modules' services. Each change is audited in the
// tenant's own trail, in the change's transaction; a status change bumps auth_epoch
// (migration 0026), so the guard's 403 TENANT_SUSPENDED holds on every API copy within its bound.

export interface AdminTenantDeps {
  db: AppDb;
  engine: WorkflowEngine;
  /** For the billing module's service (the subscription summary). */
  gateway: PaymentGateway;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The worst state of the tenant's quotas (the usage module's statuses). */
export function worstUsageStatus(statuses: readonly UsageStatus[]): TenantUsageStatus {
  if (statuses.length === 0) return 'none';
  const levels = new Set(statuses.map(usageLevel));
  if (levels.has('critical')) return 'over_hard_limit';
  if (levels.has('warning')) return 'over_soft_limit';
  if (levels.has('approaching')) return 'approaching_limit';
  return 'ok';
}

const activeMembers = sql<number>`(SELECT count(*)::int FROM ${tenantMemberships} m WHERE m.tenant_id = ${tenants.id} AND m.status = 'active')`;

const tenantColumns = {
  id: tenants.id,
  name: tenants.name,
  slug: tenants.slug,
  status: tenants.status,
  createdAt: tenants.createdAt,
  planKey: plans.key,
  planName: plans.name,
  members: activeMembers,
  deletionScheduledAt: tenants.deletionScheduledAt,
  suspendedReason: tenants.suspendedReason,
  suspendedAt: tenants.suspendedAt,
  suspendedBy: tenants.suspendedBy,
};

type TenantRow = {
  id: string;
  name: string;
  slug: string;
  status: AdminTenantListItem['status'];
  createdAt: Date;
  planKey: string | null;
  planName: string | null;
  members: number;
};

function listItemOf(row: TenantRow, usage: readonly UsageStatus[]): AdminTenantListItem {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    plan: row.planKey && row.planName ? { key: row.planKey, name: row.planName } : null,
    status: row.status,
    members: Number(row.members),
    usageStatus: worstUsageStatus(usage),
    createdAt: row.createdAt.toISOString(),
  };
}

export async function listTenants(db: AppDb, q: AdminTenantQuery): Promise<AdminTenantPage> {
  const search = q.search ? `%${escapeLike(q.search)}%` : null;
  const where: SQL | undefined = and(
    search ? or(ilike(tenants.name, search), ilike(tenants.slug, search)) : undefined,
    q.status ? eq(tenants.status, q.status) : undefined,
    q.plan ? eq(plans.key, q.plan) : undefined,
  );
  const { rows, total } = await withPlatformScope(db, async (tx) => {
    const rows = await tx
      .select(tenantColumns)
      .from(tenants)
      .leftJoin(plans, eq(plans.id, tenants.planId))
      .where(where)
      .orderBy(desc(tenants.createdAt), asc(tenants.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit);
    const [total] = await tx.select({ n: count() }).from(tenants).leftJoin(plans, eq(plans.id, tenants.planId)).where(where);
    return { rows, total: total?.n ?? 0 };
  });
  // The page's usage in one read from the usage module (not one query per tenant).
  const usage = await usageStatusOfTenants(db, rows.map((r) => r.id));
  return { data: rows.map((row) => listItemOf(row, usage.get(row.id) ?? [])), total: Number(total) };
}

export async function getTenant({ db, gateway }: Pick<AdminTenantDeps, 'db' | 'gateway'>, id: string): Promise<AdminTenantDetail> {
  const row = await withPlatformScope(db, async (tx) => {
    const [found] = await tx
      .select({ ...tenantColumns, suspendedByEmail: users.email })
      .from(tenants)
      .leftJoin(plans, eq(plans.id, tenants.planId))
      .leftJoin(users, eq(users.id, tenants.suspendedBy))
      .where(eq(tenants.id, id))
      .limit(1);
    return found;
  });
  if (!row) throw notFound('Tenant');
  const owners = await listMembers(db, id, { page: 1, limit: 100, role: 'owner', status: 'active' });
  const invitations = await listInvitations(db, id, { page: 1, limit: 1, status: 'pending' });
  const subscription = await currentSubscription({ db, gateway }, id).catch((error: unknown) => {
    if (error instanceof AppError && error.status === 404) return null; // provisioning has not created it yet
    throw error;
  });
  return {
    ...listItemOf(row, await usageStatus(db, row.id)),
    owners: owners.data.map((m) => ({ id: m.id, email: m.email, name: m.name })),
    subscription: subscription && {
      status: subscription.status,
      planName: subscription.plan.name,
      currentPeriodEnd: subscription.currentPeriodEnd,
      cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
      trialEnd: subscription.trialEnd,
    },
    suspension:
      row.status === 'suspended'
        ? {
            reason: row.suspendedReason ?? '',
            at: (row.suspendedAt ?? row.createdAt).toISOString(),
            by: row.suspendedBy ? { id: row.suspendedBy, email: row.suspendedByEmail ?? null } : null,
          }
        : null,
    pendingInvitations: invitations.total,
    deletionScheduledAt: row.deletionScheduledAt ? row.deletionScheduledAt.toISOString() : null,
  };
}

/** Starts the provisioning workflow (tenant-provisioning.ts): 202 with the tenant and the run. */
export async function createTenant(deps: AdminTenantDeps, ctx: RequestContext, body: CreateAdminTenantBody): Promise<CreateAdminTenantResult> {
  const started = await provisionTenant(deps, ctx, { name: body.name, slug: body.slug, planKey: body.plan, ownerEmail: body.ownerEmail }).catch((error: unknown) => {
    if (error instanceof AppError && error.status === 409) {
      throw new AppError(409, 'CONFLICT', error.message, [{ path: 'body.slug', message: 'This slug is taken' }]);
    }
    if (error instanceof AppError && error.status === 422) {
      throw new AppError(422, error.code, error.message, [{ path: 'body.plan', message: 'No such plan' }]);
    }
    throw error;
  });
  return { tenant: await getTenant(deps, started.tenantId), workflowId: started.runId };
}

async function changeStatus(db: AppDb, ctx: RequestContext, id: string, to: 'suspended' | 'active', reason: string | null): Promise<void> {
  await withPlatformScope(db, async (tx) => {
    const [current] = await tx
      .select({ name: tenants.name, status: tenants.status, suspendedReason: tenants.suspendedReason })
      .from(tenants)
      .where(eq(tenants.id, id))
      .for('update')
      .limit(1);
    if (!current) throw notFound('Tenant');
    if (current.status === to) {
      throw new AppError(409, 'CONFLICT', to === 'suspended' ? `${current.name} is already suspended.` : `${current.name} is not suspended.`);
    }
    if (current.status === 'pending_deletion') {
      throw new AppError(
        409,
        'CONFLICT',
        `${current.name} is scheduled for deletion; its owner can cancel the deletion in the portal (POST /organization/deletion/cancel).`,
      );
    }
    const by = ctx.actor.type === 'user' ? ctx.actor.id : null;
    await tx
      .update(tenants)
      .set(
        to === 'suspended'
          ? { status: 'suspended', suspendedReason: reason, suspendedAt: new Date(), suspendedBy: by }
          : { status: 'active', suspendedReason: null, suspendedAt: null, suspendedBy: null },
      )
      .where(eq(tenants.id, id));
    await recordAuditEntry(tx, { ...ctx, tenantId: id }, {
      action: to === 'suspended' ? 'tenant.suspended' : 'tenant.reactivated',
      targetType: 'tenant',
      targetId: id,
      targetName: current.name,
      before: { status: current.status, ...(current.suspendedReason ? { reason: current.suspendedReason } : {}) },
      after: { status: to, ...(reason ? { reason } : {}) },
      metadata: { actorPlatformRole: ctx.role },
    });
  });
}

export async function suspendTenant(deps: AdminTenantDeps, ctx: RequestContext, id: string, reason: string): Promise<AdminTenantDetail> {
  await changeStatus(deps.db, ctx, id, 'suspended', reason);
  return getTenant(deps, id);
}

export async function reactivateTenant(deps: AdminTenantDeps, ctx: RequestContext, id: string): Promise<AdminTenantDetail> {
  await changeStatus(deps.db, ctx, id, 'active', null);
  return getTenant(deps, id);
}
