import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../../test/harness.js';
import { platformRows } from '../../../platform/db.js';
import { loginLimits } from './throttle.js';
import { idpBrowser } from '../../../../test/idp-browser.js';

/*
 * The built-in provider's account pages, driven as a browser would (issue 17 item 9: forgot
 * password; issue 15: sign-up that joins by verified domain with the default role). Mail is read
 * from the outbox, as a person reads their mailbox.
 */

const portal = 'http://localhost:27100';

/** A browser over app.inject (test/idp-browser.ts) at its own address. */
const browser = (app: FastifyInstance, remoteAddress = '127.0.0.1') => idpBrowser(app, { remoteAddress, userAgent: 'account-pages-test/1.0' });

/** Opens the provider's sign-in page as the portal's redirect does; `login` submits it. */
async function startSignIn(app: FastifyInstance, remoteAddress?: string) {
  const b = browser(app, remoteAddress);
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const params = new URLSearchParams({
    client_id: 'cbp-portal',
    redirect_uri: `${portal}/auth/callback`,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 's',
  });
  const start = await b.request('GET', `/oidc/auth?${params}`);
  const interaction = String(start.headers.location);
  const page = await b.request('GET', interaction);
  const uid = interaction.split('/').pop() ?? '';
  const login = (email: string, password: string) => b.request('POST', `/oidc/interaction/${uid}/login`, { email, password });
  return { b, uid, page, login };
}

/** Signs in; true when the provider accepted the password (it redirects on, and the session is saved). */
async function signsIn(app: FastifyInstance, email: string, password: string) {
  const { b, login } = await startSignIn(app);
  const res = await login(email, password);
  if (res.statusCode !== 303) return false;
  await b.request('GET', String(res.headers.location));
  return true;
}

interface Mail {
  tenant_id: string | null;
  to_address: string;
  subject: string;
  body_text: string;
  kind: string;
}

let t: TestContext;
const rows = <T extends object>(query: ReturnType<typeof sql>) => platformRows<T>(t.database.db, query);
const mailsTo = (email: string) => rows<Mail>(sql`SELECT tenant_id, to_address, subject, body_text, kind FROM mail_outbox WHERE to_address = ${email} ORDER BY created_at, id`);
const linkIn = (mail: Mail | undefined, path: string) => {
  const found = new RegExp(`(http://localhost:14000${path}\\?token=([\\w-]+))`).exec(mail?.body_text ?? '');
  return { url: found?.[1] ?? '', token: found?.[2] ?? '' };
};
const auditOf = (action: string, targetName: string) =>
  rows<{ tenant_id: string; actor_email: string; actor_type: string; after: Record<string, unknown> | null; metadata: Record<string, unknown> }>(
    sql`SELECT tenant_id, actor_email, actor_type, after, metadata FROM audit_logs WHERE action = ${action} AND target_name = ${targetName} ORDER BY tenant_id`,
  );

/** The `id` of the element that describes `field` (aria-describedby) must hold `text`. */
function expectFieldError(html: string, field: string, text: string) {
  const input = new RegExp(`<input id="${field}"[^>]*aria-describedby="([^"]+)"`).exec(html);
  expect(input, `${field} has aria-describedby`).not.toBeNull();
  expect(html).toMatch(new RegExp(`<input id="${field}"[^>]*aria-invalid="true"`));
  const ids = (input?.[1] ?? '').split(' ');
  const described = ids.map((id) => new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1] ?? '').join(' ');
  expect(described).toContain(text);
}

beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

describe('the sign-in page', () => {
  it('offers "Forgot password?" and "Create an account", keeping the sign-in to come back to', async () => {
    const { page, uid } = await startSignIn(t.app);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`href="/oidc/account/forgot-password?uid=${uid}">Forgot password?</a>`);
    expect(page.body).toContain(`href="/oidc/account/sign-up?uid=${uid}">Create an account</a>`);
    // No script at all; the one stylesheet is allowed by its hash.
    expect(page.body).not.toContain('<script');
    const style = /<style>([\s\S]*)<\/style>/.exec(page.body)?.[1] ?? '';
    expect(String(page.headers['content-security-policy'])).toContain(`default-src 'none'; style-src 'sha256-${createHash('sha256').update(style).digest('base64')}';`);
    const forgot = await browser(t.app).request('GET', `/oidc/account/forgot-password?uid=${uid}`);
    expect(forgot.statusCode).toBe(200);
    expect(forgot.body).toContain('<label for="email">Email</label>');
    expect(forgot.body).toContain(`href="/oidc/interaction/${uid}">Back to sign in</a>`);
  });
});

