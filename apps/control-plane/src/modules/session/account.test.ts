import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { startFakeRealm } from '../../../test/oidc-realm.js';
import { loginLimits } from '../../adapters/identity/builtin/throttle.js';
import { idpBrowser } from '../../../test/idp-browser.js';

/**
 * The user's own settings (issue 14, slice 2c): profile, password, sessions, sign-out audit and
 * the new-device notification, through the real built-in provider over app.inject.
 */

const portal = 'http://localhost:27100';
const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const chromeMac = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** A browser (cookie jar, user agent, address) driving the provider's pages over app.inject (test/idp-browser.ts). */
const browser = (app: FastifyInstance, userAgent = firefox, remoteAddress = '198.51.100.7') => idpBrowser(app, { remoteAddress, userAgent });

type Browser = ReturnType<typeof browser>;

/** The portal's sign-in: authorization code + PKCE; returns the login answer and, if it succeeded, the access token. */
async function signIn(app: FastifyInstance, b: Browser, email: string, password: string) {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    client_id: 'cbp-portal',
    redirect_uri: `${portal}/auth/callback`,
    response_type: 'code',
    scope: 'openid profile email',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 's',
  });
  const start = await b.request('GET', `/oidc/auth?${params}`);
  const interaction = String(start.headers.location);
  await b.request('GET', interaction);
  const uid = interaction.split('/').pop() ?? '';
  const login = await b.request('POST', `/oidc/interaction/${uid}/login`, { email, password });
  if (login.statusCode !== 303) return { login, token: null };
  let next = String(login.headers.location);
  for (let i = 0; i < 5 && !next.startsWith(portal); i++) next = String((await b.request('GET', next)).headers.location ?? '');
  const code = new URL(next).searchParams.get('code') ?? '';
  const res = await app.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: `${portal}/auth/callback`, client_id: 'cbp-portal', code_verifier: verifier }).toString(),
  });
  expect(res.statusCode, res.body).toBe(200);
  return { login, token: res.json().access_token as string };
}

const bearer = (token: string, tenantId?: string) => ({ authorization: `Bearer ${token}`, ...(tenantId ? { 'x-tenant-id': tenantId } : {}) });

interface AuditEntry {
  action: string;
  actorEmail: string | null;
  targetName: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
}

