import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config.js';
import { loginLimits } from './throttle.js';
import { acme, createTestContext, globex, type TestContext } from '../../../../test/harness.js';
import { idpBrowser } from '../../../../test/idp-browser.js';

const portal = 'http://localhost:27100';

/** Where a request comes from: the socket's peer and what it claims in X-Forwarded-For. */
interface Origin {
  remoteAddress?: string;
  forwardedFor?: string;
}

/** A browser's cookie jar over app.inject (test/idp-browser.ts). */
const browser = (app: FastifyInstance, origin: Origin = {}) => idpBrowser(app, { userAgent: 'identity-test/1.0', ...origin });

/** Opens the login page of a new authorization request (PKCE), as the portal's redirect does. */
async function startSignIn(app: FastifyInstance, origin: Origin = {}) {
  const b = browser(app, origin);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const params = new URLSearchParams({
    client_id: 'cbp-portal',
    redirect_uri: `${portal}/auth/callback`,
    response_type: 'code',
    scope: 'openid profile email',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'state-1',
  });
  const start = await b.request('GET', `/oidc/auth?${params}`);
  expect(start.statusCode).toBe(303);
  const interaction = String(start.headers.location);
  expect(interaction).toMatch(/\/oidc\/interaction\//);
  const page = await b.request('GET', interaction);
  const uid = interaction.split('/').pop() ?? '';
  /** Submits the login form (again); `from` overrides where this one submission comes from. */
  const submit = (email: string, password: string, from?: Origin) =>
    b.request('POST', `/oidc/interaction/${uid}/login`, { email, password }, from);
  return { b, verifier, page, submit };
}

async function authorize(app: FastifyInstance, email: string, password: string, origin: Origin = {}) {
  const { b, verifier, page, submit } = await startSignIn(app, origin);
  const login = await submit(email, password);
  return { b, verifier, page, login };
}

async function followToCode(b: ReturnType<typeof browser>, location: string) {
  let next = location;
  for (let i = 0; i < 5 && !next.startsWith(portal); i++) {
    const res = await b.request('GET', next);
    next = String(res.headers.location ?? '');
    if (!next) throw new Error(`no redirect (status ${res.statusCode}): ${res.body.slice(0, 200)}`);
  }
  return new URL(next);
}

/** The portal's token request; without a verifier it is what a code thief could send. */
function exchangeCode(app: FastifyInstance, code: string, verifier?: string) {
  return app.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: `${portal}/auth/callback`,
      client_id: 'cbp-portal',
      ...(verifier ? { code_verifier: verifier } : {}),
    }).toString(),
  });
}

