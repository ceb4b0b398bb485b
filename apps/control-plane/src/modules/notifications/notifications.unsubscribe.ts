import formbody from '@fastify/formbody';
import { and, eq } from 'drizzle-orm';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotificationUnsubscribeResult, Problem, type NotificationSettings } from '@cbp/contracts';
import { recordAuditEntry } from '../../platform/audit.js';
import type { RequestContext } from '../../platform/context.js';
import { withTenant, type AppDb, type TenantTx } from '../../platform/db.js';
import { AppError } from '../../platform/errors.js';
import { tenantMemberships, users } from '../../platform/schema.js';
import { productName, tenantNameOf, unsubscribeLabel } from './notification-mail.js';
import { saveSettings, settingsOf } from './notifications.repo.js';
import { resolveSettings } from './notifications.service.js';
import { renderUnsubscribePage } from './templates/email-templates.js';
import type { UnsubscribeClaims, UnsubscribeTokens } from './unsubscribe-token.js';

// The unsubscribe link of notification mail (issue 14), public: the signed token is the credential.
//   GET  /notifications/unsubscribe?token=   a small page with a confirm button; changes nothing
//                                             (link scanners and previews follow GETs). A bad token:
//                                             400, an HTML page for browsers (Accept: text/html),
//                                             problem+json otherwise
//   POST /notifications/unsubscribe           the confirm form, JSON {token}, or RFC 8058 one-click
//                                             (`List-Unsubscribe=One-Click` posted to the link)
// Turning the email off is the user's own settings change, audited with the user as actor.

const invalidToken = () =>
  new AppError(400, 'VALIDATION_FAILED', 'This unsubscribe link is not valid: it was cut short or changed.', [
    { path: 'token', message: 'Not a valid unsubscribe token' },
  ]);

interface Target {
  claims: UnsubscribeClaims;
  user: { id: string; email: string };
  role: RequestContext['role'];
  organization: string;
}

/** The verified token's user, membership and organization (no membership any more: the link is invalid). */
async function targetOf(tx: TenantTx, claims: UnsubscribeClaims): Promise<Target> {
  const [member] = await tx
    .select({ id: users.id, email: users.email, role: tenantMemberships.role })
    .from(tenantMemberships)
    .innerJoin(users, eq(users.id, tenantMemberships.userId))
    .where(and(eq(tenantMemberships.tenantId, claims.tenantId), eq(tenantMemberships.userId, claims.userId)));
  if (!member) throw invalidToken();
  return { claims, user: { id: member.id, email: member.email }, role: member.role, organization: await tenantNameOf(tx, claims.tenantId) };
}

/** Runs in the token's tenant; a token that does not even verify never opens a transaction. */
function inTokenTenant<T>(db: AppDb, tokens: UnsubscribeTokens, token: string | undefined, fn: (tx: TenantTx, target: Target) => Promise<T>): Promise<T> {
  const claims = token ? tokens.verify(token) : null;
  if (!claims) return Promise.reject(invalidToken());
  return withTenant(db, claims.tenantId, async (tx) => fn(tx, await targetOf(tx, claims)));
}

export async function previewUnsubscribe(db: AppDb, tokens: UnsubscribeTokens, token: string | undefined) {
  return inTokenTenant(db, tokens, token, async (_tx, target) => target);
}

