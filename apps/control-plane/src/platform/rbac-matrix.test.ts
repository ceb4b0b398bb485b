/**
 * Isolation and RBAC matrix, generated from the app's route table (GET /docs, which lists
 * every registered route) and the RBAC table of @cbp/contracts: every route x every caller
 * (each demo role of Acme in its own tenant and with Globex's X-Tenant-Id, platform staff in
 * both, Globex's people with Acme's id, a user with no membership, no token, an expired
 * token) gets the answer the policy computes (test/rbac-matrix.ts):
 * - refused: exactly the status and code the policy says (401 / 400 TENANT_REQUIRED / 403
 *   NOT_A_MEMBER / 403 FORBIDDEN);
 * - allowed: the request reaches the handler with a valid request (no guard code, no
 *   validation failure, no 5xx); a read in one's own tenant succeeds (2xx).
 * Then every route with an object id in its path is called by Acme's owner and by staff with
 * a Globex object's id: 404 (filters: an empty page), and Globex's objects are unchanged.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { routePolicies } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../test/harness.js';
import { routeTable, type RouteSpec } from '../../test/hostile.js';
import { callers, expectationFor, guardCodes, headersOf, loner, tenantIds, type Caller, type TenantSlug } from '../../test/rbac-matrix.js';
import { createObjectStorage } from '../adapters/storage/index.js';
import { defineWorkflow } from '../adapters/workflows/port.js';
import { createUnsubscribeTokens } from '../modules/notifications/unsubscribe-token.js';
import { demoUsers } from '../seed/demo.js';

/** A run per tenant for the workflow routes (the engine does not poll here: the runs stay `running`). */
const matrixWorkflow = defineWorkflow({ type: 'matrix.noop', run: async () => null });
/** Platform staff see every tenant's workflow runs (GET /workflows is cross-tenant for them by design). */
const staffCrossTenant = (route: RouteSpec, who: string | undefined) =>
  (who?.startsWith('staff@cbp.test') ?? false) && (route.path.startsWith('/workflows/') || route.path.startsWith('/admin/tenants/'));

let t: TestContext;
let routes: RouteSpec[];
const headerCache = new Map<string, Record<string, string>>();
/** Object ids of each tenant, by what the path parameter names. */
const objects: Record<TenantSlug, Record<string, string>> = { acme: {}, globex: {} };
let enterprisePlanId = '';

const spare = { id: '00000000-0000-4000-8000-0000000000e1', email: 'spare@matrix.test' };
const unsubscribeSecret = 'rbac-matrix-unsubscribe-secret-0123456789';
const unsubscribeTokens = createUnsubscribeTokens(unsubscribeSecret);
const spareToRemove = { id: '00000000-0000-4000-8000-0000000000e2', email: 'removable@matrix.test' };
const userId = (email: string) => demoUsers.find((u) => u.email === email)?.id ?? '';

