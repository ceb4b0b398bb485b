import { sql } from 'drizzle-orm';
import type { WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { AppError } from '../../platform/errors.js';
import { platformRows } from '../../platform/db.js';
import { provisionTenant } from './tenant-provisioning.js';

// Tenant provisioning as a `tenant.provision` workflow, through the service function the staff
// route of issue 16 will call; the run is watched through GET /workflows/:id/status as staff.

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25' });
});
afterAll(() => t.close());

const staff = { actor: { type: 'user' as const, id: '00000000-0000-4000-8000-000000000c01', email: 'staff@cbp.test' }, tenantId: null, role: 'super_admin' as const, ipAddress: null, userAgent: null };

async function statusOf(tenantId: string, runId: string): Promise<WorkflowStatusDetail> {
  const res = await t.app.inject({ url: `/workflows/${runId}/status`, headers: { authorization: `Bearer ${await t.tokenFor('staff@cbp.test')}`, 'x-tenant-id': tenantId } });
  expect(res.statusCode).toBe(200);
  return res.json() as WorkflowStatusDetail;
}

describe('tenant provisioning workflow', () => {
  it('creates the tenant, then its gateway customer and subscription, quotas and the owner invitation, each once', async () => {
    const { tenantId, runId } = await provisionTenant({ db: t.database.db, engine: t.app.workflows }, staff, {
      name: 'Initech',
      slug: 'initech',
      planKey: 'starter',
      ownerEmail: 'Peter@Initech.test',
      billingEmail: 'billing@initech.test',
    });
    let run = await statusOf(tenantId, runId);
    for (let i = 0; i < 300 && run.status === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      run = await statusOf(tenantId, runId);
    }
    expect(run).toMatchObject({ status: 'completed', type: 'tenant.provision', tenantId, workflowId: 'provision' });
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ['billing', 'completed'],
      ['initialize-quotas', 'completed'],
      ['invite-owner', 'completed'],
    ]);

    const [state] = await platformRows<{ customers: number; subscriptions: number; quotas: number; invitations: number; mails: number; audit: string }>(
      t.database.db,
      sql`SELECT (SELECT count(*)::int FROM billing_customers WHERE tenant_id = ${tenantId}) AS customers,
                 (SELECT count(*)::int FROM subscriptions WHERE tenant_id = ${tenantId} AND status = 'active') AS subscriptions,
                 (SELECT count(*)::int FROM usage_quotas WHERE tenant_id = ${tenantId}) AS quotas,
                 (SELECT count(*)::int FROM user_invitations WHERE tenant_id = ${tenantId} AND role = 'owner' AND email = 'peter@initech.test' AND status = 'pending') AS invitations,
                 (SELECT count(*)::int FROM mail_outbox WHERE tenant_id = ${tenantId} AND to_address = 'peter@initech.test') AS mails,
                 (SELECT string_agg(action, ',' ORDER BY created_at) FROM audit_logs WHERE tenant_id = ${tenantId} AND action IN ('tenant.created', 'subscription.created', 'user.invited')) AS audit`,
    );
    expect(state).toMatchObject({ customers: 1, subscriptions: 1, invitations: 1, mails: 1 });
    expect(state?.quotas).toBeGreaterThan(0);
    expect(state?.audit?.split(',').slice(0, 2)).toEqual(['tenant.created', 'subscription.created']);
    // Acme's members never see it.
    const acmeView = await t.app.inject({ url: `/workflows/${runId}/status`, headers: { authorization: `Bearer ${await t.tokenFor('engineer@acme.test')}`, 'x-tenant-id': acme.id } });
    expect(acmeView.statusCode).toBe(404);
  });

  it('refuses a taken slug with 409 and starts nothing', async () => {
    const before = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM workflow_runs WHERE type = 'tenant.provision'`);
    const error = await provisionTenant({ db: t.database.db, engine: t.app.workflows }, staff, { name: 'Acme again', slug: 'acme', planKey: 'pro', ownerEmail: 'x@acme.test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(409);
    const after = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM workflow_runs WHERE type = 'tenant.provision'`);
    expect(after).toEqual(before);
  });
});
