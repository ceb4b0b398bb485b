import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import { routePolicies } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { defineWorkflow } from '../../adapters/workflows/port.js';
import { platformRows } from '../../platform/db.js';

/** The engine does not poll here: started runs stay `running` until the scenarios act on them. */
const coverageWorkflow = defineWorkflow({ type: 'coverage.noop', run: async () => null });

/** Mutating routes that change nothing CBP keeps, so they write no entry, and why. */
const writesNoEntry: Record<string, string> = {
  'POST /oidc/interaction/:uid/login': 'signs in; failures are counted in login_failures',
  'POST /oidc/interaction/:uid/mfa': 'an HTML form of a sign-in: a recovery code used, new recovery codes or two-step verification turned off are audited in each organization of the account (builtin/mfa.test.ts)',
  'POST /oidc/interaction/:uid/mfa/enroll': 'an HTML form of a sign-in: audited as user.mfa_enabled in each organization of the account (builtin/mfa.test.ts)',
  'POST /oidc/interaction/:uid/continue': 'finishes a sign-in whose steps were audited already',
  'POST /oidc/account/forgot-password': 'mails a reset link (a token and the mail, nothing of the account changes until the link is used)',
  'POST /oidc/account/sign-up': 'mails a confirmation link (no account exists until the link is used)',
  'POST /oidc/account/reset-password': 'an HTML form, no JSON body: audited as user.password_changed in each organization of the account (builtin/account-pages.test.ts)',
  'POST /oidc/account/confirm-sign-up': 'an HTML form, no JSON body: audited as member.joined in each organization joined (builtin/account-pages.test.ts)',
  'POST /webhooks/stripe': 'each change an event makes is audited with the system as actor (webhooks.test.ts)',
  'POST /payment-methods/setup-intent': 'creates a gateway SetupIntent only; nothing is saved before POST /payment-methods',
  'POST /local-gateway/payment-methods': 'tokenises a test card; nothing is saved before POST /payment-methods',
  'POST /user-invitations/preview': 'reads what an invitation link is for; changes nothing',
  'POST /usage/events': 'usage events are facts, kept in usage_events with their sender (user or API key); quota changes are audited',
  'PATCH /notifications/:id/read': "marks the caller's own notification read: inbox state, no business data (settings changes are audited)",
  'POST /notifications/read-all': "marks the caller's own notifications read: inbox state, no business data",
};

interface Scenario {
  route: string;
  action: string;
  request: () => Promise<{ url: string; payload?: object; headers?: Record<string, string> }>;
  /** Who the entry names as actor (default owner@acme.test, the caller). */
  actorEmail?: string;
  /** A public route: called without a token. */
  anonymous?: boolean;
  /** The trail the entry lands in, when not Acme's (a tenant the request creates). */
  trail?: () => Promise<string | undefined>;
}

const analystId = '00000000-0000-4000-8000-000000000a01';
const engineerId = '00000000-0000-4000-8000-000000000a02';
const adminId = '00000000-0000-4000-8000-000000000a03';
const invited: { single?: string; bulk?: string } = {};

let t: TestContext;

async function call(method: string, url: string, payload?: object, { anonymous = false, headers = {} as Record<string, string> } = {}) {
  return t.app.inject({
    method: method as 'GET',
    url,
    headers: anonymous ? headers : { authorization: `Bearer ${await t.tokenFor('owner@acme.test')}`, 'x-tenant-id': acme.id, ...headers },
    ...(payload ? { payload } : {}),
  });
}

/** The token of the latest invitation mailed to `email`, read from the outbox. */
async function mailedToken(email: string) {
  const [mail] = await platformRows<{ body_text: string }>(
    t.database.db,
    sql`SELECT body_text FROM mail_outbox WHERE to_address = ${email} AND kind = 'invitation' ORDER BY created_at DESC LIMIT 1`,
  );
  return /token=([\w-]+)/.exec(mail?.body_text ?? '')?.[1];
}

