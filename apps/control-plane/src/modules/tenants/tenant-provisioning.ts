import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { PaymentGateway } from '../../adapters/payments/port.js';
import { defineWorkflow, NonRetryableError, type WorkflowEngine } from '../../adapters/workflows/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { RequestContext, TenantContext } from '../../platform/context.js';
import { withPlatformScope, withTenant, type AppDb } from '../../platform/db.js';
import { AppError } from '../../platform/errors.js';
import { plans, subscriptions, tenants, userInvitations } from '../../platform/schema.js';
import { provisionBilling } from '../billing/subscriptions.service.js';
import { invite, type InvitationDeps } from '../team/invitations.service.js';
import { ensureQuotas } from '../usage/usage.service.js';

// Tenant provisioning as a workflow (issue 13; the staff route POST /admin/tenants of issue 16
// calls `provisionTenant`). The tenant row, its `tenant.created` audit entry and the
// `tenant.provision` run (`provision`, in the new tenant's scope) commit together; the run then:
//   billing           (remote) gateway customer (idempotent per tenant) and subscription, CBP's
//                              mirror and `subscription.created`; skipped when the mirror has one
//   initialize-quotas (local)  the plan's quotas for the first period
//   invite-owner      (remote) the owner's invitation with its mail (outbox); skipped when pending

export const provisionWorkflowType = 'tenant.provision';
export const provisionWorkflowId = 'provision';

const ProvisionInput = z.object({
  name: z.string().min(1).max(200),
  planKey: z.string().min(1),
  ownerEmail: z.email(),
  billingEmail: z.email().nullable(),
  trialDays: z.number().int().min(0).max(365).nullable(),
  /** Who asked (staff), for the audit trail of the steps. */
  actor: z.object({ id: z.string(), email: z.string() }).nullable(),
});
type ProvisionInput = z.output<typeof ProvisionInput>;

export interface ProvisioningDeps {
  db: AppDb;
  gateway: PaymentGateway;
  invitations: InvitationDeps;
}

function stepContext(tenantId: string, actor: ProvisionInput['actor']): TenantContext {
  // Staff provision tenants: the steps act with the platform role (an owner may only be invited by an owner or staff).
  return {
    actor: actor ? { type: 'user', id: actor.id, email: actor.email } : { type: 'system', id: null, email: null },
    tenantId,
    role: 'super_admin',
    ipAddress: null,
    userAgent: null,
  };
}

export function tenantWorkflows({ db, gateway, invitations }: ProvisioningDeps) {
  const provision = defineWorkflow({
    type: provisionWorkflowType,
    parseInput: (input) => ProvisionInput.parse(input),
    async run(ctx, input) {
      const tenantId = ctx.tenantId;
      if (!tenantId) throw new NonRetryableError('tenant.provision runs in the new tenant');
      const acting = stepContext(tenantId, input.actor);
      const billing = await ctx.remoteStep('billing', async () => {
        const existing = await withTenant(db, tenantId, (tx) =>
          tx.select({ id: subscriptions.gatewaySubscriptionId }).from(subscriptions).where(eq(subscriptions.tenantId, tenantId)).limit(1),
        );
        if (existing[0]) return { subscriptionId: existing[0].id, created: false };
        await provisionBilling({ db, gateway }, acting, { name: input.name, billingEmail: input.billingEmail }, input.planKey, input.trialDays ? { trialDays: input.trialDays } : {});
        const [created] = await withTenant(db, tenantId, (tx) =>
          tx.select({ id: subscriptions.gatewaySubscriptionId }).from(subscriptions).where(eq(subscriptions.tenantId, tenantId)).limit(1),
        );
        return { subscriptionId: created?.id ?? null, created: true };
      });
      const quotas = await ctx.step('initialize-quotas', async ({ tx }) => ({ quotas: (await ensureQuotas(tx, tenantId)).length }));
      const invited = await ctx.remoteStep('invite-owner', async () => {
        const [pending] = await withTenant(db, tenantId, (tx) =>
          tx
            .select({ id: userInvitations.id })
            .from(userInvitations)
            .where(and(eq(userInvitations.tenantId, tenantId), eq(userInvitations.status, 'pending'), sql`lower(${userInvitations.email}) = lower(${input.ownerEmail})`))
            .limit(1),
        );
        if (pending) return { invitationId: pending.id, created: false };
        const invitation = await invite(invitations, acting, { email: input.ownerEmail.toLowerCase(), role: 'owner' });
        return { invitationId: invitation.id, created: true };
      });
      return { subscriptionId: billing.subscriptionId, quotas: quotas.quotas, invitationId: invited.invitationId };
    },
  });
  return [provision] as const;
}

export interface ProvisionTenantInput {
  name: string;
  slug: string;
  planKey: string;
  ownerEmail: string;
  billingEmail?: string | null;
  trialDays?: number | null;
}

/**
 * Creates a tenant and starts its provisioning workflow in the same transaction (with its
 * `tenant.created` audit entry), so a tenant exists exactly when its provisioning does. For the
 * staff route of issue 16. A taken slug is 409 CONFLICT, an unknown plan 422.
 */
export async function provisionTenant(
  deps: { db: AppDb; engine: WorkflowEngine },
  ctx: RequestContext,
  input: ProvisionTenantInput,
): Promise<{ tenantId: string; runId: string }> {
  const started = await withPlatformScope(deps.db, async (tx) => {
    const [plan] = await tx.select({ id: plans.id }).from(plans).where(eq(plans.key, input.planKey)).limit(1);
    if (!plan) throw new AppError(422, 'BUSINESS_RULE', `There is no plan "${input.planKey}".`);
    const [tenant] = await tx
      .insert(tenants)
      .values({ name: input.name, slug: input.slug, status: 'active', planId: plan.id })
      .onConflictDoNothing({ target: tenants.slug })
      .returning({ id: tenants.id });
    if (!tenant) throw new AppError(409, 'CONFLICT', `The slug "${input.slug}" is taken.`);
    await recordAuditEntry(tx, { ...ctx, tenantId: tenant.id }, {
      action: 'tenant.created',
      targetType: 'tenant',
      targetId: tenant.id,
      targetName: input.name,
      after: { name: input.name, slug: input.slug, plan: input.planKey, owner: input.ownerEmail },
    });
    const workflowInput: ProvisionInput = {
      name: input.name,
      planKey: input.planKey,
      ownerEmail: input.ownerEmail,
      billingEmail: input.billingEmail ?? null,
      trialDays: input.trialDays ?? null,
      actor: ctx.actor.type === 'user' ? { id: ctx.actor.id, email: ctx.actor.email } : null,
    };
    const run = await deps.engine.start({ type: provisionWorkflowType, tenantId: tenant.id, workflowId: provisionWorkflowId, input: workflowInput }, { tx });
    return { tenantId: tenant.id, runId: run.runId };
  });
  deps.engine.wake();
  return started;
}
