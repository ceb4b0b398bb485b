import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../../test/harness.js';
import { accessTokenSigner } from '../../../../test/tokens.js';
import { platformRows } from '../../../platform/db.js';
import { loginLimits } from './throttle.js';
import { idpBrowser } from '../../../../test/idp-browser.js';

/*
 * Two-step verification at the built-in provider (issue 15), driven as a browser would: the codes
 * are computed with the same library an authenticator app's maths follows (otpauth, RFC 6238).
 */

const portal = 'http://localhost:27100';

/** A browser over app.inject (test/idp-browser.ts) at its own address. */
const browser = (app: FastifyInstance, remoteAddress = '127.0.0.1') => idpBrowser(app, { remoteAddress, userAgent: 'mfa-test/1.0' });

/** A sign-in as the portal starts it (prompt=login, as its buttons do), optionally asking to set up or turn off two-step verification. */
async function signIn(app: FastifyInstance, email: string, password = 'demo1234!', { cbpMfa, remoteAddress }: { cbpMfa?: 'setup' | 'disable' | 'codes'; remoteAddress?: string } = {}) {
  const b = browser(app, remoteAddress);
  const authorize = (prompt: 'login' | 'none', extra: Record<string, string> = {}) => {
    const verifier = randomBytes(32).toString('base64url');
    const params = new URLSearchParams({
      client_id: 'cbp-portal',
      redirect_uri: `${portal}/auth/callback`,
      response_type: 'code',
      scope: 'openid profile email',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      prompt,
      state: 's',
      ...extra,
    });
    return { verifier, request: () => b.request('GET', `/oidc/auth?${params}`) };
  };
  const first = authorize('login', cbpMfa ? { cbp_mfa: cbpMfa } : {});
  const start = await first.request();
  const interaction = String(start.headers.location);
  expect(interaction).toMatch(/\/oidc\/interaction\//);
  await b.request('GET', interaction);
  const uid = interaction.split('/').pop() ?? '';
  const login = await b.request('POST', `/oidc/interaction/${uid}/login`, { email, password });
  const post = (step: string, form: Record<string, string> = {}) => b.request('POST', `/oidc/interaction/${uid}/${step}`, form);
  const exchange = async (location: string, verifier: string) => {
    let next = location;
    for (let i = 0; i < 5 && !next.startsWith(portal); i++) {
      const res = await b.request('GET', next);
      next = String(res.headers.location ?? '');
      if (!next) throw new Error(`no redirect (status ${res.statusCode}): ${res.body.slice(0, 300)}`);
    }
    const code = new URL(next).searchParams.get('code') ?? '';
    const res = await app.inject({
      method: 'POST',
      url: '/oidc/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: `${portal}/auth/callback`, client_id: 'cbp-portal', code_verifier: verifier }).toString(),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { access_token: string; id_token: string };
  };
  /** Follows the redirects to the portal's callback and exchanges the code: the portal's tokens. */
  const tokens = (location: string) => exchange(location, first.verifier);
  /** The portal's silent renewal (prompt=none with the provider's session cookie). */
  const renew = async () => {
    const again = authorize('none');
    const res = await again.request();
    expect(res.statusCode).toBe(303);
    return exchange(String(res.headers.location), again.verifier);
  };
  return { login, post, tokens, renew, uid };
}

/** The text of the field error tied to the code field (aria-describedby), or ''. */
function codeError(html: string): string {
  const input = /<input id="code"[^>]*aria-describedby="([^"]+)"/.exec(html);
  if (!input) return '';
  expect(html).toMatch(/<input id="code"[^>]*aria-invalid="true"/);
  return (input[1] ?? '')
    .split(' ')
    .map((id) => new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1] ?? '')
    .join(' ');
}

const periodMs = 30_000;
const step = (ms: number) => Math.floor(ms / periodMs);

let t: TestContext;
const rows = <T extends object>(query: ReturnType<typeof sql>) => platformRows<T>(t.database.db, query);
const auditOf = (action: string, email: string) =>
  rows<{ tenant_id: string; actor_email: string; metadata: Record<string, unknown> }>(
    sql`SELECT tenant_id, actor_email, metadata FROM audit_logs WHERE action = ${action} AND target_name = ${email} ORDER BY created_at`,
  );

beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