let sequence = 0;
/** A valid body for each route that takes one (the matrix refuses to run a route without). */
const bodies: Record<string, () => object> = {
  'POST /subscriptions/change-plan': () => ({ planId: enterprisePlanId }),
  'POST /payment-methods': () => ({ stripePaymentMethodId: 'pm_card_visa' }),
  'POST /local-gateway/payment-methods': () => ({ number: '4242 4242 4242 4242', expMonth: 12, expYear: 2040, cvc: '123', postalCode: '10115' }),
  'PATCH /users/:id/role': () => ({ role: 'engineer' }),
  'PATCH /users/:id/status': () => ({ status: 'active' }),
  'POST /users/bulk-role': () => ({ userIds: [spare.id], role: 'analyst' }),
  'POST /user-invitations': () => ({ email: `matrix-${++sequence}@example.com`, role: 'analyst' }),
  'POST /user-invitations/bulk': () => ({ invitations: [{ email: `matrix-bulk-${++sequence}@example.com`, role: 'analyst' }] }),
  'POST /user-invitations/preview': () => ({ token: 'x'.repeat(43) }),
  'POST /user-invitations/accept': () => ({ token: 'x'.repeat(43), name: 'Nobody', password: 'a long password 1' }),
  // Someone who is not a member: the handler refuses, the caller keeps their role for the next cases.
  'POST /team/transfer-ownership': () => ({ newOwnerId: randomUUID() }),
  'POST /usage/events': () => ({ events: [{ metricType: 'api_calls', quantity: 1, idempotencyKey: `matrix-${++sequence}` }] }),
  'PATCH /usage/quotas/:metricType': () => ({ softLimit: 700_000 }),
  'POST /usage/quotas/initialize': () => ({}),
  'POST /usage/quotas/reset': () => ({ metricType: 'api_calls' }),
  'POST /api-keys': () => ({ name: `matrix ${++sequence}` }),
  'PATCH /notifications/settings': () => ({ digest: false }),
  // A genuine unsubscribe link (the app's key is set below): public, the token is the credential.
  'POST /notifications/unsubscribe': () => ({ token: unsubscribeTokens.sign({ userId: spare.id, tenantId: acme.id, type: 'invoice.issued', channel: 'email' }) }),
  'PATCH /organization': () => ({ taxId: `MATRIX${++sequence}` }),
  'PATCH /settings': () => ({ sessionTimeoutMinutes: 60 + (++sequence % 60) }),
  'POST /organization/domains': () => ({ domain: `matrix-${++sequence}.example` }),
  // Not the organization's name: the handler refuses (400 CONFIRMATION_MISMATCH), nothing is scheduled.
  'DELETE /organization': () => ({ confirmName: 'Not the organization name' }),
  'POST /webhooks/stripe': () => ({ id: 'evt_matrix', type: 'invoice.paid' }),
  'PATCH /me': () => ({ name: `Matrix Caller ${++sequence}` }),
  // A wrong current password: the handler refuses (403 CURRENT_PASSWORD_INCORRECT), nobody's password changes.
  'POST /me/password': () => ({ currentPassword: 'not-the-password', newPassword: 'matrix new password' }),
  // A role the realm does not have: the handler refuses (404 IDENTITY_ROLE_NOT_FOUND), nobody's roles change.
  'POST /keycloak/roles/:realm/users/:userId/roles': () => ({ roleId: 'matrix_no_such_role' }),
  'DELETE /keycloak/roles/:realm/users/:userId/roles': () => ({ roleId: 'matrix_no_such_role' }),
  // A taken slug: the handler refuses (409 CONFLICT), no tenant is created.
  'POST /admin/tenants': () => ({ name: 'Matrix', slug: 'acme', plan: 'starter', ownerEmail: 'matrix@example.com' }),
  // On an unknown tenant (objectFor): 404, no tenant of the matrix is suspended.
  'POST /admin/tenants/:id/suspend': () => ({ reason: 'matrix' }),
};
/** Non-JSON bodies: the logo upload is multipart/form-data (a 1x1 PNG made in beforeAll). */
let logoPng = Buffer.alloc(0);
const logoForm = () => {
  const head = '--matrix\r\nContent-Disposition: form-data; name="file"; filename="logo.png"\r\nContent-Type: image/png\r\n\r\n';
  return Buffer.concat([Buffer.from(head), logoPng, Buffer.from('\r\n--matrix--\r\n')]);
};
const rawBodies: Record<string, () => { payload: Buffer; contentType: string }> = {
  'PUT /organization/logo': () => ({ payload: logoForm(), contentType: 'multipart/form-data; boundary=matrix' }),
};
/** Query strings routes need to be valid. */
const queries: Record<string, () => string> = {
  'GET /subscriptions/preview-change': () => `planId=${enterprisePlanId}`,
  'GET /keycloak/users': () => 'email=owner%40acme.test',
  'GET /notifications/unsubscribe': () => `token=${encodeURIComponent(unsubscribeTokens.sign({ userId: spare.id, tenantId: acme.id, type: 'invoice.issued', channel: 'email' }))}`,
};

/** Path parameters with object ids: `:id` means a different object under each prefix. */
function objectFor(route: RouteSpec, param: string, tenant: TenantSlug): string {
  const o = objects[tenant];
  if (param === 'id') {
    const prefix = route.path.split('/')[1] ?? '';
    if (route.key === 'DELETE /users/:id' && tenant === 'acme') return spareToRemove.id;
    // Staff console changes aim at an unknown tenant (404): suspending Acme would refuse the next cases.
    if (route.key.startsWith('POST /admin/tenants/')) return randomUUID();
    return o[prefix] ?? randomUUID();
  }
  return o[param] ?? 'matrix-value';
}
const objectParams = new Set(['id', 'actorId', 'targetId']);