async function auditEntries(t: TestContext, action: string): Promise<AuditEntry[]> {
  const res = await t.app.inject({ url: `/audit-logs?action=${action}&limit=100`, headers: bearer(await t.tokenFor('owner@acme.test'), acme.id) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data as AuditEntry[];
}

describe("the user's own account", { timeout: 120_000 }, () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it('GET /me says sign-in is managed by the built-in provider', async () => {
    const res = await t.app.inject({ url: '/me', headers: bearer(await t.tokenFor('analyst@acme.test')) });
    expect(res.statusCode).toBe(200);
    expect(res.json().identity).toEqual({ provider: 'builtin' });
  });

  it('PATCH /me changes the name, visible in /me and audited with before and after', async () => {
    const token = await t.tokenFor('analyst@acme.test');
    const res = await t.app.inject({ method: 'PATCH', url: '/me', headers: bearer(token), payload: { name: '  Alice A. Analyst ' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user.name).toBe('Alice A. Analyst');
    const me = await t.app.inject({ url: '/me', headers: bearer(token) });
    expect(me.json().user.name).toBe('Alice A. Analyst');
    const [entry] = (await auditEntries(t, 'user.profile_updated')).filter((e) => e.targetName === 'analyst@acme.test');
    expect(entry).toMatchObject({ actorEmail: 'analyst@acme.test', before: { name: 'Alice Analyst' }, after: { name: 'Alice A. Analyst' } });
  });

  it('PATCH /me refuses an empty name and changes nothing', async () => {
    const token = await t.tokenFor('engineer@acme.test');
    const res = await t.app.inject({ method: 'PATCH', url: '/me', headers: bearer(token), payload: { name: '   ' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path: 'body.name' })] });
    expect((await t.app.inject({ url: '/me', headers: bearer(token) })).json().user.name).toBe('Evan Engineer');
  });

  it('a wrong current password is refused on its field and the password stays the same', async () => {
    const b = browser(t.app);
    const { token } = await signIn(t.app, b, 'engineer@acme.test', 'demo1234!');
    const res = await t.app.inject({
      method: 'POST',
      url: '/me/password',
      headers: bearer(token ?? ''),
      payload: { currentPassword: 'not-my-password', newPassword: 'a-brand-new-secret' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'CURRENT_PASSWORD_INCORRECT', errors: [{ path: 'body.currentPassword' }] });
    expect(res.body).not.toContain('a-brand-new-secret');
    expect((await signIn(t.app, browser(t.app), 'engineer@acme.test', 'a-brand-new-secret')).login.statusCode).toBe(401);
    expect((await signIn(t.app, browser(t.app), 'engineer@acme.test', 'demo1234!')).login.statusCode).toBe(303);
    expect(await auditEntries(t, 'user.password_changed')).toEqual([]);
  });

  it('a too short new password is refused by the password policy', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/me/password',
      headers: bearer(await t.tokenFor('engineer@acme.test')),
      payload: { currentPassword: 'demo1234!', newPassword: 'short' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'body.newPassword' })]);
  });

  it('changing the password: the new one signs in, the old one fails, other sessions end, audited without the password', async () => {
    const here = browser(t.app, firefox);
    const elsewhere = browser(t.app, chromeMac, '203.0.113.9');
    const mine = await signIn(t.app, here, 'admin@acme.test', 'demo1234!');
    await signIn(t.app, elsewhere, 'admin@acme.test', 'demo1234!');
    const token = mine.token ?? '';

    const before = await t.app.inject({ url: '/me/sessions', headers: bearer(token) });
    expect(before.statusCode, before.body).toBe(200);
    const sessions = before.json().data as { id: string; device: string; ipAddress: string; current: boolean }[];
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s) => s.current)).toMatchObject({ device: 'Firefox on Linux', ipAddress: '198.51.100.7' });
    expect(sessions.find((s) => !s.current)).toMatchObject({ device: 'Chrome on macOS', ipAddress: '203.0.113.9' });

    const res = await t.app.inject({
      method: 'POST',
      url: '/me/password',
      headers: bearer(token),
      payload: { currentPassword: 'demo1234!', newPassword: 'correct horse battery' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ endedSessions: 1 });

    const after = (await t.app.inject({ url: '/me/sessions', headers: bearer(token) })).json().data as { current: boolean }[];
    expect(after).toEqual([expect.objectContaining({ current: true })]);

    expect((await signIn(t.app, browser(t.app), 'admin@acme.test', 'demo1234!')).login.statusCode).toBe(401);
    const again = await signIn(t.app, browser(t.app), 'admin@acme.test', 'correct horse battery');
    expect(again.login.statusCode).toBe(303);
    expect((await t.app.inject({ url: '/me', headers: bearer(again.token ?? '') })).json().user.email).toBe('admin@acme.test');

    const entries = (await auditEntries(t, 'user.password_changed')).filter((e) => e.targetName === 'admin@acme.test');
    expect(entries).toHaveLength(1);
    expect(JSON.stringify(entries)).not.toContain('correct horse battery');
    expect(JSON.stringify(entries)).not.toContain('demo1234!');
  });

  it('signing out one session ends it (audited), and an unknown session is 404', async () => {
    const here = browser(t.app, firefox);
    const other = browser(t.app, chromeMac, '203.0.113.20');
    const { token } = await signIn(t.app, here, 'owner@acme.test', 'demo1234!');
    await signIn(t.app, other, 'owner@acme.test', 'demo1234!');
    const list = (await t.app.inject({ url: '/me/sessions', headers: bearer(token ?? '') })).json().data as { id: string; current: boolean }[];
    const target = list.find((s) => !s.current);
    expect(target).toBeDefined();
    const del = await t.app.inject({ method: 'DELETE', url: `/me/sessions/${target?.id}`, headers: bearer(token ?? '') });
    expect(del.statusCode, del.body).toBe(204);
    const left = (await t.app.inject({ url: '/me/sessions', headers: bearer(token ?? '') })).json().data as { id: string }[];
    expect(left.map((s) => s.id)).not.toContain(target?.id);
    expect((await auditEntries(t, 'auth.session_revoked')).filter((e) => e.targetName === 'owner@acme.test')).toHaveLength(1);
    // the ended session's cookie no longer signs in without a password: the provider asks for the login page again
    const params = new URLSearchParams({
      client_id: 'cbp-portal',
      redirect_uri: `${portal}/auth/callback`,
      response_type: 'code',
      scope: 'openid',
      code_challenge: createHash('sha256').update('x'.repeat(43)).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const silent = await other.request('GET', `/oidc/auth?${params}&prompt=none`);
    expect(String(silent.headers.location)).toContain('error=login_required');

    const unknown = await t.app.inject({ method: 'DELETE', url: `/me/sessions/${target?.id}`, headers: bearer(token ?? '') });
    expect(unknown.statusCode).toBe(404);
    // another user's session is not theirs to end
    const globexSession = await signIn(t.app, browser(t.app), 'owner@globex.test', 'demo1234!');
    const theirs = (await t.app.inject({ url: '/me/sessions', headers: bearer(globexSession.token ?? '') })).json().data as { id: string }[];
    const foreign = await t.app.inject({ method: 'DELETE', url: `/me/sessions/${theirs[0]?.id}`, headers: bearer(token ?? '') });
    expect(foreign.statusCode).toBe(404);
  });

  it('signing out at the provider is audited in the user\'s organization', async () => {
    const b = browser(t.app);
    await signIn(t.app, b, 'analyst@acme.test', 'demo1234!');
    const page = await b.request('GET', '/oidc/session/end?client_id=cbp-portal');
    expect(page.statusCode).toBe(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const action = /action="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const done = await b.request('POST', new URL(action, 'http://localhost:14000').pathname, { xsrf, logout: 'yes' });
    expect(done.statusCode).toBe(303);
    const entries = await auditEntries(t, 'auth.logout');
    expect(entries.filter((e) => e.actorEmail === 'analyst@acme.test')).toHaveLength(1);
  });
});

describe('guessing the current password', { timeout: 120_000 }, () => {
  let t: TestContext;
  const { baseDelaySeconds } = loginLimits;
  beforeAll(async () => {
    // A minute after the free attempts (1 s in production), so a slow machine cannot slip one through.
    loginLimits.baseDelaySeconds = 60;
    t = await createTestContext();
  });
  afterAll(async () => {
    loginLimits.baseDelaySeconds = baseDelaySeconds;
    await t.close();
  });

  it('is throttled like sign-in: after the free attempts even the right password waits, with Retry-After', async () => {
    const headers = bearer(await t.tokenFor('analyst@globex.test'));
    const attempt = (currentPassword: string) =>
      t.app.inject({ method: 'POST', url: '/me/password', headers, payload: { currentPassword, newPassword: 'a-brand-new-secret' } });
    for (let i = 0; i < loginLimits.freeAttempts; i++) expect((await attempt(`guess-${i}`)).statusCode).toBe(403);
    const refused = await attempt('demo1234!');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn(t.app, browser(t.app), 'analyst@globex.test', 'a-brand-new-secret')).login.statusCode).toBe(401);
  });
});

