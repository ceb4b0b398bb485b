import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { startFakeRealm, type FakeRealm } from '../../../test/oidc-realm.js';
import { verifyPassword } from '../../adapters/identity/builtin/passwords.js';
import { platformRows } from '../../platform/db.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function call(email: string | null, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, tenantId: string = acme.id, ctx: TestContext = t) {
  return ctx.app.inject({
    method,
    url,
    headers: email ? { authorization: `Bearer ${await ctx.tokenFor(email)}`, 'x-tenant-id': tenantId } : {},
    ...(payload ? { payload } : {}),
  });
}

/** The token in the latest invitation mail to `email`, read from the outbox as a person would read the link. */
async function mailedLink(email: string, ctx: TestContext = t) {
  const [mail] = await platformRows<{ body_text: string; subject: string; status: string }>(
    ctx.database.db,
    sql`SELECT body_text, subject, status FROM mail_outbox WHERE to_address = ${email} AND kind = 'invitation' ORDER BY created_at DESC LIMIT 1`,
  );
  const link = /(http\S+\/invitations\/accept\?token=([\w-]+))/.exec(mail?.body_text ?? '');
  return { mail, link: link?.[1], token: link?.[2] ?? '' };
}

const invitationCount = async () => (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM user_invitations`))[0]?.n ?? 0;
const membershipCount = async () => (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM tenant_memberships`))[0]?.n ?? 0;