function urlOf(route: RouteSpec, tenant: TenantSlug): string {
  const path = route.path.replace(/:(\w+)/g, (_, p: string) => encodeURIComponent(objectFor(route, p, tenant)));
  const query = queries[route.key]?.();
  return query ? `${path}?${query}` : path;
}

async function send(route: RouteSpec, headers: Record<string, string>, url: string) {
  const raw = rawBodies[route.key]?.();
  if (raw) return t.app.inject({ method: route.method, url, headers: { ...headers, 'content-type': raw.contentType }, payload: raw.payload });
  const make = bodies[route.key];
  return t.app.inject({ method: route.method, url, headers, ...(make ? { payload: make() } : {}) });
}

const problemCode = (body: string): string | undefined => {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return undefined;
  }
};

async function cachedHeaders(caller: Caller) {
  let headers = headerCache.get(caller.name);
  if (!headers) {
    headers = await headersOf(t, caller);
    headerCache.set(caller.name, headers);
  }
  return headers;
}

/** Runs one route for every caller; returns the cases whose answer differs from the policy. */
async function sweep(route: RouteSpec): Promise<string[]> {
  const policy = routePolicies[route.key];
  if (!policy) return [`${route.key}: no policy`];
  const mismatches: string[] = [];
  for (const caller of callers()) {
    const expected = expectationFor(policy, caller);
    // Ids of Acme in the path for every caller: staff with Globex's id asks Globex for Acme's objects.
    const res = await send(route, await cachedHeaders(caller), urlOf(route, 'acme'));
    const code = problemCode(res.body);
    const seen = `${res.statusCode} ${code ?? res.headers['content-type']}`;
    if (!expected.allowed) {
      if (res.statusCode !== expected.status || code !== expected.code) mismatches.push(`${caller.name}: expected ${expected.status} ${expected.code}, got ${seen}`);
      continue;
    }
    if (res.statusCode >= 500 || (code && [...guardCodes, 'VALIDATION_FAILED'].includes(code))) {
      mismatches.push(`${caller.name}: expected to reach the handler, got ${seen}: ${res.body.slice(0, 160)}`);
      continue;
    }
    if (route.method === 'GET' && policy.access !== 'public') {
      const email = 'email' in caller.credential ? caller.credential.email : undefined;
      const foreignObject = caller.tenant === 'globex' && route.params.some((p) => objectParams.has(p.name)) && !staffCrossTenant(route, email);
      if (foreignObject && !['GET /audit-logs/by-actor/:actorId', 'GET /audit-logs/by-target/:targetType/:targetId'].includes(route.key)) {
        if (res.statusCode !== 404) mismatches.push(`${caller.name}: Acme's object under Globex's id, expected 404, got ${seen}`);
      } else if (res.statusCode >= 300) {
        mismatches.push(`${caller.name}: a read allowed by the policy, expected 2xx, got ${seen}: ${res.body.slice(0, 160)}`);
      }
    }
  }
  return mismatches;
}

async function ownerHeaders(tenant: TenantSlug) {
  return { authorization: `Bearer ${await t.tokenFor(`owner@${tenant}.test`)}`, 'x-tenant-id': tenantIds[tenant] };
}