describe('two-step verification at the built-in provider', { timeout: 120_000 }, () => {
  const email = 'engineer@acme.test';
  let totp: TOTP;
  let recoveryCodes: string[] = [];
  let enrolledAt = 0;

  it('is set up from the account settings: QR code and key, a wrong code refused on its field, then ten recovery codes shown once; the tokens say ["pwd", "otp"]', async () => {
    const s = await signIn(t.app, email, 'demo1234!', { cbpMfa: 'setup' });
    expect(s.login.statusCode).toBe(200);
    expect(s.login.body).toContain('<h1>Set up two-step verification</h1>');
    expect(s.login.body).toMatch(/<div class="qr" role="img" aria-label="[^"]+"><svg /);
    expect(s.login.body).not.toContain('<script');
    const secret = (/<code id="secret">([A-Z2-7 ]+)<\/code>/.exec(s.login.body)?.[1] ?? '').replace(/ /g, '');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    // What the database keeps is not the secret.
    const [stored] = await rows<{ secret_encrypted: string; confirmed_at: Date | null }>(sql`SELECT secret_encrypted, confirmed_at FROM user_totp`);
    expect(stored?.confirmed_at).toBeNull();
    expect(stored?.secret_encrypted).not.toContain(secret);
    totp = new TOTP({ issuer: 'CBP Portal', label: email, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });

    const wrong = await s.post('mfa/enroll', { code: '000000' === totp.generate() ? '111111' : '000000' });
    expect(wrong.statusCode).toBe(400);
    expect(codeError(wrong.body)).toContain('That code is not right');
    expect(await auditOf('user.mfa_enabled', email)).toEqual([]);

    enrolledAt = Date.now();
    const done = await s.post('mfa/enroll', { code: totp.generate({ timestamp: enrolledAt }) });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.body).toContain('Two-step verification is on for your account.');
    recoveryCodes = [...done.body.matchAll(/<li><code>([a-z2-7]{5}-[a-z2-7]{5})<\/code><\/li>/g)].map((m) => m[1] ?? '');
    expect(recoveryCodes).toHaveLength(10);
    const hashes = await rows<{ code_hash: string }>(sql`SELECT code_hash FROM user_recovery_codes`);
    expect(hashes).toHaveLength(10);
    expect(hashes.map((h) => h.code_hash)).not.toContain(recoveryCodes[0]);
    expect(await auditOf('user.mfa_enabled', email)).toEqual([expect.objectContaining({ tenant_id: acme.id, actor_email: email, metadata: { method: 'totp', recoveryCodes: 10 } })]);

    const next = await s.post('continue');
    expect(next.statusCode).toBe(303);
    const tokens = await s.tokens(String(next.headers.location));
    expect(decodeJwt(tokens.access_token).amr).toEqual(['pwd', 'otp']);
    expect(decodeJwt(tokens.id_token).amr).toEqual(['pwd', 'otp']);
    // The portal's silent renewal keeps how the session's sign-in was made.
    expect(decodeJwt((await s.renew()).access_token).amr).toEqual(['pwd', 'otp']);
  });

  it('asks for the code after the password from then on; a code works once, not twice', async () => {
    const first = await signIn(t.app, email);
    expect(first.login.statusCode).toBe(200);
    expect(first.login.body).toContain('<h1>Two-step verification</h1>');
    expect(first.login.body).toContain('autocomplete="one-time-code"');
    // The code of the enrollment's time step was spent by the enrollment; the next step's code is accepted (clock drift window).
    const code = totp.generate({ timestamp: (step(enrolledAt) + 1) * periodMs });
    const ok = await first.post('mfa', { code });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(decodeJwt((await first.tokens(String(ok.headers.location))).access_token).amr).toEqual(['pwd', 'otp']);

    const replay = await signIn(t.app, email);
    const again = await replay.post('mfa', { code });
    expect(again.statusCode).toBe(401);
    expect(codeError(again.body)).toContain('This code was already used');
    expect(again.headers.location).toBeUndefined();
    const failed = await auditOf('auth.login_failed', email);
    expect(failed.at(-1)?.metadata).toEqual({ reason: 'reused_mfa_code' });
  });

  it('takes a recovery code instead, once; its use is audited with how many are left', async () => {
    const [code] = recoveryCodes;
    const s = await signIn(t.app, email);
    const ok = await s.post('mfa', { code: (code ?? '').toUpperCase() });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(decodeJwt((await s.tokens(String(ok.headers.location))).access_token).amr).toEqual(['pwd', 'otp']);
    expect(await auditOf('user.mfa_recovery_code_used', email)).toEqual([expect.objectContaining({ tenant_id: acme.id, actor_email: email, metadata: { recoveryCodesLeft: 9 } })]);

    const again = await signIn(t.app, email);
    const refused = await again.post('mfa', { code: code ?? '' });
    expect(refused.statusCode).toBe(401);
    expect(codeError(refused.body)).toContain('That code is not right');
  });

  describe('wrong codes', () => {
    const { baseDelaySeconds } = loginLimits;
    beforeAll(() => {
      loginLimits.baseDelaySeconds = 60;
    });
    afterAll(() => {
      loginLimits.baseDelaySeconds = baseDelaySeconds;
    });

    it('are throttled like passwords: after five, even a right one waits (429 with Retry-After)', async () => {
      const s = await signIn(t.app, email, 'demo1234!', { remoteAddress: '198.51.100.61' });
      const statuses = [];
      for (const guess of ['123456', '234567', '345678', '456789', '567890']) statuses.push((await s.post('mfa', { code: guess })).statusCode);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      const throttled = await s.post('mfa', { code: recoveryCodes[1] ?? '' });
      expect(throttled.statusCode).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(codeError(throttled.body)).toContain('Too many wrong codes. Try again in');
      // The recovery code was not looked at: it still works from elsewhere.
      const elsewhere = await signIn(t.app, email, 'demo1234!', { remoteAddress: '192.0.2.61' });
      expect((await elsewhere.post('mfa', { code: recoveryCodes[1] ?? '' })).statusCode).toBe(303);
    });
  });

  it('gives ten new recovery codes from the account settings after a current code (a recovery code here); the earlier ones stop working', async () => {
    const s = await signIn(t.app, email, 'demo1234!', { cbpMfa: 'codes' });
    expect(s.login.body).toContain('<h1>New recovery codes</h1>');
    const done = await s.post('mfa', { code: recoveryCodes[3] ?? '' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.body).toContain('These new codes replace your earlier recovery codes, which no longer work.');
    const fresh = [...done.body.matchAll(/<li><code>([a-z2-7]{5}-[a-z2-7]{5})<\/code><\/li>/g)].map((m) => m[1] ?? '');
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[4]);
    expect(await auditOf('user.mfa_recovery_codes_replaced', email)).toEqual([expect.objectContaining({ tenant_id: acme.id, metadata: { recoveryCodes: 10 } })]);
    expect((await s.post('continue')).statusCode).toBe(303);

    const old = await signIn(t.app, email);
    expect((await old.post('mfa', { code: recoveryCodes[4] ?? '' })).statusCode).toBe(401);
    recoveryCodes = fresh;
  });

  it('is turned off from the account settings with a current code (a recovery code here), audited; sign-in is then password only', async () => {
    const s = await signIn(t.app, email, 'demo1234!', { cbpMfa: 'disable' });
    expect(s.login.body).toContain('<h1>Turn off two-step verification</h1>');
    const off = await s.post('mfa', { code: recoveryCodes[2] ?? '' });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.body).toContain('Two-step verification is off');
    expect(await auditOf('user.mfa_disabled', email)).toEqual([expect.objectContaining({ tenant_id: acme.id, actor_email: email })]);
    expect(await rows(sql`SELECT 1 FROM user_totp UNION ALL SELECT 1 FROM user_recovery_codes`)).toEqual([]);
    const next = await s.post('continue');
    expect(next.statusCode).toBe(303);

    const plain = await signIn(t.app, email);
    expect(plain.login.statusCode).toBe(303);
    expect(decodeJwt((await plain.tokens(String(plain.login.headers.location))).access_token).amr).toEqual(['pwd']);
  });

  it('a second-factor form without a checked password is refused', async () => {
    const b = browser(t.app);
    const res = await b.request('POST', '/oidc/interaction/no-such-interaction/continue', {});
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Sign-in expired');
  });
});

