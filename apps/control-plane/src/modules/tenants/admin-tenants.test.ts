import { sql } from 'drizzle-orm';
import { usageLevel, type AdminTenantDetail, type AdminTenantPage, type UsageStatus, type WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

// The staff console (issue 16) through HTTP: staff@cbp.test lists, reads, provisions, suspends
// and reactivates tenants; tenant members (even owners) are refused on every staff route.

let t: TestContext;
beforeAll(async () => {
  // The engine polls, so the provisioning run of POST /admin/tenants actually runs.
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25' });
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PATCH';
async function call(method: Method, url: string, { email = 'staff@cbp.test', tenantId, payload, bearer }: { email?: string; tenantId?: string; payload?: object; bearer?: string } = {}) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${bearer ?? (await t.tokenFor(email))}`, ...(tenantId ? { 'x-tenant-id': tenantId } : {}) },
    ...(payload ? { payload } : {}),
  });
}
const staffGet = async <T>(url: string): Promise<T> => {
  const res = await call('GET', url);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
};

/** What a refused create or suspension must leave as it was. */
const snapshot = () =>
  platformRows<{ tenants: number; runs: number; statuses: string; audit: number }>(
    t.database.db,
    sql`SELECT (SELECT count(*)::int FROM tenants) AS tenants,
               (SELECT count(*)::int FROM workflow_runs WHERE type = 'tenant.provision') AS runs,
               (SELECT string_agg(slug || '=' || status || ':' || coalesce(suspended_reason, ''), ',' ORDER BY slug) FROM tenants) AS statuses,
               (SELECT count(*)::int FROM audit_logs WHERE action LIKE 'tenant.%') AS audit`,
  );

describe('staff console: list and detail', () => {
  it('lists every tenant with plan, status, active members and the worst quota state of its usage', async () => {
    const page = await staffGet<AdminTenantPage>('/admin/tenants');
    expect(page.total).toBe(2);
    const byslug = Object.fromEntries(page.data.map((d) => [d.slug, d]));
    expect(byslug.acme).toMatchObject({ id: acme.id, name: 'Acme Corp', plan: { key: 'pro', name: 'Pro' }, status: 'active', members: 4 });
    expect(byslug.globex).toMatchObject({ id: globex.id, name: 'Globex', plan: { key: 'starter' }, status: 'active', members: 2 });
    // The usage status is what the tenant itself sees on GET /usage/status, reduced to its worst state.
    for (const [slug, id] of [['acme', acme.id], ['globex', globex.id]] as const) {
      const own = (await call('GET', '/usage/status', { email: `owner@${slug}.test`, tenantId: id })).json() as UsageStatus[];
      const levels = own.map(usageLevel);
      const worst = levels.includes('critical') ? 'over_hard_limit' : levels.includes('warning') ? 'over_soft_limit' : levels.includes('approaching') ? 'approaching_limit' : 'ok';
      expect(byslug[slug]?.usageStatus).toBe(worst);
    }
    // Over a soft limit: Globex's API calls pushed past theirs show at once.
    const status = (await call('GET', '/usage/status', { email: 'owner@globex.test', tenantId: globex.id })).json() as { metricType: string; currentUsage: number; softLimit: number | null; hardLimit: number | null }[];
    const metric = status.find((s) => s.softLimit !== null && (s.hardLimit === null || s.hardLimit > s.softLimit + 1));
    if (!metric || metric.softLimit === null) throw new Error('Globex has no metric with a soft limit below its hard limit');
    const pushed = await call('POST', '/usage/events', {
      email: 'owner@globex.test',
      tenantId: globex.id,
      payload: { events: [{ metricType: metric.metricType, quantity: metric.softLimit - metric.currentUsage + 1, idempotencyKey: 'staff-console-soft' }] },
    });
    expect(pushed.statusCode, pushed.body).toBe(200);
    const after = await staffGet<AdminTenantPage>('/admin/tenants?search=globex');
    expect(after.data[0]?.usageStatus).toBe('over_soft_limit');
  });

  it('searches by name or slug, filters by status and plan, and pages', async () => {
    expect((await staffGet<AdminTenantPage>('/admin/tenants?search=GLOB')).data.map((d) => d.slug)).toEqual(['globex']);
    expect((await staffGet<AdminTenantPage>('/admin/tenants?search=corp')).data.map((d) => d.slug)).toEqual(['acme']);
    expect(await staffGet<AdminTenantPage>('/admin/tenants?search=%25')).toEqual({ data: [], total: 0 });
    expect((await staffGet<AdminTenantPage>('/admin/tenants?plan=pro')).data.map((d) => d.slug)).toEqual(['acme']);
    expect(await staffGet<AdminTenantPage>('/admin/tenants?status=suspended')).toEqual({ data: [], total: 0 });
    const first = await staffGet<AdminTenantPage>('/admin/tenants?limit=1&page=1');
    const second = await staffGet<AdminTenantPage>('/admin/tenants?limit=1&page=2');
    expect([first.total, second.total, first.data.length, second.data.length]).toEqual([2, 2, 1, 1]);
    expect(new Set([first.data[0]?.slug, second.data[0]?.slug])).toEqual(new Set(['acme', 'globex']));
    expect((await staffGet<AdminTenantPage>('/admin/tenants?limit=1&page=3')).data).toEqual([]);
    const bad = await call('GET', '/admin/tenants?status=sleeping&limit=1000');
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual(['querystring.limit', 'querystring.status']);
  });

  it("shows a tenant's owners, subscription, suspension and pending invitations; 404 for an unknown id", async () => {
    const g = await staffGet<AdminTenantDetail>(`/admin/tenants/${globex.id}`);
    expect(g).toMatchObject({
      id: globex.id,
      owners: [{ email: 'owner@globex.test', name: 'Gus Owner' }],
      subscription: { planName: 'Starter', status: 'active', cancelAtPeriodEnd: false },
      suspension: null,
      pendingInvitations: 0,
      deletionScheduledAt: null,
    });
    // The seed left one pending invitation in Acme.
    expect((await staffGet<AdminTenantDetail>(`/admin/tenants/${acme.id}`)).pendingInvitations).toBe(1);
    const unknown = await call('GET', '/admin/tenants/00000000-0000-4000-8000-0000000000ff');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await call('GET', '/admin/tenants/not-a-uuid')).statusCode).toBe(400);
  });
});

describe('staff console: provisioning a tenant', () => {
  it('creates the tenant and runs its provisioning workflow: subscription, quotas and the owner invitation in the outbox', async () => {
    const res = await call('POST', '/admin/tenants', { payload: { name: 'Initech', slug: 'initech', plan: 'starter', ownerEmail: 'Peter@Initech.test' } });
    expect(res.statusCode, res.body).toBe(202);
    const { tenant, workflowId } = res.json() as { tenant: AdminTenantDetail; workflowId: string };
    expect(tenant).toMatchObject({ name: 'Initech', slug: 'initech', status: 'active', plan: { key: 'starter' }, members: 0, suspension: null });
    let run = (await call('GET', `/workflows/${workflowId}/status`, { tenantId: tenant.id })).json() as WorkflowStatusDetail;
    for (let i = 0; i < 300 && run.status === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      run = (await call('GET', `/workflows/${workflowId}/status`, { tenantId: tenant.id })).json() as WorkflowStatusDetail;
    }
    expect(run).toMatchObject({ status: 'completed', type: 'tenant.provision', tenantId: tenant.id });
    const [mail] = await platformRows<{ n: number }>(
      t.database.db,
      sql`SELECT count(*)::int AS n FROM mail_outbox WHERE tenant_id = ${tenant.id} AND to_address = 'peter@initech.test' AND kind = 'invitation'`,
    );
    expect(mail?.n).toBe(1);
    const detail = await staffGet<AdminTenantDetail>(`/admin/tenants/${tenant.id}`);
    expect(detail).toMatchObject({ pendingInvitations: 1, subscription: { planName: 'Starter' } });
    expect(detail.usageStatus).not.toBe('none');
    expect((await staffGet<AdminTenantPage>('/admin/tenants?search=initech')).data.map((d) => d.id)).toEqual([tenant.id]);
    const [created] = await platformRows<{ actor_email: string }>(t.database.db, sql`SELECT actor_email FROM audit_logs WHERE tenant_id = ${tenant.id} AND action = 'tenant.created'`);
    expect(created?.actor_email).toBe('staff@cbp.test');
  });

  it('refuses bad input with an error per field, a taken slug with 409 and an unknown plan with 422, creating nothing', async () => {
    const before = await snapshot();
    const bad = await call('POST', '/admin/tenants', { payload: { name: '', slug: 'Not A Slug', plan: 'starter', ownerEmail: 'nobody' } });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual(['body.name', 'body.ownerEmail', 'body.slug']);
    for (const slug of ['-acme', 'acme-', 'ac--me', 'a', 'x'.repeat(64)]) {
      const res = await call('POST', '/admin/tenants', { payload: { name: 'X', slug, plan: 'starter', ownerEmail: 'x@example.com' } });
      expect(res.statusCode, slug).toBe(400);
    }
    const taken = await call('POST', '/admin/tenants', { payload: { name: 'Globex again', slug: 'globex', plan: 'pro', ownerEmail: 'x@example.com' } });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'CONFLICT', errors: [{ path: 'body.slug' }] });
    const plan = await call('POST', '/admin/tenants', { payload: { name: 'Nowhere', slug: 'nowhere', plan: 'platinum', ownerEmail: 'x@example.com' } });
    expect(plan.statusCode).toBe(422);
    expect(plan.json()).toMatchObject({ errors: [{ path: 'body.plan' }] });
    expect(await snapshot()).toEqual(before);
  });
});

describe('staff console: suspension', () => {
  let globexKey = '';
  let n = 0;
  const keyCall = () =>
    call('POST', '/usage/events', { bearer: globexKey, payload: { events: [{ metricType: 'api_calls', quantity: 1, idempotencyKey: `suspension-${(n += 1)}` }] } });
  /** Calls of Globex's members (reads and writes of several modules). */
  const globexCalls = () => [
    call('GET', '/tenants/current', { email: 'owner@globex.test', tenantId: globex.id }),
    call('GET', '/users', { email: 'owner@globex.test', tenantId: globex.id }),
    call('GET', '/invoices', { email: 'analyst@globex.test', tenantId: globex.id }),
    call('GET', '/usage/status', { email: 'analyst@globex.test' }), // their only tenant, without the header
    call('POST', '/user-invitations', { email: 'owner@globex.test', tenantId: globex.id, payload: { email: 'someone@globex.test', role: 'analyst' } }),
    call('PATCH', '/organization', { email: 'owner@globex.test', tenantId: globex.id, payload: { legalName: 'Globex Corporation' } }),
    keyCall(),
  ];

  beforeAll(async () => {
    const created = await call('POST', '/api-keys', { email: 'owner@globex.test', tenantId: globex.id, payload: { name: 'Metering' } });
    expect(created.statusCode, created.body).toBe(201);
    globexKey = (created.json() as { secret: string }).secret;
    // The key works (and is cached by this API copy) before the suspension.
    expect((await keyCall()).statusCode).toBe(200);
  });

  it('refuses a suspension without a valid reason, changing nothing', async () => {
    const before = await snapshot();
    for (const payload of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(501) }]) {
      const res = await call('POST', `/admin/tenants/${globex.id}/suspend`, { payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'body.reason' }] });
    }
    expect((await call('POST', '/admin/tenants/00000000-0000-4000-8000-0000000000ff/suspend', { payload: { reason: 'x' } })).statusCode).toBe(404);
    expect(await snapshot()).toEqual(before);
    expect((await keyCall()).statusCode).toBe(200);
  });

  it("suspends Globex: every Globex call, users' and API key's, answers 403 TENANT_SUSPENDED; Acme is unaffected", async () => {
    const res = await call('POST', `/admin/tenants/${globex.id}/suspend`, { payload: { reason: 'Unpaid invoices since March' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'suspended', suspension: { reason: 'Unpaid invoices since March', by: { email: 'staff@cbp.test' } } });
    for (const answer of await Promise.all(globexCalls())) {
      expect(answer.statusCode, answer.body).toBe(403);
      expect(answer.json()).toMatchObject({ code: 'TENANT_SUSPENDED' });
    }
    expect((await staffGet<AdminTenantPage>('/admin/tenants?status=suspended')).data.map((d) => d.slug)).toEqual(['globex']);
    // Platform staff still reach the tenant, to look into it.
    expect((await call('GET', '/tenants/current', { tenantId: globex.id })).statusCode).toBe(200);
    const detail = await staffGet<AdminTenantDetail>(`/admin/tenants/${globex.id}`);
    expect(Date.now() - Date.parse(detail.suspension?.at ?? '')).toBeLessThan(60_000);
    for (const email of ['owner@acme.test', 'analyst@acme.test']) {
      expect((await call('GET', '/tenants/current', { email, tenantId: acme.id })).statusCode).toBe(200);
    }
    expect((await call('GET', '/users', { email: 'owner@acme.test', tenantId: acme.id })).statusCode).toBe(200);
    // Suspending twice is a conflict.
    const again = await call('POST', `/admin/tenants/${globex.id}/suspend`, { payload: { reason: 'Again' } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'CONFLICT' });
  });

  it('reactivates Globex: its members and API key work again; reactivating an active tenant is a conflict', async () => {
    const res = await call('POST', `/admin/tenants/${globex.id}/reactivate`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'active', suspension: null });
    const answers = await Promise.all(globexCalls());
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 201, 200, 200]);
    const again = await call('POST', `/admin/tenants/${globex.id}/reactivate`);
    expect(again.statusCode).toBe(409);
  });

  it("records both changes in Globex's own trail, by staff, with before and after", async () => {
    const entries = await platformRows<{ tenant_id: string; action: string; actor_email: string; before: Record<string, unknown>; after: Record<string, unknown> }>(
      t.database.db,
      sql`SELECT tenant_id, action, actor_email, before, after FROM audit_logs WHERE action IN ('tenant.suspended', 'tenant.reactivated') ORDER BY created_at, action DESC`,
    );
    expect(entries).toEqual([
      { tenant_id: globex.id, action: 'tenant.suspended', actor_email: 'staff@cbp.test', before: { status: 'active' }, after: { status: 'suspended', reason: 'Unpaid invoices since March' } },
      { tenant_id: globex.id, action: 'tenant.reactivated', actor_email: 'staff@cbp.test', before: { status: 'suspended', reason: 'Unpaid invoices since March' }, after: { status: 'active' } },
    ]);
    // Globex's admins see them in their audit log.
    const trail = (await call('GET', '/audit-logs?action=tenant.suspended', { email: 'owner@globex.test', tenantId: globex.id })).json() as { total: number };
    expect(trail.total).toBe(1);
  });

  it('does not reactivate a tenant scheduled for deletion', async () => {
    await t.database.execScript(`UPDATE tenants SET status = 'pending_deletion', deletion_scheduled_at = now() + interval '30 days' WHERE slug = 'initech'`);
    const [initech] = await platformRows<{ id: string }>(t.database.db, sql`SELECT id FROM tenants WHERE slug = 'initech'`);
    const res = await call('POST', `/admin/tenants/${initech?.id}/reactivate`);
    expect(res.statusCode).toBe(409);
    expect((await staffGet<AdminTenantDetail>(`/admin/tenants/${initech?.id}`)).status).toBe('pending_deletion');
  });
});

describe('staff console: the list of many tenants', () => {
  it("gives each tenant on the page its own usage status, the same as its detail: over a hard limit, without a plan, without quotas yet", async () => {
    // Three more tenants: one over a hard limit, one without a plan, one whose quotas do not exist yet.
    const [over, noPlan, fresh] = await platformRows<{ id: string }>(
      t.database.db,
      sql`INSERT INTO tenants (name, slug, status, plan_id)
          SELECT v.name, v.slug, 'active', (SELECT id FROM plans WHERE key = v.plan) FROM (VALUES ('Overrun', 'overrun', 'starter', 1), ('Planless', 'planless', NULL, 2), ('Freshco', 'freshco', 'pro', 3)) AS v(name, slug, plan, n)
          ORDER BY v.n RETURNING id`,
    );
    if (!over || !noPlan || !fresh) throw new Error('tenants not created');
    await platformRows(
      t.database.db,
      sql`INSERT INTO usage_quotas (tenant_id, metric_type, included_quantity, soft_limit, hard_limit, overage_price, overage_unit, currency, reset_period, period_start, period_end, current_usage)
          VALUES (${over.id}, 'api_calls', 100, 80, 120, 0, 1, 'usd', 'monthly', date_trunc('month', now()), date_trunc('month', now()) + interval '1 month', 150)`,
    );
    const page = await staffGet<AdminTenantPage>('/admin/tenants?limit=100');
    expect(page.total).toBe(page.data.length);
    expect(page.data.length).toBeGreaterThanOrEqual(5);
    const byId = Object.fromEntries(page.data.map((d) => [d.id, d]));
    expect(byId[over.id]?.usageStatus).toBe('over_hard_limit');
    expect(byId[noPlan.id]?.usageStatus).toBe('none');
    expect(byId[fresh.id]?.usageStatus).toBe('ok');
    // Its quotas were created from its plan, as the tenant's own first read would.
    expect((await platformRows(t.database.db, sql`SELECT id FROM usage_quotas WHERE tenant_id = ${fresh.id}`)).length).toBeGreaterThan(0);
    for (const item of page.data) {
      expect((await staffGet<AdminTenantDetail>(`/admin/tenants/${item.id}`)).usageStatus, item.slug).toBe(item.usageStatus);
    }
    // A second list answers the same.
    expect(await staffGet<AdminTenantPage>('/admin/tenants?limit=100')).toEqual(page);
  });
});

describe('staff routes are for platform staff only', () => {
  it('answers 403 to tenant owners and admins on every staff route, changing nothing', async () => {
    const before = await snapshot();
    const routes: [Method, string, object?][] = [
      ['GET', '/admin/tenants'],
      ['GET', `/admin/tenants/${acme.id}`],
      ['POST', '/admin/tenants', { name: 'Mine', slug: 'mine', plan: 'enterprise', ownerEmail: 'owner@acme.test' }],
      ['POST', `/admin/tenants/${globex.id}/suspend`, { reason: 'competitor' }],
      ['POST', `/admin/tenants/${acme.id}/reactivate`],
    ];
    for (const email of ['owner@acme.test', 'admin@acme.test', 'owner@globex.test']) {
      for (const [method, url, payload] of routes) {
        const res = await call(method, url, { email, tenantId: email.endsWith('acme.test') ? acme.id : globex.id, payload });
        expect(res.statusCode, `${email} ${method} ${url}`).toBe(403);
        expect(res.json()).toMatchObject({ code: 'FORBIDDEN' });
      }
    }
    expect((await call('GET', '/admin/tenants', { bearer: 'nonsense' })).statusCode).toBe(401);
    expect(await snapshot()).toEqual(before);
  });
});