/** Creates what each tenant's objects need and records their ids. */
async function prepareTenant(tenant: TenantSlug) {
  const headers = await ownerHeaders(tenant);
  const post = async (url: string, payload: object) => {
    const res = await t.app.inject({ method: 'POST', url, headers, payload });
    if (res.statusCode >= 300) throw new Error(`${url} for ${tenant}: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string };
  };
  const get = async <T>(url: string): Promise<T> => (await t.app.inject({ url, headers })).json() as T;
  const o = objects[tenant];
  o['payment-methods'] = (await post('/payment-methods', { stripePaymentMethodId: 'pm_card_mastercard' })).id;
  o['api-keys'] = (await post('/api-keys', { name: `${tenant} key` })).id;
  o.workflows = (await t.app.workflows.start({ type: matrixWorkflow.type, input: null, tenantId: tenantIds[tenant] })).runId;
  await post('/user-invitations', { email: `invitee@${tenant}.example.com`, role: 'analyst' });
  o['user-invitations'] = (await get<{ data: { id: string; email: string }[] }>('/user-invitations?status=pending')).data.find((i) => i.email === `invitee@${tenant}.example.com`)?.id ?? '';
  o.invoices = (await get<{ data: { id: string }[] }>('/invoices')).data[0]?.id ?? '';
  o['audit-logs'] = (await get<{ data: { id: string }[] }>('/audit-logs?limit=1')).data[0]?.id ?? '';
  o.users = tenant === 'acme' ? spare.id : userId('analyst@globex.test');
  o.actorId = userId(`owner@${tenant}.test`);
  o.targetType = 'tenant';
  o.targetId = tenantIds[tenant];
  o.action = 'tenant.created';
  o.metricType = 'api_calls';
  o.admin = tenantIds[tenant];
  o.realm = 'cbp';
  o.userId = userId(`owner@${tenant}.test`);
  o.uid = 'matrix-unknown-interaction';
  o.notifications = await notificationOf(tenant);
  // A ready GDPR export (GET /organization/exports/:id/download): a fixture row and its file.
  o.organization = await readyExportOf(tenant);
  // A logo, so GET /organization/logo has something to answer.
  const logo = await t.app.inject({ method: 'PUT', url: '/organization/logo', headers: { ...headers, 'content-type': 'multipart/form-data; boundary=matrix' }, payload: logoForm() });
  if (logo.statusCode !== 200) throw new Error(`logo for ${tenant}: ${logo.statusCode} ${logo.body}`);
  for (const [k, v] of Object.entries(o)) if (!v) throw new Error(`no ${k} object in ${tenant}`);
}

/** A ready export archive of the tenant (a fixture row and file: the matrix's engine does not poll). */
async function readyExportOf(tenant: TenantSlug): Promise<string> {
  const id = randomUUID();
  const key = `exports/${tenantIds[tenant]}/${id}.zip`;
  // Through the app's object storage (adapters/storage), where the download route reads it.
  await (await createObjectStorage(t.config)).put(key, Buffer.from('PK matrix fixture'), 'application/zip');
  await t.database.execScript(`INSERT INTO organization_exports (id, tenant_id, workflow_id, status, size_bytes, file_key, expires_at)
    VALUES ('${id}', '${tenantIds[tenant]}', 'organization-export:${id}', 'ready', 17, '${key}', now() + interval '7 days')`);
  return id;
}

/** A notification of the tenant's owner (a fixture row: the matrix runs no event consumer). */
async function notificationOf(tenant: TenantSlug): Promise<string> {
  const id = randomUUID();
  await t.database.execScript(`INSERT INTO notifications (id, tenant_id, user_id, event_id, type, severity, title, body, link, in_app, emailed)
    VALUES ('${id}', '${tenantIds[tenant]}', '${userId(`owner@${tenant}.test`)}', '${randomUUID()}', 'api_key.created', 'info', 'API key created', 'Matrix fixture', '/usage/api-keys', true, false)`);
  return id;
}

beforeAll(async () => {
  // A webhook secret, so POST /webhooks/stripe checks signatures (instead of 503: not configured).
  logoPng = await sharp({ create: { width: 1, height: 1, channels: 4, background: '#ffffff' } }).png().toBuffer();
  t = await createTestContext(
    { STRIPE_WEBHOOK_SECRET: 'whsec_rbac_matrix', NOTIFICATION_TOKEN_SECRET: unsubscribeSecret, CBP_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'cbp-matrix-')) },
    { workflows: [matrixWorkflow] },
  );
  await t.ownerScript(`
    INSERT INTO users (id, email, name, status) VALUES
      ('${loner.id}', '${loner.email}', '${loner.name}', 'active'),
      ('${spare.id}', '${spare.email}', 'Spare Member', 'active'),
      ('${spareToRemove.id}', '${spareToRemove.email}', 'Removable Member', 'active');
    SELECT set_config('app.tenant_id', '${acme.id}', false);
    INSERT INTO tenant_memberships (tenant_id, user_id, role, status) VALUES
      ('${acme.id}', '${spare.id}', 'analyst', 'active'),
      ('${acme.id}', '${spareToRemove.id}', 'analyst', 'active');
  `);
  routes = await routeTable(t.app);
  const plans = (await t.app.inject({ url: '/plans', headers: await ownerHeaders('acme') })).json() as { id: string; name: string }[];
  enterprisePlanId = plans.find((p) => p.name === 'Enterprise')?.id ?? '';
  await prepareTenant('acme');
  await prepareTenant('globex');
});
afterAll(() => t.close());

/** Reads first, then changes; leaving the tenant (which ends the callers' memberships) last. */
const order = (key: string) => (key === 'POST /team/leave' ? 2 : key.startsWith('GET ') ? 0 : 1);
const keys = Object.keys(routePolicies).sort((a, b) => order(a) - order(b) || a.localeCompare(b));

describe('isolation and RBAC matrix: every route x every caller', () => {
  it('the route table and the RBAC table list the same routes, and every body-taking route has a valid body here', () => {
    expect(routes.map((r) => r.key).sort()).toEqual(Object.keys(routePolicies).sort());
    expect(routes.filter((r) => r.body && !bodies[r.key]).map((r) => r.key)).toEqual([]);
    expect(callers().length).toBeGreaterThanOrEqual(16);
  });

  for (const key of keys) {
    it(`${key}: each caller gets what the policy says`, async () => {
      const route = routes.find((r) => r.key === key);
      if (!route) throw new Error(`${key} is in routePolicies but not in the app's route table`);
      expect(await sweep(route)).toEqual([]);
    });
  }
});