describe('an organization that requires two-step verification', { timeout: 120_000 }, () => {
  const email = 'analyst@acme.test';
  const otpToken = async (who: string) => accessTokenSigner({ keys: t.keys, issuer: t.config.issuer, audience: t.config.audience }).forEmail(who, { amr: ['pwd', 'otp'] });

  it('enrolls a member without it before finishing the sign-in, naming the organization; they cannot turn it off', async () => {
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/settings',
      headers: { authorization: `Bearer ${await otpToken('admin@acme.test')}`, 'x-tenant-id': acme.id },
      payload: { mfaRequired: true },
    });
    expect(patched.statusCode, patched.body).toBe(200);

    const s = await signIn(t.app, email);
    expect(s.login.statusCode).toBe(200);
    expect(s.login.body).toContain('Acme Corp requires two-step verification for every member.');
    // Nothing issued until the authenticator is set up.
    expect((await s.post('continue')).statusCode).toBe(400);
    const secret = (/<code id="secret">([A-Z2-7 ]+)<\/code>/.exec(s.login.body)?.[1] ?? '').replace(/ /g, '');
    const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
    const enrolledAt = Date.now();
    const done = await s.post('mfa/enroll', { code: totp.generate({ timestamp: enrolledAt }) });
    expect(done.statusCode, done.body).toBe(200);
    const codes = [...done.body.matchAll(/<li><code>([a-z2-7-]{11})<\/code><\/li>/g)].map((m) => m[1] ?? '');
    const next = await s.post('continue');
    const token = (await s.tokens(String(next.headers.location))).access_token;
    expect(decodeJwt(token).amr).toEqual(['pwd', 'otp']);
    const inAcme = await t.app.inject({ url: '/tenants/current', headers: { authorization: `Bearer ${token}`, 'x-tenant-id': acme.id } });
    expect(inAcme.statusCode, inAcme.body).toBe(200);

    const off = await signIn(t.app, email, 'demo1234!', { cbpMfa: 'disable' });
    const refused = await off.post('mfa', { code: codes[0] ?? '' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Acme Corp requires two-step verification for every member, so it cannot be turned off.');
    expect(await rows(sql`SELECT 1 FROM user_totp WHERE confirmed_at IS NOT NULL AND user_id = (SELECT id FROM users WHERE email = ${email})`)).toHaveLength(1);
  });
});
