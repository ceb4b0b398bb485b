import { Eta } from 'eta/core';

// Notification mail and the unsubscribe pages, rendered with Eta (docs/decisions/009-email-templates.md).
// The templates are strings in this module rather than files, so the esbuild bundle (dist/main.js)
// carries them with no file to copy or path to resolve. Two engines: HTML with auto-escaping on
// (`<%= %>` escapes every value; `<%~ %>` is used only for the layout's body, itself rendered
// by a template), and plain text with escaping off (a text mail shows `<` as `<`).

const html = new Eta({ autoEscape: true, autoTrim: false, cache: true });
const text = new Eta({ autoEscape: false, autoTrim: false, cache: true });

const severityColor = { info: '#2563eb', warning: '#b45309', critical: '#b91c1c' } as const;
export type EmailSeverity = keyof typeof severityColor;

/** What every notification mail has around its content (the layout). */
export interface EmailFrame {
  productName: string;
  subject: string;
  /** The recipient's name for the greeting. */
  name: string;
  /** Footer: why this mail came. */
  why: string;
  unsubscribeUrl: string;
  /** What the unsubscribe link turns off, e.g. `“Usage above the soft limit” emails`. */
  unsubscribeLabel: string;
  settingsUrl: string;
}

export interface NotificationEmail extends EmailFrame {
  title: string;
  body: string;
  severity: EmailSeverity;
  /** The notification's link on the portal. */
  actionUrl: string;
}

export interface DigestItem {
  title: string;
  body: string;
  severity: EmailSeverity;
  url: string;
  /** `HH:MM UTC`. */
  time: string;
}

export interface DigestEmail extends EmailFrame {
  organization: string;
  day: string;
  items: DigestItem[];
  inboxUrl: string;
}