/** One valid request per mutating route, in an order that keeps each valid. */
const scenarios: Scenario[] = [
  {
    route: 'POST /subscriptions/change-plan',
    action: 'subscription.plan_changed',
    request: async () => {
      const plans = (await call('GET', '/plans')).json() as { id: string; name: string }[];
      return { url: '/subscriptions/change-plan', payload: { planId: plans.find((p) => p.name === 'Enterprise')?.id } };
    },
  },
  { route: 'POST /subscriptions/cancel', action: 'subscription.cancel_scheduled', request: async () => ({ url: '/subscriptions/cancel' }) },
  { route: 'POST /subscriptions/resume', action: 'subscription.resumed', request: async () => ({ url: '/subscriptions/resume' }) },
  { route: 'POST /payment-methods', action: 'payment_method.added', request: async () => ({ url: '/payment-methods', payload: { stripePaymentMethodId: 'pm_card_visa' } }) },
  {
    route: 'PATCH /payment-methods/:id/set-default',
    action: 'payment_method.default_changed',
    request: async () => {
      const second = await call('POST', '/payment-methods', { stripePaymentMethodId: 'pm_card_mastercard' });
      return { url: `/payment-methods/${second.json().id}/set-default` };
    },
  },
  {
    route: 'DELETE /payment-methods/:id',
    action: 'payment_method.removed',
    request: async () => {
      const methods = (await call('GET', '/payment-methods')).json() as { id: string; isDefault: boolean }[];
      return { url: `/payment-methods/${methods.find((m) => !m.isDefault)?.id}` };
    },
  },
  {
    // The default card (added above) pays the demo's open invoice.
    route: 'POST /invoices/:id/pay',
    action: 'invoice.paid',
    request: async () => {
      const open = (await call('GET', '/invoices?status=open')).json() as { data: { id: string }[] };
      return { url: `/invoices/${open.data[0]?.id}/pay` };
    },
  },
  {
    route: 'POST /user-invitations',
    action: 'member.invited',
    request: async () => ({ url: '/user-invitations', payload: { email: 'new.person@example.com', role: 'analyst' } }),
  },
  {
    route: 'POST /user-invitations/bulk',
    action: 'member.invited',
    request: async () => ({ url: '/user-invitations/bulk', payload: { invitations: [{ email: 'bulk.person@example.com', role: 'engineer' }] } }),
  },
  {
    route: 'POST /user-invitations/:id/resend',
    action: 'invitation.resent',
    request: async () => {
      const list = (await call('GET', '/user-invitations?status=pending')).json() as { data: { id: string; email: string }[] };
      invited.single = list.data.find((i) => i.email === 'new.person@example.com')?.id;
      invited.bulk = list.data.find((i) => i.email === 'bulk.person@example.com')?.id;
      return { url: `/user-invitations/${invited.single}/resend` };
    },
  },
  { route: 'DELETE /user-invitations/:id', action: 'invitation.revoked', request: async () => ({ url: `/user-invitations/${invited.bulk}` }) },
  {
    route: 'POST /user-invitations/accept',
    action: 'member.joined',
    actorEmail: 'new.person@example.com',
    anonymous: true,
    request: async () => ({ url: '/user-invitations/accept', payload: { token: await mailedToken('new.person@example.com'), name: 'New Person', password: 'a long password 1' } }),
  },
  { route: 'PATCH /users/:id/role', action: 'member.role_changed', request: async () => ({ url: `/users/${analystId}/role`, payload: { role: 'engineer' } }) },
  { route: 'POST /users/bulk-role', action: 'member.role_changed', request: async () => ({ url: '/users/bulk-role', payload: { userIds: [analystId], role: 'analyst' } }) },
  { route: 'PATCH /users/:id/status', action: 'member.suspended', request: async () => ({ url: `/users/${engineerId}/status`, payload: { status: 'suspended' } }) },
  { route: 'DELETE /users/:id', action: 'member.removed', request: async () => ({ url: `/users/${engineerId}` }) },
  // GDPR export and deletion (issue 15, slice 3): the deletion is scheduled, then cancelled at once (before ownership moves on).
  { route: 'POST /organization/export', action: 'organization.export_requested', request: async () => ({ url: '/organization/export' }) },
  { route: 'DELETE /organization', action: 'organization.deletion_scheduled', request: async () => ({ url: '/organization', payload: { confirmName: 'Acme Corp' } }) },
  { route: 'POST /organization/deletion/cancel', action: 'organization.deletion_cancelled', request: async () => ({ url: '/organization/deletion/cancel' }) },
  { route: 'POST /team/transfer-ownership', action: 'ownership.transferred', request: async () => ({ url: '/team/transfer-ownership', payload: { newOwnerId: adminId } }) },
  {
    route: 'POST /usage/quotas/initialize',
    action: 'quota.initialized',
    request: async () => {
      await t.database.execScript(`DELETE FROM usage_quotas WHERE tenant_id = '${acme.id}' AND metric_type = 'integrations'`);
      return { url: '/usage/quotas/initialize', payload: {} };
    },
  },
  { route: 'PATCH /usage/quotas/:metricType', action: 'quota.soft_limit_changed', request: async () => ({ url: '/usage/quotas/api_calls', payload: { softLimit: 700_000 } }) },
  {
    route: 'POST /usage/quotas/reset',
    action: 'quota.reset',
    request: async () => {
      await t.database.execScript(
        `UPDATE usage_quotas SET period_start = now() - interval '40 days', period_end = now() - interval '10 days' WHERE tenant_id = '${acme.id}' AND metric_type = 'api_calls'`,
      );
      return { url: '/usage/quotas/reset', payload: { metricType: 'api_calls' } };
    },
  },
  { route: 'POST /api-keys', action: 'api_key.created', request: async () => ({ url: '/api-keys', payload: { name: 'Billing exporter' } }) },
  {
    route: 'DELETE /api-keys/:id',
    action: 'api_key.revoked',
    request: async () => ({ url: `/api-keys/${((await call('GET', '/api-keys')).json() as { id: string }[])[0]?.id}` }),
  },
  {
    route: 'POST /workflows/:id/cancel',
    action: 'workflow.cancelled',
    request: async () => ({ url: `/workflows/${(await t.app.workflows.start({ type: coverageWorkflow.type, input: null, tenantId: acme.id })).runId}/cancel` }),
  },
  {
    route: 'POST /workflows/:id/retry',
    action: 'workflow.retried',
    request: async () => {
      const { runId } = await t.app.workflows.start({ type: coverageWorkflow.type, input: null, tenantId: acme.id });
      // A failed run without running the engine: the state its failure leaves.
      await t.database.execScript(`UPDATE workflow_runs SET status = 'failed', error_message = 'boom', closed_at = now() WHERE id = '${runId}'`);
      return { url: `/workflows/${runId}/retry` };
    },
  },
  {
    route: 'PATCH /notifications/settings',
    action: 'notification_settings.updated',
    request: async () => ({ url: '/notifications/settings', payload: { types: { 'quota.soft_limit_crossed': { email: false } } } }),
  },
  {
    route: 'POST /notifications/unsubscribe',
    action: 'notification_settings.updated',
    actorEmail: 'admin@acme.test',
    anonymous: true,
    // The admin's quota warning mail (a metric pushed over its soft limit), whose signed link works signed out.
    request: async () => {
      const status = (await call('GET', '/usage/status')).json() as { metricType: string; currentUsage: number; softLimit: number | null }[];
      const metric = status.find((s) => s.softLimit !== null && s.currentUsage <= s.softLimit);
      if (!metric || metric.softLimit === null) throw new Error('no metric under its soft limit');
      await call('POST', '/usage/events', { events: [{ metricType: metric.metricType, quantity: metric.softLimit - metric.currentUsage + 1, idempotencyKey: 'coverage-unsubscribe' }] });
      await t.app.events.drain();
      const [mail] = await platformRows<{ headers: Record<string, string> }>(
        t.database.db,
        sql`SELECT headers FROM mail_outbox WHERE to_address = 'admin@acme.test' AND kind = 'notification.quota.soft_limit_crossed' ORDER BY created_at DESC LIMIT 1`,
      );
      const link = new URL(/^<(.+)>$/.exec(mail?.headers['List-Unsubscribe'] ?? '')?.[1] ?? 'http://invalid/');
      return { url: '/notifications/unsubscribe', payload: { token: link.searchParams.get('token') ?? '' } };
    },
  },
  { route: 'PATCH /organization', action: 'organization.updated', request: async () => ({ url: '/organization', payload: { legalName: 'Acme Corporation' } }) },
  { route: 'PATCH /settings', action: 'settings.updated', request: async () => ({ url: '/settings', payload: { sessionTimeoutMinutes: 45 } }) },
  { route: 'POST /organization/domains', action: 'domain.added', request: async () => ({ url: '/organization/domains', payload: { domain: 'coverage.example' } }) },
  {
    route: 'POST /organization/domains/:id/verify',
    action: 'domain.checked',
    // DNS_RESOLVER points at a closed loopback port: the lookup fails at once, the check is still recorded.
    request: async () => ({ url: `/organization/domains/${((await call('GET', '/organization/domains')).json() as { data: { id: string }[] }).data[0]?.id}/verify` }),
  },
  {
    route: 'DELETE /organization/domains/:id',
    action: 'domain.removed',
    request: async () => ({ url: `/organization/domains/${((await call('GET', '/organization/domains')).json() as { data: { id: string }[] }).data[0]?.id}` }),
  },
  {
    route: 'PUT /organization/logo',
    action: 'organization.logo_updated',
    request: async () => {
      const png = await sharp({ create: { width: 40, height: 20, channels: 4, background: '#336699' } }).png().toBuffer();
      const head = '--cov\r\nContent-Disposition: form-data; name="file"; filename="logo.png"\r\nContent-Type: image/png\r\n\r\n';
      return {
        url: '/organization/logo',
        payload: Buffer.concat([Buffer.from(head), png, Buffer.from('\r\n--cov--\r\n')]),
        headers: { 'content-type': 'multipart/form-data; boundary=cov' },
      };
    },
  },
  { route: 'DELETE /organization/logo', action: 'organization.logo_removed', request: async () => ({ url: '/organization/logo' }) },
  // The caller's own account (issue 14, slice 2c): audited in each of their organizations.
  { route: 'PATCH /me', action: 'user.profile_updated', request: async () => ({ url: '/me', payload: { name: 'Olivia Q. Owner' } }) },
  { route: 'POST /me/password', action: 'user.password_changed', request: async () => ({ url: '/me/password', payload: { currentPassword: 'demo1234!', newPassword: 'coverage-password-1' } }) },
  {
    route: 'DELETE /me/sessions/:id',
    action: 'auth.session_revoked',
    // A session of the built-in provider as it stores one (signing in through its pages is identity.test.ts's job).
    request: async () => {
      await t.database.execScript(
        `INSERT INTO oidc_payloads (kind, id, payload, uid, expires_at)
         VALUES ('Session', 'coverage-session', '{"accountId":"00000000-0000-4000-8000-000000000a04","uid":"coverage-uid"}', 'coverage-uid', now() + interval '1 day')`,
      );
      return { url: '/me/sessions/coverage-uid' };
    },
  },
  // Last: the caller (now an admin after the transfer) leaves the tenant.
  // Platform staff change an identity role of an Acme member: the entry lands in Acme's trail.
  {
    route: 'POST /keycloak/roles/:realm/users/:userId/roles',
    action: 'identity.role_assigned',
    actorEmail: 'staff@cbp.test',
    request: async () => ({ url: `/keycloak/roles/cbp/users/${adminId}/roles`, payload: { roleId: 'super_admin' }, headers: { authorization: `Bearer ${await t.tokenFor('staff@cbp.test')}` } }),
  },
  {
    route: 'DELETE /keycloak/roles/:realm/users/:userId/roles',
    action: 'identity.role_revoked',
    actorEmail: 'staff@cbp.test',
    request: async () => ({ url: `/keycloak/roles/cbp/users/${adminId}/roles?roleId=super_admin`, headers: { authorization: `Bearer ${await t.tokenFor('staff@cbp.test')}` } }),
  },
  // The staff console (issue 16): a suspension and reactivation land in the tenant's own trail; a new tenant's creation in its own.
  {
    route: 'POST /admin/tenants/:id/suspend',
    action: 'tenant.suspended',
    actorEmail: 'staff@cbp.test',
    request: async () => ({ url: `/admin/tenants/${acme.id}/suspend`, payload: { reason: 'Coverage' }, headers: { authorization: `Bearer ${await t.tokenFor('staff@cbp.test')}` } }),
  },
  {
    route: 'POST /admin/tenants/:id/reactivate',
    action: 'tenant.reactivated',
    actorEmail: 'staff@cbp.test',
    request: async () => ({ url: `/admin/tenants/${acme.id}/reactivate`, headers: { authorization: `Bearer ${await t.tokenFor('staff@cbp.test')}` } }),
  },
  {
    route: 'POST /admin/tenants',
    action: 'tenant.created',
    actorEmail: 'staff@cbp.test',
    trail: async () => (await platformRows<{ id: string }>(t.database.db, sql`SELECT id FROM tenants WHERE slug = 'coverage-co'`))[0]?.id,
    request: async () => ({
      url: '/admin/tenants',
      payload: { name: 'Coverage Co', slug: 'coverage-co', plan: 'starter', ownerEmail: 'owner@coverage.example' },
      headers: { authorization: `Bearer ${await t.tokenFor('staff@cbp.test')}` },
    }),
  },
  { route: 'POST /team/leave', action: 'member.left', request: async () => ({ url: '/team/leave' }) },
];