describe("another tenant's object ids", () => {
  const foreignKeys = () => routes.filter((r) => r.params.some((p) => objectParams.has(p.name)) && routePolicies[r.key]?.access === 'tenant' && r.key !== 'POST /team/leave');

  it('answer 404 (filters: an empty page) to Acme callers allowed on the route, and change nothing of Globex', async () => {
    const globexOwner = await ownerHeaders('globex');
    const before = await globexSnapshot(globexOwner);
    const mismatches: string[] = [];
    const asking = [
      { name: 'owner@acme.test', headers: await ownerHeaders('acme') },
      { name: 'staff@cbp.test -> acme', headers: { authorization: `Bearer ${await t.tokenFor('staff@cbp.test')}`, 'x-tenant-id': acme.id } },
    ];
    expect(foreignKeys().length).toBeGreaterThanOrEqual(15);
    for (const route of foreignKeys()) {
      for (const caller of asking) {
        if (staffCrossTenant(route, caller.name)) continue; // staff may see and manage any tenant's runs (workflows.test.ts)
        const res = await send(route, caller.headers, urlOf(route, 'globex'));
        if (route.key.startsWith('GET /audit-logs/by-')) {
          const page = res.json() as { total?: number; data?: unknown[] };
          if (res.statusCode !== 200 || page.total !== 0 || page.data?.length !== 0) mismatches.push(`${route.key} by ${caller.name}: expected an empty page, got ${res.statusCode} ${res.body.slice(0, 160)}`);
        } else if (res.statusCode !== 404 || problemCode(res.body) !== 'NOT_FOUND') {
          mismatches.push(`${route.key} by ${caller.name}: expected 404 NOT_FOUND, got ${res.statusCode} ${res.body.slice(0, 160)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(await globexSnapshot(globexOwner)).toEqual(before);
  });
});

/** What Globex's owner sees of the objects the foreign-id cases aimed at. */
async function globexSnapshot(headers: Record<string, string>) {
  const o = objects.globex;
  const get = async (url: string) => {
    const res = await t.app.inject({ url, headers });
    return { status: res.statusCode, body: res.json() as unknown };
  };
  const keys = (await get('/api-keys')).body as { id: string; revokedAt?: string | null }[];
  const invitations = (await get('/user-invitations')).body as { data: { id: string; status: string }[] };
  const workflow = (await get(`/workflows/${o.workflows}/status`)).body as { status?: string; attempt?: number };
  return {
    paymentMethod: await get(`/payment-methods/${o['payment-methods']}`),
    member: await get(`/users/${o.users}`),
    invoice: (await get(`/invoices/${o.invoices}`)).status,
    auditEntry: (await get(`/audit-logs/${o['audit-logs']}`)).status,
    apiKey: keys.find((k) => k.id === o['api-keys']),
    invitation: invitations.data.find((i) => i.id === o['user-invitations']),
    workflow: { status: workflow.status, attempt: workflow.attempt },
    notifications: (await get('/notifications')).body,
    tenant: globex.id,
  };
}