describe('built-in OpenID provider', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it('publishes discovery metadata for its issuer with PKCE', async () => {
    const res = await t.app.inject({ url: '/oidc/.well-known/openid-configuration', headers: { host: 'localhost:14000' } });
    expect(res.statusCode).toBe(200);
    const meta = res.json();
    expect(meta.issuer).toBe('http://localhost:14000/oidc');
    expect(meta.code_challenge_methods_supported).toContain('S256');
    expect(meta.jwks_uri).toBe('http://localhost:14000/oidc/jwks');
  });

  it('shows a login page with labelled email and password fields', async () => {
    const { page } = await authorize(t.app, 'owner@acme.test', 'demo1234!');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<label for="email">Email</label>');
    expect(page.body).toContain('<label for="password">Password</label>');
  });

  it('refuses a wrong password with a readable message and issues no code', async () => {
    const { login } = await authorize(t.app, 'owner@acme.test', 'wrong-password');
    expect(login.statusCode).toBe(401);
    expect(login.body).toContain('Invalid email or password.');
    expect(login.headers.location).toBeUndefined();
  });

  it('logs in with code + PKCE and issues a JWT access token the API accepts', async () => {
    const { b, verifier, login } = await authorize(t.app, 'admin@acme.test', 'demo1234!');
    expect(login.statusCode).toBe(303);
    const callback = await followToCode(b, String(login.headers.location));
    expect(callback.pathname).toBe('/auth/callback');
    expect(callback.searchParams.get('state')).toBe('state-1');
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();

    const token = await exchangeCode(t.app, code ?? '', verifier);
    expect(token.statusCode).toBe(200);
    const body = token.json();
    expect(body.access_token.split('.')).toHaveLength(3);
    expect(body.id_token).toBeTruthy();

    const me = await t.app.inject({ url: '/me', headers: { authorization: `Bearer ${body.access_token}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.email).toBe('admin@acme.test');
    expect(me.json().tenants).toEqual([expect.objectContaining({ slug: 'acme', role: 'admin' })]);

    // The ID token is for the portal, not the API: it must not open the API.
    const withIdToken = await t.app.inject({ url: '/me', headers: { authorization: `Bearer ${body.id_token}` } });
    expect(withIdToken.statusCode).toBe(401);
  });

  it('refuses a code exchange without the PKCE verifier', async () => {
    const { b, login } = await authorize(t.app, 'owner@acme.test', 'demo1234!');
    const callback = await followToCode(b, String(login.headers.location));
    const token = await exchangeCode(t.app, callback.searchParams.get('code') ?? '');
    expect(token.statusCode).toBe(400);
  });
});

interface AuditEntry {
  action: string;
  actorType: string;
  actorEmail: string | null;
  targetId: string | null;
  targetName: string | null;
  metadata: Record<string, unknown>;
  ipAddress: string | null;
  userAgent: string | null;
}

/** The sign-in entries a tenant's admin sees in its audit trail (newest first). */
async function signInEntries(t: TestContext, tenant: 'acme' | 'globex', action: 'auth.login_succeeded' | 'auth.login_failed') {
  const res = await t.app.inject({
    url: `/audit-logs?action=${action}&limit=100`,
    headers: {
      authorization: `Bearer ${await t.tokenFor(tenant === 'acme' ? 'admin@acme.test' : 'owner@globex.test')}`,
      'x-tenant-id': tenant === 'acme' ? acme.id : globex.id,
    },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data as AuditEntry[];
}

const engineerId = '00000000-0000-4000-8000-000000000a02';

/**
 * The first wait after the free attempts is 1 s in production; tests make it a minute so that a
 * slow (shared, loaded) machine cannot let an attempt through merely by being slow.
 */
function slowFirstBackoff() {
  const { baseDelaySeconds } = loginLimits;
  beforeAll(() => {
    loginLimits.baseDelaySeconds = 60;
  });
  afterAll(() => {
    loginLimits.baseDelaySeconds = baseDelaySeconds;
  });
}

/** Generous bound for tests that sign in many times in a row (scrypt on a loaded machine). */
const manySignIns = 180_000;

describe('sign-in throttling', { timeout: manySignIns }, () => {
  slowFirstBackoff();
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  /** Lets the backoff of a key run out, as waiting would (the database keeps the clock). */
  const waitOutBackoff = (email: string) =>
    t.ownerScript(`UPDATE login_throttle SET next_allowed_at = now() - interval '1 second' WHERE email = '${email}'`);

  it('checks at most 5 of 30 concurrent wrong passwords for one account; the rest get 429 and are never checked', async () => {
    const { submit } = await startSignIn(t.app);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => submit('engineer@acme.test', `guess-${i}`)));
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
    for (const throttled of answers.filter((a) => a.statusCode === 429)) {
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(throttled.body).toContain('Too many failed sign-in attempts. Try again in');
      expect(throttled.headers.location).toBeUndefined();
    }
    // What the server recorded: exactly the five checked attempts.
    const failed = await signInEntries(t, 'acme', 'auth.login_failed');
    expect(failed.filter((e) => e.targetName === 'engineer@acme.test')).toHaveLength(5);

    // Not even the right password is checked while the key waits.
    const right = await submit('engineer@acme.test', 'demo1234!');
    expect(right.statusCode).toBe(429);
    expect(right.headers.location).toBeUndefined();
    expect((await signInEntries(t, 'acme', 'auth.login_succeeded')).filter((e) => e.targetId === engineerId)).toHaveLength(0);
  });

  it("signs the victim in from another address while an attacker's address is slowed down", async () => {
    const attacker = await startSignIn(t.app, { remoteAddress: '198.51.100.9' });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await attacker.submit('analyst@acme.test', `guess-${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);

    const victim = await authorize(t.app, 'analyst@acme.test', 'demo1234!', { remoteAddress: '192.0.2.10' });
    expect(victim.login.statusCode).toBe(303);
    const callback = await followToCode(victim.b, String(victim.login.headers.location));
    expect(callback.searchParams.get('code')).toBeTruthy();

    // The victim's success does not lift the attacker's backoff.
    expect((await attacker.submit('analyst@acme.test', 'demo1234!')).statusCode).toBe(429);
  });

  it('backs off exponentially per (account, address) (60 s, 120 s, 240 s ... here), capped at 15 minutes', async () => {
    const { submit } = await startSignIn(t.app, { remoteAddress: '198.51.100.20' });
    for (let i = 0; i < 5; i++) expect((await submit('admin@acme.test', `guess-${i}`)).statusCode).toBe(401);
    const retryAfter = async () => {
      const res = await submit('admin@acme.test', 'guess');
      expect(res.statusCode).toBe(429);
      return Number(res.headers['retry-after']);
    };
    // whole seconds left, rounded up; a few less if the machine is slow between two requests
    const expectWait = (seconds: number, wait: number) => {
      expect(seconds).toBeGreaterThanOrEqual(wait - 5);
      expect(seconds).toBeLessThanOrEqual(wait);
    };
    expectWait(await retryAfter(), 60);
    for (const wait of [120, 240, 480]) {
      await waitOutBackoff('admin@acme.test');
      expect((await submit('admin@acme.test', 'guess')).statusCode).toBe(401);
      expectWait(await retryAfter(), wait);
    }
    await waitOutBackoff('admin@acme.test');
    expect((await submit('admin@acme.test', 'guess')).statusCode).toBe(401);
    const capped = await submit('admin@acme.test', 'guess');
    expect(capped.statusCode).toBe(429);
    expectWait(Number(capped.headers['retry-after']), 900);
    expect(capped.body).toContain('Try again in 15 minutes');
  });

  it('starts a key over after a successful sign-in from its address', async () => {
    const { submit } = await startSignIn(t.app, { remoteAddress: '198.51.100.30' });
    for (let i = 0; i < 4; i++) expect((await submit('owner@acme.test', `guess-${i}`)).statusCode).toBe(401);
    expect((await submit('owner@acme.test', 'demo1234!')).statusCode).toBe(303);
    const again = await startSignIn(t.app, { remoteAddress: '198.51.100.30' });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await again.submit('owner@acme.test', `guess-${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('throttles unknown emails too, without auditing them in any tenant', async () => {
    const { submit } = await startSignIn(t.app, { remoteAddress: '198.51.100.40' });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await submit('Nobody@Example.test', `guess-${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // the same key whatever the case of the email
    expect((await submit('nobody@example.test', 'guess')).statusCode).toBe(429);
    for (const tenant of ['acme', 'globex'] as const) {
      const failed = await signInEntries(t, tenant, 'auth.login_failed');
      expect(failed.filter((e) => e.targetName?.toLowerCase().includes('nobody'))).toEqual([]);
    }
  });

  it('limits one address spraying passwords across many accounts, not other addresses', async () => {
    const { submit } = await startSignIn(t.app, { remoteAddress: '203.0.113.50' });
    for (let i = 0; i < 50; i++) expect((await submit(`user${i}@spray.test`, 'Winter2026!')).statusCode).toBe(401);
    const blocked = await submit('owner@globex.test', 'demo1234!');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(60);
    expect(blocked.body).toContain('Too many failed sign-in attempts.');
    const elsewhere = await authorize(t.app, 'owner@globex.test', 'demo1234!', { remoteAddress: '203.0.113.51' });
    expect(elsewhere.login.statusCode).toBe(303);
  });

  it('records successful and failed sign-ins in the audit trail of each tenant of the account', async () => {
    // Evan is also a member of Globex here: both trails get his sign-ins.
    await t.ownerScript(
      `INSERT INTO tenant_memberships (tenant_id, user_id, role, status) VALUES ('${globex.id}', '${engineerId}', 'analyst', 'active')`,
    );
    const from = { remoteAddress: '192.0.2.77' };
    const { submit } = await startSignIn(t.app, from);
    expect((await submit('engineer@acme.test', 'not-it')).statusCode).toBe(401);
    expect((await submit('engineer@acme.test', 'demo1234!')).statusCode).toBe(303);
    for (const tenant of ['acme', 'globex'] as const) {
      const [failed] = (await signInEntries(t, tenant, 'auth.login_failed')).filter((e) => e.ipAddress === '192.0.2.77');
      expect(failed).toMatchObject({
        actorType: 'system',
        targetId: engineerId,
        targetName: 'engineer@acme.test',
        metadata: { reason: 'wrong_password' },
        userAgent: 'identity-test/1.0',
      });
      const [succeeded] = (await signInEntries(t, tenant, 'auth.login_succeeded')).filter((e) => e.ipAddress === '192.0.2.77');
      expect(succeeded).toMatchObject({ actorType: 'user', actorEmail: 'engineer@acme.test', targetId: engineerId });
    }
  });
});

describe('client address (TRUST_PROXY)', { timeout: manySignIns }, () => {
  slowFirstBackoff();
  it('ignores X-Forwarded-For by default, so a made-up header neither escapes the backoff nor reaches the audit trail', async () => {
    const t = await createTestContext();
    try {
      const { submit } = await startSignIn(t.app);
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await submit('analyst@acme.test', `guess-${i}`, { forwardedFor: `6.6.6.${i}` })).statusCode);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      const failed = await signInEntries(t, 'acme', 'auth.login_failed');
      expect(failed).toHaveLength(5);
      expect(failed.every((e) => e.ipAddress === '127.0.0.1')).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('takes the client address from X-Forwarded-For only when the peer is a trusted proxy', async () => {
    const t = await createTestContext({ TRUST_PROXY: '127.0.0.1' });
    try {
      // through the proxy (127.0.0.1): the forwarded address is the client
      const attacker = await startSignIn(t.app, { forwardedFor: '203.0.113.7' });
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await attacker.submit('analyst@acme.test', `guess-${i}`)).statusCode);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      const failed = await signInEntries(t, 'acme', 'auth.login_failed');
      expect(failed.map((e) => e.ipAddress)).toEqual(Array(5).fill('203.0.113.7'));

      // another client behind the same proxy is its own key
      const victim = await authorize(t.app, 'analyst@acme.test', 'demo1234!', { forwardedFor: '192.0.2.44' });
      expect(victim.login.statusCode).toBe(303);
      const [succeeded] = await signInEntries(t, 'acme', 'auth.login_succeeded');
      expect(succeeded?.ipAddress).toBe('192.0.2.44');

      // a peer that is not the proxy cannot choose its address
      const direct = await authorize(t.app, 'analyst@acme.test', 'wrong', { remoteAddress: '10.9.9.9', forwardedFor: '192.0.2.44' });
      expect(direct.login.statusCode).toBe(401);
      const [latest] = await signInEntries(t, 'acme', 'auth.login_failed');
      expect(latest?.ipAddress).toBe('10.9.9.9');
    } finally {
      await t.close();
    }
  });

  it('accepts a hop count or IPs/CIDRs, refuses anything else, and trusts no proxy when unset (also in production)', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.2,::1' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '192.168.1.2', '::1']);
    const hops = loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY;
    expect(typeof hops).toBe('function');
    if (typeof hops === 'function') {
      expect(hops('10.0.0.1', 0)).toBe(true);
      expect(hops('6.6.6.6', 1)).toBe(false);
    }
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });
});