beforeAll(async () => {
  t = await createTestContext({ DNS_RESOLVER: '127.0.0.1:9', CBP_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'cbp-coverage-')) }, { workflows: [coverageWorkflow] });
});
afterAll(() => t.close());

describe('every mutation writes its audit entry', () => {
  it('covers each mutating route of the RBAC table (a new route must add a scenario or a reason)', () => {
    const mutating = Object.keys(routePolicies).filter((key) => !key.startsWith('GET '));
    const covered = new Set([...scenarios.map((s) => s.route), ...Object.keys(writesNoEntry)]);
    expect(mutating.filter((route) => !covered.has(route))).toEqual([]);
  });

  for (const scenario of scenarios) {
    it(`${scenario.route} records ${scenario.action} by its actor`, async () => {
      const count = async () =>
        (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM audit_logs WHERE action = ${scenario.action}`))[0]?.n ?? 0;
      const { url, payload, headers } = await scenario.request();
      const before = await count();
      const res = await call(scenario.route.split(' ')[0] ?? 'POST', url, payload, { anonymous: scenario.anonymous, headers });
      expect(res.statusCode, res.body).toBeLessThan(300);
      expect(await count()).toBe(before + 1);
      const [latest] = await platformRows<{ actor_email: string; tenant_id: string; ip_address: string; user_agent: string | null }>(
        t.database.db,
        sql`SELECT actor_email, tenant_id, ip_address, user_agent FROM audit_logs WHERE action = ${scenario.action} ORDER BY created_at DESC LIMIT 1`,
      );
      const trail = scenario.trail ? await scenario.trail() : acme.id;
      expect(latest).toMatchObject({ actor_email: scenario.actorEmail ?? 'owner@acme.test', tenant_id: trail, ip_address: '127.0.0.1' });
    });
  }
});
