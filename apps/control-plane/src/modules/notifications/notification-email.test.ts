import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import type { NotificationPage, NotificationSettings } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';
import { notificationDigestWorkflowId, notificationDigestWorkflowType, startNotificationDigest } from './notifications.workflows.js';

// The email channel of notifications (issue 14, acceptance 2): templates, signed unsubscribe
// links that work signed out, and the daily digest.

let t: TestContext;
const hostileName = '<script>alert("x")</script> Ada & Co';

beforeAll(async () => {
  // The engine runs workflows (the digest); events are delivered by drain() only.
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25', EVENTS_POLL_INTERVAL_MS: '0' });
  // A user-provided name with markup: the HTML mail must show it, never run it.
  await t.database.execScript(`UPDATE users SET name = '${hostileName.replaceAll("'", "''")}' WHERE email = 'admin@acme.test'`);
});
afterAll(() => t.close());

async function call(email: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, ctx: TestContext = t) {
  return ctx.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await ctx.tokenFor(email)}`, 'x-tenant-id': acme.id },
    ...(payload ? { payload } : {}),
  });
}

interface OutboxMail {
  to_address: string;
  subject: string;
  body_text: string;
  body_html: string | null;
  headers: Record<string, string>;
  kind: string;
}
const mails = (kind: string, to?: string) =>
  platformRows<OutboxMail>(
    t.database.db,
    sql`SELECT to_address, subject, body_text, body_html, headers, kind FROM mail_outbox
        WHERE kind = ${kind} ${to ? sql`AND to_address = ${to}` : sql``} ORDER BY created_at, to_address`,
  );

const settingsOf = async (email: string) => (await call(email, 'GET', '/notifications/settings')).json() as NotificationSettings;
const softLimitRows = async (email: string) =>
  ((await call(email, 'GET', '/notifications?type=quota.soft_limit_crossed&limit=100')).json() as NotificationPage).data;

/** Pushes Acme's metric just over its soft limit, as the engineer, and delivers the events. */
async function crossSoftLimit(metric: string, key: string, ctx: TestContext = t) {
  const status = ((await call('analyst@acme.test', 'GET', '/usage/status', undefined, ctx)).json() as { metricType: string; currentUsage: number; softLimit: number }[]).find(
    (s) => s.metricType === metric,
  );
  if (!status) throw new Error(`no ${metric} quota`);
  const res = await call(
    'engineer@acme.test',
    'POST',
    '/usage/events',
    { events: [{ metricType: metric, quantity: Math.max(1, status.softLimit - status.currentUsage + 1), idempotencyKey: key }] },
    ctx,
  );
  expect(res.statusCode, res.body).toBe(200);
  await ctx.app.events.drain();
}

/** The unsubscribe URL of a mail, from its List-Unsubscribe header, as a path + query for inject(). */
function unsubscribeLink(mail: OutboxMail): { path: string; token: string } {
  const header = mail.headers['List-Unsubscribe'] ?? '';
  const url = new URL(/^<(.+)>$/.exec(header)?.[1] ?? 'http://invalid/');
  return { path: `${url.pathname}${url.search}`, token: url.searchParams.get('token') ?? '' };
}

const anonymous = (method: 'GET' | 'POST', url: string, options: { payload?: object | string; headers?: Record<string, string> } = {}) =>
  t.app.inject({ method, url, ...options });

const unsubscribeAudits = () =>
  platformRows<{ actor_email: string; actor_type: string; after: Record<string, unknown>; metadata: Record<string, unknown> }>(
    t.database.db,
    sql`SELECT actor_email, actor_type, after, metadata FROM audit_logs
        WHERE action = 'notification_settings.updated' AND metadata ->> 'via' = 'unsubscribe_link' ORDER BY created_at`,
  );

let adminMail: OutboxMail;
let ownerMail: OutboxMail;

describe('notification mail', () => {
  it('carries HTML and plain text with the type’s title, the portal link and an unsubscribe link (RFC 8058 headers)', async () => {
    await crossSoftLimit('api_calls', 'email-soft-1');
    const sent = await mails('notification.quota.soft_limit_crossed');
    expect(sent.map((m) => m.to_address)).toEqual(['admin@acme.test', 'owner@acme.test']);
    [adminMail, ownerMail] = sent as [OutboxMail, OutboxMail];

    expect(ownerMail.subject).toBe('[CBP] Usage above the soft limit');
    expect(ownerMail.body_html).toMatch(/^<!doctype html>/);
    expect(ownerMail.body_html).toContain('Usage above the soft limit');
    expect(ownerMail.body_html).toContain('API calls reached');
    expect(ownerMail.body_html).toContain('View in portal');
    expect(ownerMail.body_html).toMatch(/href="http:\/\/[^"]+\/usage\/quotas"/);
    expect(ownerMail.body_text).toContain('Usage above the soft limit');
    expect(ownerMail.body_text).toMatch(/View in portal: http:\/\/\S+\/usage\/quotas/);
    expect(ownerMail.body_text).not.toContain('<');

    const { token } = unsubscribeLink(ownerMail);
    expect(token).not.toBe('');
    expect(ownerMail.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(ownerMail.body_text).toContain(`/notifications/unsubscribe?token=${encodeURIComponent(token)}`);
    // The same link in the HTML footer (& escaped as an attribute value would be, if present).
    expect(ownerMail.body_html).toContain(`/notifications/unsubscribe?token=${encodeURIComponent(token)}`);
    // Each recipient has their own link.
    expect(unsubscribeLink(adminMail).token).not.toBe(token);
  });

  it('escapes user-provided text in the HTML (a member named with <script>) and keeps it verbatim in the text part', async () => {
    expect(adminMail.body_html).not.toContain('<script>');
    expect(adminMail.body_html).toContain('Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Ada &amp; Co,');
    expect(adminMail.body_text).toContain(`Hello ${hostileName},`);
  });
});

describe('unsubscribe link', () => {
  it('refuses a tampered or forged token with 400 and changes nothing', async () => {
    const { token } = unsubscribeLink(adminMail);
    const before = await settingsOf('admin@acme.test');
    const [payload = '', signature = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, string>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, n: 'payment.failed' })).toString('base64url');
    const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    for (const bad of [`${forgedPayload}.${signature}`, `${payload}.${flipped}`, `${payload}.`, 'not-a-token', token.slice(0, -2)]) {
      const json = await anonymous('POST', '/notifications/unsubscribe', { payload: { token: bad } });
      expect(json.statusCode, bad).toBe(400);
      expect(json.headers['content-type']).toContain('application/problem+json');
      expect(json.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      const page = await anonymous('GET', `/notifications/unsubscribe?token=${encodeURIComponent(bad)}`, { headers: { accept: 'text/html' } });
      expect(page.statusCode).toBe(400);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('not valid');
      const problem = await anonymous('GET', `/notifications/unsubscribe?token=${encodeURIComponent(bad)}`);
      expect(problem.statusCode).toBe(400);
      expect(problem.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      const form = await anonymous('POST', '/notifications/unsubscribe', {
        payload: `token=${encodeURIComponent(bad)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      });
      expect(form.statusCode).toBe(400);
      expect(form.body).toContain('not valid');
    }
    expect(await anonymous('POST', '/notifications/unsubscribe', { payload: {} }).then((r) => r.statusCode)).toBe(400);
    expect(before.types['quota.soft_limit_crossed'].email).toBe(true);
    expect(await settingsOf('admin@acme.test')).toEqual(before);
    expect(await unsubscribeAudits()).toHaveLength(0);
  });

  it('shows a confirm page to a GET without any Authorization header, and the GET alone changes nothing', async () => {
    const { path, token } = unsubscribeLink(ownerMail);
    const page = await anonymous('GET', path);
    expect(page.statusCode, page.body).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('owner@acme.test');
    expect(page.body).toContain('“Usage above the soft limit” emails');
    expect(page.body).toMatch(/<form method="post" action="unsubscribe">/);
    expect(page.body).toContain(`name="token" value="${token}"`);
    expect((await settingsOf('owner@acme.test')).types['quota.soft_limit_crossed'].email).toBe(true);
  });

  it('confirming (the page’s form, signed out) turns that type’s email off for that user only, audited with the user as actor', async () => {
    const { token } = unsubscribeLink(ownerMail);
    const res = await anonymous('POST', '/notifications/unsubscribe', {
      payload: `token=${encodeURIComponent(token)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('You are unsubscribed');

    const owner = await settingsOf('owner@acme.test');
    expect(owner.types['quota.soft_limit_crossed']).toEqual({ inApp: true, email: false });
    expect(owner.types['payment.failed'].email).toBe(true);
    expect((await settingsOf('admin@acme.test')).types['quota.soft_limit_crossed'].email).toBe(true);

    const audits = await unsubscribeAudits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_type: 'user', actor_email: 'owner@acme.test', after: { types: { 'quota.soft_limit_crossed': { inApp: true, email: false } } } });
  });

  it('answers RFC 8058 one-click and JSON posts; a repeat changes and audits nothing', async () => {
    const { path, token } = unsubscribeLink(ownerMail);
    const oneClick = await anonymous('POST', path, { payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(oneClick.statusCode, oneClick.body).toBe(200);
    expect(oneClick.json()).toEqual({ type: 'quota.soft_limit_crossed', channel: 'email', email: false, changed: false });
    const json = await anonymous('POST', '/notifications/unsubscribe', { payload: { token } });
    expect(json.json()).toMatchObject({ changed: false });
    expect(await unsubscribeAudits()).toHaveLength(1);
  });
});

describe('turning email off', () => {
  it('for quota warnings (settings or the link) stops the emails but not the in-app entry', async () => {
    const patch = await call('admin@acme.test', 'PATCH', '/notifications/settings', { types: { 'quota.soft_limit_crossed': { email: false } } });
    expect(patch.statusCode, patch.body).toBe(200);
    await crossSoftLimit('storage_gb', 'email-soft-storage');
    for (const email of ['admin@acme.test', 'owner@acme.test']) {
      expect((await softLimitRows(email)).filter((n) => n.body.startsWith('Storage'))).toHaveLength(1);
    }
    // Only the first crossing's mails: none for the admin (settings) nor the owner (unsubscribed).
    expect(await mails('notification.quota.soft_limit_crossed')).toHaveLength(2);
  });
});

describe('daily digest', () => {
  it('holds back non-critical emails and sends one digest per user and day, however many runs', async () => {
    const patch = await call('admin@acme.test', 'PATCH', '/notifications/settings', { types: { 'quota.soft_limit_crossed': { email: true } }, digest: true });
    expect(patch.statusCode, patch.body).toBe(200);
    await crossSoftLimit('workflows', 'email-soft-workflows');
    expect((await softLimitRows('admin@acme.test')).filter((n) => n.body.startsWith('Workflow runs'))).toHaveLength(1);
    expect(await mails('notification.quota.soft_limit_crossed', 'admin@acme.test')).toHaveLength(1); // the first crossing's only

    const day = new Date().toISOString().slice(0, 10);
    // Two runs of the same day (e.g. a retried start under another id), plus the trigger's own run.
    const runs = await Promise.all(
      ['digest-test-a', 'digest-test-b'].map((workflowId) => t.app.workflows.start({ type: notificationDigestWorkflowType, tenantId: null, workflowId, input: { day } })),
    );
    const tomorrow = new Date(Date.now() + 86_400_000);
    expect(await startNotificationDigest(t.app.workflows, tomorrow)).toBe(1);
    expect(await startNotificationDigest(t.app.workflows, tomorrow)).toBe(0); // same day, same run
    const triggered = await t.app.workflows.start({ type: notificationDigestWorkflowType, tenantId: null, workflowId: notificationDigestWorkflowId(day), input: { day } });
    expect(triggered.created).toBe(false);
    const ids = [...runs.map((r) => r.runId), triggered.runId];
    const until = Date.now() + 10_000;
    for (;;) {
      const states = await Promise.all(ids.map((id) => t.app.workflows.describe({ platform: true }, id)));
      if (states.every((s) => s?.status === 'completed')) break;
      if (Date.now() > until) throw new Error(`digest runs not completed within 10 s: ${states.map((s) => s?.status).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const digests = await mails('notification.digest');
    expect(digests.map((m) => m.to_address)).toEqual(['admin@acme.test']); // the owner has no digest
    const [digest] = digests as [OutboxMail];
    expect(digest.subject).toMatch(/^\[CBP\] Your daily digest for .+: 3 unread$/);
    for (const part of [digest.body_html ?? '', digest.body_text]) {
      expect(part).toContain('Usage above the soft limit');
      expect(part).toContain('Workflow runs reached');
      expect(part).toContain('Storage reached');
    }
    expect(digest.body_html).not.toContain('<script>');
    expect(digest.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');

    // Its own unsubscribe link turns the digest off.
    const off = await anonymous('POST', unsubscribeLink(digest).path, { payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(off.json()).toMatchObject({ type: 'digest', changed: true });
    expect((await settingsOf('admin@acme.test')).digest).toBe(false);
  });
});

describe('SMTP delivery', () => {
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
  let smtp: TestContext;

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    const { port } = server.server.address() as AddressInfo;
    smtp = await createTestContext({
      SMTP_URL: `smtp://127.0.0.1:${port}?tls=off`,
      MAIL_DELIVERY_INTERVAL_MS: '50',
      WORKFLOW_POLL_INTERVAL_MS: '50',
      EVENTS_POLL_INTERVAL_MS: '0',
    });
  });
  afterAll(async () => {
    await smtp.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the HTML and text parts with List-Unsubscribe and one-click headers', async () => {
    await crossSoftLimit('api_calls', 'smtp-soft-1', smtp);
    for (let i = 0; i < 400 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(received.map((m) => m.to[0]).sort()).toEqual(['admin@acme.test', 'owner@acme.test']);
    // Quoted-printable: undo soft line breaks and =3D; unfold folded header lines.
    const raw = received[0]?.body.replace(/=\r?\n/g, '').replaceAll('=3D', '=').replace(/\r?\n[ \t]+/g, ' ') ?? '';
    expect(raw).toMatch(/^List-Unsubscribe: <http:\/\/[^>]+\/notifications\/unsubscribe\?token=[\w.%-]+>/m);
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
    expect(raw).toMatch(/Content-Type: text\/plain/);
    expect(raw).toMatch(/Content-Type: text\/html/);
    expect(raw).toContain('Usage above the soft limit');
  });
});
