import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../../test/harness.js';

const portal = 'http://localhost:27100';

/** A browser's cookie jar over app.inject, enough for the provider's interaction cookies. */
function browser(app: FastifyInstance) {
  const jar = new Map<string, string>();
  async function request(method: 'GET' | 'POST', url: string, form?: Record<string, string>) {
    const u = new URL(url, 'http://localhost:14000');
    const res = await app.inject({
      method,
      url: u.pathname + u.search,
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      payload: form ? new URLSearchParams(form).toString() : undefined,
    });
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair] = c.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (name) jar.set(name.trim(), value.join('='));
    }
    return res;
  }
  return { request };
}

async function authorize(app: FastifyInstance, email: string, password: string) {
  const b = browser(app);
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
  const login = await b.request('POST', `/oidc/interaction/${uid}/login`, { email, password });
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

  it('locks an account after repeated failed sign-ins, even with the right password', async () => {
    for (let i = 0; i < 10; i++) {
      const { login } = await authorize(t.app, 'engineer@acme.test', `guess-${i}`);
      expect(login.statusCode).toBe(401);
    }
    const { login } = await authorize(t.app, 'engineer@acme.test', 'demo1234!');
    expect(login.statusCode).toBe(429);
    expect(login.body).toContain('Too many failed sign-in attempts.');
    expect(login.headers.location).toBeUndefined();
    // other accounts are not affected
    const other = await authorize(t.app, 'analyst@acme.test', 'demo1234!');
    expect(other.login.statusCode).toBe(303);
  });

  it('refuses a code exchange without the PKCE verifier', async () => {
    const { b, login } = await authorize(t.app, 'owner@acme.test', 'demo1234!');
    const callback = await followToCode(b, String(login.headers.location));
    const token = await exchangeCode(t.app, callback.searchParams.get('code') ?? '');
    expect(token.statusCode).toBe(400);
  });
});