describe('forgot password', () => {
  const email = 'engineer@acme.test';
  const newPassword = 'a-new-password-42';

  it('answers the same for an account and an unknown address, and mails only the account a single-use link', async () => {
    const b = browser(t.app, '10.1.0.1');
    const known = await b.request('POST', '/oidc/account/forgot-password', { email: 'Engineer@Acme.test' });
    const unknown = await b.request('POST', '/oidc/account/forgot-password', { email: 'nobody@acme.test' });
    expect(known.statusCode).toBe(200);
    expect(unknown.statusCode).toBe(200);
    const answer = (body: string) => body.replace(/engineer@acme\.test|nobody@acme\.test/gi, 'ADDRESS');
    expect(answer(known.body)).toBe(answer(unknown.body));
    expect(known.body).toContain('If an account exists for engineer@acme.test, we sent it a link to reset the password.');
    expect(await mailsTo('nobody@acme.test')).toEqual([]);
    const [mail] = await mailsTo(email);
    expect(mail).toMatchObject({ kind: 'password_reset', subject: 'Reset your CBP password', tenant_id: acme.id });
    expect(mail?.body_text).toContain('expires in 30 minutes');
    const { token } = linkIn(mail, '/oidc/account/reset-password');
    expect(token.length).toBeGreaterThanOrEqual(40);
    // Only the token's hash is kept, valid for 30 minutes.
    const [stored] = await rows<{ token_hash: string; minutes: number }>(
      sql`SELECT token_hash, extract(epoch FROM expires_at - created_at) / 60 AS minutes FROM password_reset_tokens WHERE user_id = '00000000-0000-4000-8000-000000000a02'`,
    );
    expect(stored?.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(Number(stored?.minutes)).toBeCloseTo(30, 0);
  });

  it('refuses an invalid address on the form with the error on the field', async () => {
    const res = await browser(t.app).request('POST', '/oidc/account/forgot-password', { email: 'not-an-email' });
    expect(res.statusCode).toBe(400);
    expectFieldError(res.body, 'email', 'Enter an email address such as name@example.com');
  });

  it('makes earlier links stop working when a new one is asked for', async () => {
    const b = browser(t.app, '10.1.0.2');
    const [first] = await mailsTo(email);
    await b.request('POST', '/oidc/account/forgot-password', { email });
    const mails = await mailsTo(email);
    expect(mails).toHaveLength(2);
    const old = await b.request('GET', linkIn(first, '/oidc/account/reset-password').url);
    expect(old.statusCode).toBe(404);
    expect(old.body).toContain('This password reset link is not valid');
    expect(old.body).toContain('href="/oidc/account/forgot-password">Ask for a new link</a>');
  });

  it('checks the new password and its confirmation with the same rules as elsewhere', async () => {
    const { url, token } = linkIn((await mailsTo(email)).at(-1), '/oidc/account/reset-password');
    const b = browser(t.app);
    const page = await b.request('GET', url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label for="password">New password</label>');
    expect(page.body).toContain('<label for="confirm">Confirm new password</label>');
    const short = await b.request('POST', '/oidc/account/reset-password', { token, password: 'short', confirm: 'short' });
    expect(short.statusCode).toBe(400);
    expectFieldError(short.body, 'password', 'Use at least 10 characters');
    const mismatch = await b.request('POST', '/oidc/account/reset-password', { token, password: newPassword, confirm: 'something-else-1' });
    expect(mismatch.statusCode).toBe(400);
    expectFieldError(mismatch.body, 'confirm', 'The passwords do not match');
    expect(await signsIn(t.app, email, 'demo1234!')).toBe(true);
  });

  it('changes the password once: signs out every session, spends the link, audits the change in the same step', async () => {
    // A session of the engineer, with a refresh token, before the reset.
    const before = await rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM oidc_payloads WHERE kind = 'Session' AND payload->>'accountId' = '00000000-0000-4000-8000-000000000a02'`);
    expect(before[0]?.n).toBeGreaterThan(0);
    const { token } = linkIn((await mailsTo(email)).at(-1), '/oidc/account/reset-password');
    const b = browser(t.app, '10.1.0.3');
    const done = await b.request('POST', '/oidc/account/reset-password', { token, password: newPassword, confirm: newPassword });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Password changed');
    expect(done.body).toContain(`href="${portal}/">Go to sign in</a>`);
    const after = await rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM oidc_payloads WHERE kind IN ('Session', 'Grant', 'RefreshToken') AND payload->>'accountId' = '00000000-0000-4000-8000-000000000a02'`);
    expect(after[0]?.n).toBe(0);
    expect(await auditOf('user.password_changed', email)).toEqual([
      expect.objectContaining({ tenant_id: acme.id, actor_email: email, actor_type: 'user', metadata: { method: 'reset_link' } }),
    ]);

    const again = await b.request('POST', '/oidc/account/reset-password', { token, password: 'yet-another-password', confirm: 'yet-another-password' });
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('This password reset link was already used');
    expect(await signsIn(t.app, email, 'demo1234!')).toBe(false);
    expect(await signsIn(t.app, email, newPassword)).toBe(true);
  });

  it('says a link expired, with a way to ask again', async () => {
    const b = browser(t.app, '10.1.0.4');
    await b.request('POST', '/oidc/account/forgot-password', { email: 'analyst@globex.test' });
    const [mail] = await mailsTo('analyst@globex.test');
    expect(mail?.tenant_id).toBe(globex.id);
    await t.database.execScript(`UPDATE password_reset_tokens SET expires_at = now() - interval '1 minute' WHERE used_at IS NULL`);
    const { url, token } = linkIn(mail, '/oidc/account/reset-password');
    const page = await b.request('GET', url);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('This password reset link has expired');
    expect(page.body).toContain('Ask for a new link');
    const post = await b.request('POST', '/oidc/account/reset-password', { token, password: 'expired-link-pass', confirm: 'expired-link-pass' });
    expect(post.statusCode).toBe(410);
    expect(await signsIn(t.app, 'analyst@globex.test', 'expired-link-pass')).toBe(false);
  });

  it('is throttled like sign-in, for any address (the answer does not tell whether it has an account)', async () => {
    const { baseDelaySeconds } = loginLimits;
    loginLimits.baseDelaySeconds = 60;
    try {
      const b = browser(t.app, '10.1.0.5');
      for (const who of ['admin@acme.test', 'ghost@acme.test']) {
        for (let i = 0; i < loginLimits.freeAttempts; i++) {
          expect((await b.request('POST', '/oidc/account/forgot-password', { email: who })).statusCode).toBe(200);
        }
        const refused = await b.request('POST', '/oidc/account/forgot-password', { email: who });
        expect(refused.statusCode).toBe(429);
        expect(refused.headers['retry-after']).toBeDefined();
        expect(refused.body).toContain('Too many reset requests.');
      }
      expect(await mailsTo('admin@acme.test')).toHaveLength(loginLimits.freeAttempts);
    } finally {
      loginLimits.baseDelaySeconds = baseDelaySeconds;
    }
  });
});

describe('sign-up by verified domain', () => {
  beforeAll(async () => {
    // Acme verified acme.example and lets it sign up (as engineers); it also verified
    // acme-private.example without allowing it. Globex verified globex.example and does not allow
    // it, and allows two domains it has not verified (pending.example; acme.example, which is Acme's).
    await t.database.execScript(`
      INSERT INTO organization_domains (tenant_id, domain, status, token, verified_at) VALUES
        ('${acme.id}', 'acme.example', 'verified', 't1', now()),
        ('${acme.id}', 'acme-private.example', 'verified', 't2', now()),
        ('${globex.id}', 'globex.example', 'verified', 't3', now()),
        ('${globex.id}', 'pending.example', 'pending', 't4', NULL);
      INSERT INTO organization_settings (tenant_id, allowed_signup_domains, default_role) VALUES
        ('${acme.id}', '{acme.example,globex.example}', 'engineer'),
        ('${globex.id}', '{pending.example,acme.example}', 'admin')
      ON CONFLICT (tenant_id) DO UPDATE SET allowed_signup_domains = excluded.allowed_signup_domains, default_role = excluded.default_role;
    `);
  });

  const signUp = (b: ReturnType<typeof browser>, form: Record<string, string>) =>
    b.request('POST', '/oidc/account/sign-up', { name: 'Nia New', password: 'nias-password-1', confirm: 'nias-password-1', ...form });

  it('joins every organization that verified and allows the domain, with its default role, and signs in', async () => {
    const b = browser(t.app, '10.2.0.1');
    const form = await b.request('GET', '/oidc/account/sign-up');
    expect(form.statusCode).toBe(200);
    for (const [id, label] of [['name', 'Full name'], ['email', 'Work email'], ['password', 'Password'], ['confirm', 'Confirm password']]) {
      expect(form.body).toContain(`<label for="${id}">${label}</label>`);
    }
    const sent = await signUp(b, { email: 'Nia@Acme.Example' });
    expect(sent.statusCode).toBe(200);
    expect(sent.body).toContain('We sent a link to nia@acme.example.');
    // No account until the link is followed.
    expect(await rows(sql`SELECT 1 FROM users WHERE email = 'nia@acme.example'`)).toEqual([]);
    const [mail] = await mailsTo('nia@acme.example');
    expect(mail).toMatchObject({ kind: 'signup_verification', tenant_id: acme.id, subject: 'Confirm your email to join Acme Corp on CBP' });
    const { url, token } = linkIn(mail, '/oidc/account/confirm-sign-up');

    // Opening the link (a mail scanner could) only shows what will happen.
    const confirm = await b.request('GET', url);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('<li><span>Acme Corp</span><span class="role">Engineer</span></li>');
    expect(confirm.body).not.toContain('Globex');
    expect(await rows(sql`SELECT 1 FROM users WHERE email = 'nia@acme.example'`)).toEqual([]);

    const done = await b.request('POST', '/oidc/account/confirm-sign-up', { token });
    expect(done.statusCode).toBe(201);
    expect(done.body).toContain('Your account is ready');
    const memberships = await rows<{ tenant_id: string; role: string; status: string }>(
      sql`SELECT m.tenant_id, m.role, m.status FROM tenant_memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'nia@acme.example'`,
    );
    expect(memberships).toEqual([{ tenant_id: acme.id, role: 'engineer', status: 'active' }]);
    expect(await auditOf('member.joined', 'nia@acme.example')).toEqual([
      expect.objectContaining({ tenant_id: acme.id, actor_email: 'nia@acme.example', actor_type: 'user', after: { role: 'engineer' }, metadata: expect.objectContaining({ reason: 'verified domain', domain: 'acme.example' }) }),
    ]);
    const events = await rows<{ tenant_id: string; payload: Record<string, unknown> }>(sql`SELECT tenant_id, payload FROM domain_events WHERE type = 'invitation.accepted' AND payload->>'email' = 'nia@acme.example'`);
    expect(events).toEqual([{ tenant_id: acme.id, payload: expect.objectContaining({ via: 'verified_domain', role: 'engineer' }) }]);

    // Acme's admins are told who joined and how.
    await t.app.events.drain();
    const inbox = await t.app.inject({ url: '/notifications?limit=50', headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id } });
    expect(inbox.json().data.map((n: { body: string }) => n.body)).toContain('nia@acme.example signed up with an address of the verified domain acme.example and joined as engineer.');

    expect(await signsIn(t.app, 'nia@acme.example', 'nias-password-1')).toBe(true);
    // The admins of Acme see the new member; Globex's do not.
    const members = async (who: string, tenantId: string) =>
      (await t.app.inject({ url: '/users?limit=100', headers: { authorization: `Bearer ${await t.tokenFor(who)}`, 'x-tenant-id': tenantId } })).json().data.map((m: { email: string }) => m.email);
    expect(await members('admin@acme.test', acme.id)).toContain('nia@acme.example');
    expect(await members('owner@globex.test', globex.id)).not.toContain('nia@acme.example');

    // The link works once.
    const again = await b.request('POST', '/oidc/account/confirm-sign-up', { token });
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('This sign-up link was already used');
  });

  it('refuses a domain that is verified but not allowed, and one allowed but not verified (anyone\'s), naming no organization', async () => {
    const b = browser(t.app, '10.2.0.2');
    for (const email of ['ivy@acme-private.example', 'ivy@pending.example', 'ivy@globex.example', 'ivy@gmail.example']) {
      const res = await signUp(b, { email });
      expect(res.statusCode, email).toBe(403);
      expectFieldError(res.body, 'email', 'This email address cannot sign up here. Ask the administrator of your organization to invite you.');
      expect(res.body).not.toMatch(/Acme Corp|Globex/);
      expect(await mailsTo(email)).toEqual([]);
    }
    expect(await rows(sql`SELECT 1 FROM signup_verifications WHERE email LIKE 'ivy@%'`)).toEqual([]);
  });

  it('checks the form: name, email, password rules and confirmation, each error on its field', async () => {
    const res = await browser(t.app).request('POST', '/oidc/account/sign-up', { name: ' ', email: 'nope', password: 'short', confirm: 'short' });
    expect(res.statusCode).toBe(400);
    expectFieldError(res.body, 'name', 'Enter your name');
    expectFieldError(res.body, 'email', 'Enter an email address such as name@example.com');
    expectFieldError(res.body, 'password', 'Use at least 10 characters');
    const mismatch = await browser(t.app).request('POST', '/oidc/account/sign-up', { name: 'Ned', email: 'ned@acme.example', password: 'long-enough-1', confirm: 'long-enough-2' });
    expectFieldError(mismatch.body, 'confirm', 'The passwords do not match');
  });

  it('creates no second account: an existing address gets a note by mail, and a link followed after the account appeared says so', async () => {
    const b = browser(t.app, '10.2.0.3');
    // The page answers as for a new address; the mail tells the account holder.
    const existing = await signUp(b, { email: 'nia@acme.example' });
    expect(existing.statusCode).toBe(200);
    expect(existing.body).toContain('We sent a link to nia@acme.example.');
    expect((await mailsTo('nia@acme.example')).at(-1)).toMatchObject({ kind: 'signup_existing_account', subject: 'You already have a CBP account' });

    await signUp(b, { email: 'omar@acme.example' });
    const { token } = linkIn((await mailsTo('omar@acme.example'))[0], '/oidc/account/confirm-sign-up');
    // Meanwhile Omar got an account another way (an invitation).
    await t.database.execScript(`INSERT INTO users (email, name, status) VALUES ('omar@acme.example', 'Omar', 'active')`);
    const opened = await b.request('GET', linkIn((await mailsTo('omar@acme.example'))[0], '/oidc/account/confirm-sign-up').url);
    expect(opened.statusCode).toBe(409);
    expect(opened.body).toContain('You already have an account');
    const res = await b.request('POST', '/oidc/account/confirm-sign-up', { token });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('You already have an account');
    expect(res.body).toContain('href="/oidc/account/forgot-password">Forgot password?</a>');
    expect(await rows(sql`SELECT 1 FROM users WHERE lower(email) = 'omar@acme.example'`)).toHaveLength(1);
    expect(await rows(sql`SELECT 1 FROM tenant_memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'omar@acme.example'`)).toEqual([]);
  });

  it('says a sign-up link expired or is unknown, and creates nothing', async () => {
    const b = browser(t.app, '10.2.0.4');
    await signUp(b, { email: 'pat@acme.example' });
    const { url, token } = linkIn((await mailsTo('pat@acme.example'))[0], '/oidc/account/confirm-sign-up');
    await t.database.execScript(`UPDATE signup_verifications SET expires_at = now() - interval '1 second' WHERE email = 'pat@acme.example'`);
    const page = await b.request('GET', url);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('This sign-up link has expired');
    expect(page.body).toContain('href="/oidc/account/sign-up">Sign up again</a>');
    expect((await b.request('POST', '/oidc/account/confirm-sign-up', { token })).statusCode).toBe(410);
    expect((await b.request('POST', '/oidc/account/confirm-sign-up', { token: 'made-up-token' })).statusCode).toBe(404);
    expect(await rows(sql`SELECT 1 FROM users WHERE email = 'pat@acme.example'`)).toEqual([]);
  });

  it('joins nothing and creates no account when the organization has no seat left (its plan caps members)', async () => {
    const b = browser(t.app, '10.2.0.6');
    await signUp(b, { email: 'rosa@acme.example' });
    const { token } = linkIn((await mailsTo('rosa@acme.example'))[0], '/oidc/account/confirm-sign-up');
    // On the Free plan (3 seats) Acme's members already fill every seat.
    await t.database.execScript(`UPDATE tenants SET plan_id = (SELECT id FROM plans WHERE key = 'free') WHERE id = '${acme.id}'`);
    try {
      const res = await b.request('POST', '/oidc/account/confirm-sign-up', { token });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('Sign-up is no longer possible');
      expect(await rows(sql`SELECT 1 FROM users WHERE email = 'rosa@acme.example'`)).toEqual([]);
    } finally {
      await t.database.execScript(`UPDATE tenants SET plan_id = (SELECT id FROM plans WHERE key = 'pro') WHERE id = '${acme.id}'`);
    }
  });

  it('joins nothing when the organization stopped allowing the domain after the link was sent', async () => {
    const b = browser(t.app, '10.2.0.5');
    await signUp(b, { email: 'quinn@acme.example' });
    const { token } = linkIn((await mailsTo('quinn@acme.example'))[0], '/oidc/account/confirm-sign-up');
    await t.database.execScript(`UPDATE organization_settings SET allowed_signup_domains = '{}' WHERE tenant_id = '${acme.id}'`);
    const res = await b.request('POST', '/oidc/account/confirm-sign-up', { token });
    expect(res.statusCode).toBe(403);
    expect(await rows(sql`SELECT 1 FROM users WHERE email = 'quinn@acme.example'`)).toEqual([]);
  });
});
