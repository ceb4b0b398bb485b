import { eq } from 'drizzle-orm';
import { notificationTypes, type NotificationType, type TenantRole } from '@cbp/contracts';
import type { MailMessage, Mailer } from '../../adapters/mail/port.js';
import type { ScopedTx } from '../../platform/db.js';
import { tenants } from '../../platform/schema.js';
import { renderDigestEmail, renderNotificationEmail, type DigestItem, type EmailSeverity } from './templates/email-templates.js';
import type { NotificationText } from './notification-text.js';
import type { UnsubscribeTokens, UnsubscribeTopic } from './unsubscribe-token.js';

/** The product name in the mail's header and subject. */
export const productName = 'CBP';

/** What the email channel needs: the outbox, where the portal and the API answer, and the token signer. */
export interface NotificationMailDeps {
  mailer: Mailer;
  /** The portal's origin: "view in portal" links and the settings page. */
  portalUrl: string;
  /** The API's public URL: unsubscribe links are served by the API (they work signed out). */
  publicUrl: string;
  tokens: UnsubscribeTokens;
}

export interface MailRecipient {
  userId: string;
  email: string;
  name: string;
  role?: TenantRole;
}

export async function tenantNameOf(tx: ScopedTx, tenantId: string): Promise<string> {
  const [row] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId));
  return row?.name ?? 'your organization';
}

export function unsubscribeUrl(deps: Pick<NotificationMailDeps, 'publicUrl' | 'tokens'>, userId: string, tenantId: string, type: UnsubscribeTopic): string {
  const token = deps.tokens.sign({ userId, tenantId, type, channel: 'email' });
  return `${deps.publicUrl.replace(/\/$/, '')}/notifications/unsubscribe?token=${encodeURIComponent(token)}`;
}

/** What an unsubscribe link of this topic turns off, in words. */
export const unsubscribeLabel = (type: UnsubscribeTopic) => (type === 'digest' ? 'the daily digest' : `“${notificationTypes[type].title}” emails`);

/** RFC 2369 / RFC 8058: mail clients offer a one-click unsubscribe that POSTs to the link. */
const listHeaders = (url: string) => ({ 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });

const portalLink = (portalUrl: string, link: string) => `${portalUrl.replace(/\/$/, '')}${link.startsWith('/') ? link : `/${link}`}`;

/** The instant mail of one notification (HTML + text from the templates, with its unsubscribe link and headers). */
export function notificationMessage(
  deps: NotificationMailDeps,
  { tenantId, tenantName, recipient, type, text }: { tenantId: string; tenantName: string; recipient: MailRecipient; type: NotificationType; text: NotificationText },
): MailMessage {
  const info = notificationTypes[type];
  const url = unsubscribeUrl(deps, recipient.userId, tenantId, type);
  const subject = `[${productName}] ${text.title}`;
  const rendered = renderNotificationEmail({
    productName,
    subject,
    name: recipient.name,
    why: `You receive this because you are ${recipient.role ? `${recipient.role} of ` : 'a member of '}${tenantName} and email is on for “${info.title}”.`,
    unsubscribeUrl: url,
    unsubscribeLabel: unsubscribeLabel(type),
    settingsUrl: portalLink(deps.portalUrl, '/settings'),
    title: text.title,
    body: text.body,
    severity: info.severity,
    actionUrl: portalLink(deps.portalUrl, text.link),
  });
  return { tenantId, to: recipient.email, subject, text: rendered.text, html: rendered.html, headers: listHeaders(url), kind: `notification.${type}` };
}

export interface DigestEntry {
  title: string;
  body: string;
  severity: EmailSeverity;
  link: string;
  createdAt: Date;
}

/** The daily digest of one member in one organization: the day's unread notifications. */
export function digestMessage(
  deps: NotificationMailDeps,
  { tenantId, tenantName, recipient, day, entries }: { tenantId: string; tenantName: string; recipient: MailRecipient; day: string; entries: DigestEntry[] },
): MailMessage {
  const url = unsubscribeUrl(deps, recipient.userId, tenantId, 'digest');
  const subject = `[${productName}] Your daily digest for ${tenantName}: ${entries.length} unread`;
  const items: DigestItem[] = entries.map((e) => ({
    title: e.title,
    body: e.body,
    severity: e.severity,
    url: portalLink(deps.portalUrl, e.link),
    time: `${e.createdAt.toISOString().slice(11, 16)} UTC`,
  }));
  const rendered = renderDigestEmail({
    productName,
    subject,
    name: recipient.name,
    why: `You receive this daily digest because you turned it on for ${tenantName}: warnings and notices come once a day instead of one by one (critical ones still come at once).`,
    unsubscribeUrl: url,
    unsubscribeLabel: unsubscribeLabel('digest'),
    settingsUrl: portalLink(deps.portalUrl, '/settings'),
    organization: tenantName,
    day,
    items,
    inboxUrl: portalLink(deps.portalUrl, '/notifications'),
  });
  return { tenantId, to: recipient.email, subject, text: rendered.text, html: rendered.html, headers: listHeaders(url), kind: 'notification.digest' };
}