/** Turns the token's email off for its user (idempotent: already off changes and audits nothing). */
export async function unsubscribe(
  db: AppDb,
  tokens: UnsubscribeTokens,
  token: string | undefined,
  meta: { ipAddress: string | null; userAgent: string | null },
): Promise<{ target: Target; changed: boolean }> {
  return inTokenTenant(db, tokens, token, async (tx, target) => {
    const { claims } = target;
    const [current] = await settingsOf(tx, claims.tenantId, [claims.userId]);
    const before = resolveSettings(current);
    const channels = current?.channels ?? {};
    const types = { ...(current?.types ?? {}) };
    let digest = current?.digest ?? false;
    if (claims.type === 'digest') digest = false;
    else types[claims.type] = { ...(types[claims.type] ?? {}), email: false };
    const after = resolveSettings({ channels, types, digest });
    const changed = claims.type === 'digest' ? before.digest : before.types[claims.type].email;
    if (!changed) return { target, changed: false };
    await saveSettings(tx, { tenantId: claims.tenantId, userId: claims.userId, channels, types, digest });
    const ctx: RequestContext = { actor: { type: 'user', id: target.user.id, email: target.user.email }, tenantId: claims.tenantId, role: target.role, ...meta };
    const part = (s: NotificationSettings) => (claims.type === 'digest' ? { digest: s.digest } : { types: { [claims.type]: s.types[claims.type] } });
    await recordAuditEntry(tx, ctx, {
      action: 'notification_settings.updated',
      targetType: 'user',
      targetId: target.user.id,
      targetName: target.user.email,
      before: part(before),
      after: part(after),
      metadata: { via: 'unsubscribe_link', type: claims.type, channel: 'email' },
    });
    return { target, changed: true };
  });
}

const what = (claims: UnsubscribeClaims) => unsubscribeLabel(claims.type);

export const notificationUnsubscribeRoutes: FastifyPluginAsyncZod<{ db: AppDb; tokens: UnsubscribeTokens; portalUrl: string }> = async (app, { db, tokens, portalUrl }) => {
  // The confirm page posts a form; RFC 8058 one-click posts `List-Unsubscribe=One-Click` as a form.
  await app.register(formbody, { bodyLimit: 4_096 });
  const settingsUrl = `${portalUrl.replace(/\/$/, '')}/settings`;
  const page = (reply: FastifyReply, status: number, html: string) =>
    reply
      .status(status)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
      .type('text/html; charset=utf-8')
      .send(html);
  const invalidPage = (reply: FastifyReply) => page(reply, 400, renderUnsubscribePage({ kind: 'invalid', productName, settingsUrl }));
  const isInvalid = (err: unknown) => err instanceof AppError && err.code === 'VALIDATION_FAILED';
  // Browsers (the mail's link, the confirm form) get HTML pages; other clients get problem+json.
  const wantsHtml = (accept: string | undefined) => (accept ?? '').includes('text/html');

  app.get(
    '/notifications/unsubscribe',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Unsubscribe page of a notification mail (public, signed token): asks to confirm, changes nothing',
        querystring: z.object({ token: z.string().max(1_000).optional() }),
      },
    },
    async (request, reply) => {
      try {
        const target = await previewUnsubscribe(db, tokens, request.query.token);
        return await page(
          reply,
          200,
          renderUnsubscribePage({
            kind: 'confirm',
            productName,
            token: request.query.token ?? '',
            what: what(target.claims),
            email: target.user.email,
            organization: target.organization,
            action: 'unsubscribe',
          }),
        );
      } catch (err) {
        if (isInvalid(err) && wantsHtml(request.headers.accept)) return invalidPage(reply);
        throw err;
      }
    },
  );

  app.post(
    '/notifications/unsubscribe',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Turn one notification type’s email (or the daily digest) off for the token’s user (public; form, JSON or RFC 8058 one-click)',
        querystring: z.object({ token: z.string().max(1_000).optional() }),
        body: z.object({ token: z.string().max(1_000).optional(), 'List-Unsubscribe': z.string().max(100).optional() }).optional(),
        response: { 200: NotificationUnsubscribeResult, 400: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const form = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const oneClick = request.body?.['List-Unsubscribe'] === 'One-Click';
      const token = request.body?.token ?? request.query.token;
      try {
        const { target, changed } = await unsubscribe(db, tokens, token, { ipAddress: request.ip, userAgent: request.headers['user-agent'] ?? null });
        if (form && !oneClick) {
          return await page(
            reply,
            200,
            renderUnsubscribePage({ kind: 'done', productName, what: what(target.claims), email: target.user.email, organization: target.organization, settingsUrl }),
          );
        }
        return { type: target.claims.type, channel: target.claims.channel, email: false as const, changed };
      } catch (err) {
        if (form && !oneClick && isInvalid(err) && wantsHtml(request.headers.accept)) return invalidPage(reply);
        throw err;
      }
    },
  );
};