html.loadTemplate(
  '@layout',
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title><%= it.subject %></title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6;color:#111827;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;width:100%;background:#ffffff;border:1px solid #e5e7eb;border-radius:8px;">
<tr><td style="padding:18px 28px;border-bottom:1px solid #e5e7eb;font-size:18px;font-weight:700;color:#111827;"><%= it.productName %></td></tr>
<tr><td style="padding:24px 28px;font-size:15px;line-height:1.5;">
<p style="margin:0 0 16px;">Hello <%= it.name %>,</p>
<%~ it.body %>
</td></tr>
<tr><td style="padding:16px 28px;border-top:1px solid #e5e7eb;font-size:12px;line-height:1.5;color:#4b5563;">
<p style="margin:0 0 6px;"><%= it.why %></p>
<p style="margin:0;"><a href="<%= it.unsubscribeUrl %>" style="color:#4b5563;">Unsubscribe from <%= it.unsubscribeLabel %></a> &middot; <a href="<%= it.settingsUrl %>" style="color:#4b5563;">Notification settings</a></p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`,
);

const button = (url: string, label: string) =>
  `<table role="presentation" cellpadding="0" cellspacing="0" style="margin:20px 0 4px;"><tr><td style="border-radius:6px;background:#111827;">
<a href="<%= ${url} %>" style="display:inline-block;padding:10px 18px;color:#ffffff;text-decoration:none;font-weight:600;">${label}</a>
</td></tr></table>`;

html.loadTemplate(
  '@notification',
  `<% layout('@layout') %>
<p style="margin:0 0 4px;font-size:12px;font-weight:700;letter-spacing:.04em;text-transform:uppercase;color:<%= it.color %>;"><%= it.severity %></p>
<h1 style="margin:0 0 12px;font-size:20px;line-height:1.3;"><%= it.title %></h1>
<p style="margin:0;"><%= it.body %></p>
${button('it.actionUrl', 'View in portal')}`,
);

html.loadTemplate(
  '@digest',
  `<% layout('@layout') %>
<h1 style="margin:0 0 12px;font-size:20px;line-height:1.3;">Your daily digest for <%= it.organization %></h1>
<p style="margin:0 0 16px;"><%= it.items.length %> unread notification<%= it.items.length === 1 ? '' : 's' %> on <%= it.day %>:</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0">
<% for (const item of it.items) { %>
<tr><td style="padding:10px 0;border-top:1px solid #e5e7eb;">
<p style="margin:0;font-weight:600;"><a href="<%= item.url %>" style="color:#111827;"><%= item.title %></a> <span style="font-weight:400;font-size:12px;color:<%= it.colors[item.severity] %>;"><%= item.severity %> &middot; <%= item.time %></span></p>
<p style="margin:4px 0 0;color:#374151;"><%= item.body %></p>
</td></tr>
<% } %>
</table>
${button('it.inboxUrl', 'View in portal')}`,
);

text.loadTemplate(
  '@layout',
  `<%= it.productName %>

Hello <%= it.name %>,

<%~ it.body %>
--
<%= it.why %>
Unsubscribe from <%= it.unsubscribeLabel %>: <%= it.unsubscribeUrl %>
Notification settings: <%= it.settingsUrl %>
`,
);

text.loadTemplate(
  '@notification',
  `<% layout('@layout') %><%= it.title %> (<%= it.severity %>)

<%= it.body %>

View in portal: <%= it.actionUrl %>
`,
);

text.loadTemplate(
  '@digest',
  `<% layout('@layout') %>Your daily digest for <%= it.organization %>: <%= it.items.length %> unread notification<%= it.items.length === 1 ? '' : 's' %> on <%= it.day %>.
<% for (const item of it.items) { -%>

* <%= item.title %> (<%= item.severity %>, <%= item.time %>)
  <%= item.body %>
  <%= item.url %>
<% } -%>

View in portal: <%= it.inboxUrl %>
`,
);

export function renderNotificationEmail(data: NotificationEmail): { html: string; text: string } {
  const it = { ...data, color: severityColor[data.severity] };
  return { html: html.render('@notification', it), text: text.render('@notification', it) };
}

export function renderDigestEmail(data: DigestEmail): { html: string; text: string } {
  const it = { ...data, colors: severityColor };
  return { html: html.render('@digest', it), text: text.render('@digest', it) };
}

// ------------------------------------------------------------------ unsubscribe pages (served by the API)

export type UnsubscribePage =
  | { kind: 'confirm'; productName: string; token: string; what: string; email: string; organization: string; action: string }
  | { kind: 'done'; productName: string; what: string; email: string; organization: string; settingsUrl: string }
  | { kind: 'invalid'; productName: string; settingsUrl: string };

html.loadTemplate(
  '@page',
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title><%= it.heading %> · <%= it.productName %></title>
</head>
<body style="margin:0;background:#f3f4f6;color:#111827;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;">
<main style="max-width:480px;margin:48px auto;padding:28px;background:#ffffff;border:1px solid #e5e7eb;border-radius:8px;line-height:1.5;">
<p style="margin:0 0 16px;font-weight:700;"><%= it.productName %></p>
<h1 style="margin:0 0 12px;font-size:20px;"><%= it.heading %></h1>
<% if (it.kind === 'confirm') { %>
<p>Stop <%= it.what %> to <strong><%= it.email %></strong> for <%= it.organization %>? In-app notifications stay as they are.</p>
<form method="post" action="<%= it.action %>">
<input type="hidden" name="token" value="<%= it.token %>">
<button type="submit" style="padding:10px 18px;border:0;border-radius:6px;background:#111827;color:#ffffff;font-weight:600;font-size:15px;cursor:pointer;">Unsubscribe</button>
</form>
<% } else if (it.kind === 'done') { %>
<p>You will no longer receive <%= it.what %> at <strong><%= it.email %></strong> for <%= it.organization %>.</p>
<p>Changed your mind? Turn it back on in your <a href="<%= it.settingsUrl %>">notification settings</a>.</p>
<% } else { %>
<p>This unsubscribe link is not valid: it may have been cut short or changed. Copy the whole link from the email, or choose what you receive in your <a href="<%= it.settingsUrl %>">notification settings</a>.</p>
<% } %>
</main>
</body>
</html>
`,
);

export function renderUnsubscribePage(page: UnsubscribePage): string {
  const heading = page.kind === 'confirm' ? 'Unsubscribe' : page.kind === 'done' ? 'You are unsubscribed' : 'Invalid unsubscribe link';
  return html.render('@page', { ...page, heading });
}