describe('inviting', () => {
  it('creates an invitation and mails a single-use link to the portal (admin)', async () => {
    const res = await call('admin@acme.test', 'POST', '/user-invitations', { email: 'Dana@Example.com', role: 'engineer', message: 'Welcome aboard!' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ email: 'dana@example.com', role: 'engineer', status: 'pending', sendCount: 1, invitedBy: { email: 'admin@acme.test' } });
    const expires = new Date(res.json().expiresAt).getTime() - Date.now();
    expect(expires).toBeGreaterThan(6.9 * 86_400_000);
    expect(expires).toBeLessThan(7.1 * 86_400_000);
    const { mail, link } = await mailedLink('dana@example.com');
    expect(mail).toMatchObject({ subject: 'Adele Admin invited you to Acme Corp on CBP', status: 'captured' });
    expect(mail?.body_text).toContain('Welcome aboard!');
    expect(link).toMatch(/^http:\/\/localhost:27100\/invitations\/accept\?token=/);
    // The database keeps only a hash of the token.
    const [stored] = await platformRows<{ token_hash: string }>(t.database.db, sql`SELECT token_hash FROM user_invitations WHERE email = 'dana@example.com'`);
    expect(mail?.body_text).not.toContain(stored?.token_hash ?? 'x');
  });

  it('refuses duplicates, members, roles above the inviter and non-admins', async () => {
    const before = await invitationCount();
    expect((await call('admin@acme.test', 'POST', '/user-invitations', { email: 'dana@example.com', role: 'analyst' })).statusCode).toBe(409);
    const member = await call('admin@acme.test', 'POST', '/user-invitations', { email: 'engineer@acme.test', role: 'analyst' });
    expect(member.statusCode).toBe(409);
    expect(member.json().detail).toBe('engineer@acme.test is already a member of this organization.');
    const owner = await call('admin@acme.test', 'POST', '/user-invitations', { email: 'boss@example.com', role: 'owner' });
    expect(owner.statusCode).toBe(403);
    expect((await call('engineer@acme.test', 'POST', '/user-invitations', { email: 'x@example.com', role: 'analyst' })).statusCode).toBe(403);
    expect((await call('admin@acme.test', 'POST', '/user-invitations', { email: 'not-an-email', role: 'analyst' })).statusCode).toBe(400);
    expect(await invitationCount()).toBe(before);
  });

  it('bulk-invites row by row: good rows go ahead, a malformed row is reported and nothing else changes', async () => {
    const before = { invitations: await invitationCount(), members: await membershipCount() };
    const res = await call('admin@acme.test', 'POST', '/user-invitations/bulk', {
      invitations: [
        { email: 'erin@example.com', role: 'analyst' },
        { email: 'frank(at)example.com', role: 'analyst' },
        { email: 'grace@example.com', role: 'Engineer' },
        { email: 'erin@example.com', role: 'admin' },
        { email: 'owner.wannabe@example.com', role: 'owner' },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      created: 2,
      failed: 3,
      results: [
        { index: 0, key: 'erin@example.com', ok: true, status: 201 },
        { index: 1, key: 'frank(at)example.com', ok: false, status: 400, message: '"frank(at)example.com" is not a valid email address.' },
        { index: 2, key: 'grace@example.com', ok: true },
        { index: 3, ok: false, status: 409 },
        { index: 4, ok: false, status: 403, message: 'Only an owner can invite an owner.' },
      ],
    });
    expect(await invitationCount()).toBe(before.invitations + 2);
    expect(await membershipCount()).toBe(before.members);
    expect((await mailedLink('grace@example.com')).token).not.toBe('');
  });

  it('lists invitations by status (admin) and never across tenants', async () => {
    const pending = (await call('admin@acme.test', 'GET', '/user-invitations?status=pending')).json() as { data: { email: string }[]; total: number };
    // new.hire@acme.test: the demo's own pending invitation.
    expect(pending.data.map((i) => i.email).sort()).toEqual(['dana@example.com', 'erin@example.com', 'grace@example.com', 'new.hire@acme.test']);
    expect((await call('admin@acme.test', 'GET', '/user-invitations?search=gra')).json().total).toBe(1);
    expect((await call('owner@globex.test', 'GET', '/user-invitations', undefined, globex.id)).json()).toEqual({ data: [], total: 0 });
    expect((await call('analyst@acme.test', 'GET', '/user-invitations')).statusCode).toBe(403);
  });
});

describe('accepting', () => {
  it('shows what a link is for, without a session', async () => {
    const { token } = await mailedLink('dana@example.com');
    const res = await call(null, 'POST', '/user-invitations/preview', { token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ tenantName: 'Acme Corp', email: 'dana@example.com', role: 'engineer', invitedBy: 'Adele Admin', existingUser: false, identity: 'builtin' });
    expect((await call(null, 'POST', '/user-invitations/preview', { token: 'x'.repeat(43) })).statusCode).toBe(404);
  });

  it('creates the account of a new person, who joins with the invited role, once', async () => {
    const { token } = await mailedLink('dana@example.com');
    const noName = await call(null, 'POST', '/user-invitations/accept', { token, password: 'trust-no-one-1' });
    expect(noName.json().errors).toEqual([{ path: 'body.name', message: 'Required for a new account' }]);
    const noPassword = await call(null, 'POST', '/user-invitations/accept', { token, name: 'Dana' });
    expect(noPassword.statusCode).toBe(400);
    expect(noPassword.json().errors).toEqual([{ path: 'body.password', message: 'Required for a new account' }]);
    const res = await call(null, 'POST', '/user-invitations/accept', { token, name: 'Dana Scully', password: 'trust-no-one-1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ tenantId: acme.id, tenantName: 'Acme Corp', role: 'engineer', email: 'dana@example.com', next: 'sign-in' });
    const [user] = await platformRows<{ id: string; name: string; password_hash: string; role: string }>(
      t.database.db,
      sql`SELECT u.id, u.name, u.password_hash, m.role FROM users u JOIN tenant_memberships m ON m.user_id = u.id AND m.tenant_id = ${acme.id} WHERE u.email = 'dana@example.com'`,
    );
    expect(user).toMatchObject({ name: 'Dana Scully', role: 'engineer' });
    expect(await verifyPassword('trust-no-one-1', user?.password_hash ?? null)).toBe(true);
    // Used once: the same link now grants nothing.
    const again = await call(null, 'POST', '/user-invitations/accept', { token, name: 'Mallory', password: 'another-password-2' });
    expect(again.statusCode).toBe(410);
    expect(again.json().detail).toBe('This invitation has already been used. Sign in to reach the organization.');
    expect((await call(null, 'POST', '/user-invitations/preview', { token })).statusCode).toBe(410);
    const [joined] = await platformRows<{ actor_email: string; after: unknown }>(t.database.db, sql`SELECT actor_email, after FROM audit_logs WHERE action = 'member.joined'`);
    expect(joined).toEqual({ actor_email: 'dana@example.com', after: { role: 'engineer' } });
  });

  it('adds an existing account to the tenant without touching its password', async () => {
    expect((await call('owner@acme.test', 'POST', '/user-invitations', { email: 'owner@globex.test', role: 'analyst' })).statusCode).toBe(201);
    const { token } = await mailedLink('owner@globex.test');
    expect((await call(null, 'POST', '/user-invitations/preview', { token })).json().existingUser).toBe(true);
    const res = await call(null, 'POST', '/user-invitations/accept', { token });
    expect(res.statusCode).toBe(200);
    expect((await call('owner@globex.test', 'GET', '/tenants/current')).json()).toMatchObject({ id: acme.id });
    expect((await call('owner@globex.test', 'GET', '/users?search=gus')).json().data).toEqual([expect.objectContaining({ name: 'Gus Owner', role: 'analyst' })]);
  });

  it('refuses expired and cancelled invitations with a clear message, granting nothing', async () => {
    const erin = await mailedLink('erin@example.com');
    await t.database.execScript(`UPDATE user_invitations SET expires_at = now() - interval '1 hour' WHERE email = 'erin@example.com'`);
    const members = await membershipCount();
    const expired = await call(null, 'POST', '/user-invitations/accept', { token: erin.token, name: 'Erin', password: 'erin-password-1' });
    expect(expired.statusCode).toBe(410);
    expect(expired.json().detail).toMatch(/^This invitation expired on .+\. Ask Adele Admin for a new one\.$/);
    expect((await call('admin@acme.test', 'GET', '/user-invitations?status=expired')).json().data).toEqual([expect.objectContaining({ email: 'erin@example.com', status: 'expired' })]);

    const grace = await call('admin@acme.test', 'GET', '/user-invitations?search=grace');
    const graceId = grace.json().data[0].id as string;
    const graceLink = await mailedLink('grace@example.com');
    expect((await call('admin@acme.test', 'DELETE', `/user-invitations/${graceId}`)).statusCode).toBe(204);
    const cancelled = await call(null, 'POST', '/user-invitations/accept', { token: graceLink.token, name: 'Grace', password: 'grace-password-1' });
    expect(cancelled.statusCode).toBe(410);
    expect(cancelled.json().detail).toBe('This invitation was cancelled. Ask Adele Admin for a new one.');
    expect((await call('admin@acme.test', 'DELETE', `/user-invitations/${graceId}`)).statusCode).toBe(409);
    expect(await membershipCount()).toBe(members);
  });

  it('resends an expired invitation with a new link; the old link stops working', async () => {
    const old = await mailedLink('erin@example.com');
    const id = (await call('admin@acme.test', 'GET', '/user-invitations?search=erin')).json().data[0].id as string;
    const res = await call('admin@acme.test', 'POST', `/user-invitations/${id}/resend`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'pending', sendCount: 2 });
    const fresh = await mailedLink('erin@example.com');
    expect(fresh.token).not.toBe(old.token);
    expect((await call(null, 'POST', '/user-invitations/preview', { token: old.token })).statusCode).toBe(404);
    expect((await call(null, 'POST', '/user-invitations/accept', { token: fresh.token, name: 'Erin', password: 'erin-password-1' })).statusCode).toBe(200);
    expect((await call('admin@acme.test', 'POST', `/user-invitations/${id}/resend`)).statusCode).toBe(409);
  });
});

describe('accepting with an external identity provider (Keycloak)', () => {
  let realm: FakeRealm;
  let k: TestContext;
  beforeAll(async () => {
    realm = await startFakeRealm();
    k = await createTestContext({ OIDC_ISSUER_URL: realm.issuer, OIDC_AUDIENCE: 'cbp-api', OIDC_CLIENT_ID: 'cbp-portal', PORTAL_URL: 'https://portal.example' });
  });
  afterAll(async () => {
    await k.close();
    await realm.close();
  });

  it("sends a new person to the provider's registration page, storing no password; an existing account just signs in", async () => {
    const admin = { authorization: `Bearer ${await realm.sign({ email: 'admin@acme.test', email_verified: true })}`, 'x-tenant-id': acme.id };
    const invited = await k.app.inject({ method: 'POST', url: '/user-invitations', headers: admin, payload: { email: 'kim@example.com', role: 'engineer' } });
    expect(invited.statusCode, invited.body).toBe(201);
    const { token } = await mailedLink('kim@example.com', k);
    expect((await k.app.inject({ method: 'POST', url: '/user-invitations/preview', payload: { token } })).json()).toMatchObject({ identity: 'external', existingUser: false });
    // The provider keeps passwords: none is asked for, and one sent is not stored.
    const res = await k.app.inject({ method: 'POST', url: '/user-invitations/accept', payload: { token, name: 'Kim Lee', password: 'not-kept-here-1' } });
    expect(res.statusCode, res.body).toBe(200);
    const registration = new URL(res.json().registrationUrl as string);
    expect(res.json()).toMatchObject({ next: 'register', role: 'engineer', email: 'kim@example.com' });
    expect(`${registration.origin}${registration.pathname}`).toBe(`${realm.issuer}/protocol/openid-connect/registrations`);
    expect(Object.fromEntries(registration.searchParams)).toEqual({
      client_id: 'cbp-portal',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: 'https://portal.example/auth/callback',
    });
    const [kim] = await platformRows<{ password_hash: string | null }>(k.database.db, sql`SELECT password_hash FROM users WHERE email = 'kim@example.com'`);
    expect(kim).toEqual({ password_hash: null });

    // Someone who already has an account is sent to sign in.
    expect((await k.app.inject({ method: 'POST', url: '/user-invitations', headers: admin, payload: { email: 'owner@globex.test', role: 'analyst' } })).statusCode).toBe(201);
    const existing = await k.app.inject({ method: 'POST', url: '/user-invitations/accept', payload: { token: (await mailedLink('owner@globex.test', k)).token } });
    expect(existing.json()).toMatchObject({ next: 'sign-in' });
    expect(existing.json()).not.toHaveProperty('registrationUrl');
  });
});

describe('mail outbox', () => {
  it('is readable by platform staff only (it holds invitation links)', async () => {
    const staff = await call('staff@cbp.test', 'GET', '/mail/outbox?limit=100');
    expect(staff.statusCode).toBe(200);
    expect(staff.json().data.some((m: { to: string; kind: string }) => m.to === 'dana@example.com' && m.kind === 'invitation')).toBe(true);
    expect((await call('owner@acme.test', 'GET', '/mail/outbox')).statusCode).toBe(403);
    expect((await call('staff@cbp.test', 'GET', '/mail/outbox', undefined, globex.id)).json().data.some((m: { to: string }) => m.to === 'dana@example.com')).toBe(false);
  });

  it('sends through SMTP when SMTP_URL is set, and marks the message sent', async () => {
    const received: { to: string[]; body: string }[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, done) {
        let body = '';
        stream.on('data', (c: Buffer) => (body += c.toString()));
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), body });
          done();
        });
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    const { port } = server.server.address() as AddressInfo;
    // Delivery is the mail.delivery workflow: this copy's engine runs it (polling every 50 ms).
    const smtp = await createTestContext({ SMTP_URL: `smtp://127.0.0.1:${port}?tls=off`, MAIL_DELIVERY_INTERVAL_MS: '50', WORKFLOW_POLL_INTERVAL_MS: '50' });
    try {
      expect((await call('admin@acme.test', 'POST', '/user-invitations', { email: 'hank@example.com', role: 'analyst' }, acme.id, smtp)).statusCode).toBe(201);
      for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(received).toHaveLength(1);
      expect(received[0]?.to).toEqual(['hank@example.com']);
      // The text part is quoted-printable: undo soft line breaks and =3D before reading the link.
      const text = received[0]?.body.replace(/=\r?\n/g, '').replaceAll('=3D', '=') ?? '';
      expect(text).toContain('Subject: Adele Admin invited you to Acme Corp on CBP');
      expect(text).toMatch(/\/invitations\/accept\?token=[\w-]{43}/);
      for (let i = 0; i < 40 && (await mailedLink('hank@example.com', smtp)).mail?.status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await mailedLink('hank@example.com', smtp)).mail?.status).toBe('sent');
      // Sent exactly once, by a recorded run in Acme's scope (send, then the outbox row marked sent).
      await new Promise((r) => setTimeout(r, 300));
      expect(received).toHaveLength(1);
      const { data } = await smtp.app.workflows.list({ tenantId: acme.id }, { type: 'mail.delivery' });
      expect(data).toHaveLength(1);
      const run = await smtp.app.workflows.describe({ tenantId: acme.id }, data[0]?.id ?? '');
      expect(run?.steps.map((s) => [s.name, s.status])).toEqual([
        ['send', 'completed'],
        ['record-delivery', 'completed'],
      ]);
    } finally {
      await smtp.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