describe('new-device sign-in notification', { timeout: 120_000 }, () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  async function notifications(email: string) {
    await t.app.events.drain();
    const res = await t.app.inject({ url: '/notifications?type=auth.new_device', headers: bearer(await t.tokenFor(email), acme.id) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data as { type: string; severity: string; body: string; link: string }[];
  }

  it('the first sign-in ever and the same device again raise nothing; another browser raises exactly one, for that user only', async () => {
    expect((await signIn(t.app, browser(t.app, firefox, '198.51.100.7'), 'engineer@acme.test', 'demo1234!')).login.statusCode).toBe(303);
    // same browser family and same /24: a browser update and a new address in the network are the same device
    const updatedFirefox = firefox.replaceAll('128.0', '129.0');
    expect((await signIn(t.app, browser(t.app, updatedFirefox, '198.51.100.99'), 'engineer@acme.test', 'demo1234!')).login.statusCode).toBe(303);
    expect(await notifications('engineer@acme.test')).toEqual([]);

    expect((await signIn(t.app, browser(t.app, chromeMac, '198.51.100.7'), 'engineer@acme.test', 'demo1234!')).login.statusCode).toBe(303);
    const mine = await notifications('engineer@acme.test');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ type: 'auth.new_device', severity: 'warning', link: '/settings/sessions' });
    expect(mine[0]?.body).toContain('Chrome on macOS');
    for (const other of ['owner@acme.test', 'admin@acme.test', 'analyst@acme.test']) expect(await notifications(other)).toEqual([]);

    // that device is known now
    expect((await signIn(t.app, browser(t.app, chromeMac, '198.51.100.8'), 'engineer@acme.test', 'demo1234!')).login.statusCode).toBe(303);
    expect(await notifications('engineer@acme.test')).toHaveLength(1);
  });
});

describe('with an external issuer (Keycloak)', () => {
  let t: TestContext;
  let realm: Awaited<ReturnType<typeof startFakeRealm>>;
  beforeAll(async () => {
    realm = await startFakeRealm();
    t = await createTestContext({ OIDC_ISSUER_URL: realm.issuer, OIDC_AUDIENCE: 'cbp-api' });
  });
  afterAll(async () => {
    await t.close();
    await realm.close();
  });

  it('GET /me points at the account console, and a password change is 409 naming it', async () => {
    const token = await realm.sign({ email: 'admin@acme.test', email_verified: true });
    const me = await t.app.inject({ url: '/me', headers: bearer(token) });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json().identity).toEqual({ provider: 'external', accountUrl: `${realm.issuer}/account` });
    const res = await t.app.inject({
      method: 'POST',
      url: '/me/password',
      headers: bearer(token),
      payload: { currentPassword: 'demo1234!', newPassword: 'a-brand-new-secret' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'CONFLICT' });
    expect(res.json().detail).toContain(`${realm.issuer}/account`);
  });

  it('the name can still be changed', async () => {
    const token = await realm.sign({ email: 'owner@acme.test', email_verified: true });
    const res = await t.app.inject({ method: 'PATCH', url: '/me', headers: bearer(token), payload: { name: 'Olivia O. Owner' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user.name).toBe('Olivia O. Owner');
  });
});
