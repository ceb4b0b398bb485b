import { createHash } from 'node:crypto';

/**
 * Server-rendered pages of the built-in identity provider: plain HTML, no script. They look like
 * the portal (apps/portal/src/index.css: its colours, Inter/system font stack, card, inputs and
 * buttons; dark mode from the system's preference, as these pages cannot read the portal's saved
 * choice) and are served with a strict CSP: no script at all, and only this one stylesheet,
 * allowed by its hash (`pageStyleSource`).
 */

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const styles = `
:root{color-scheme:light dark;
--page:oklch(0.97 0.003 264);--foreground:oklch(0.21 0.02 264);--card:oklch(1 0 0);--muted:oklch(0.965 0.004 264);
--muted-foreground:oklch(0.47 0.02 264);--primary:oklch(0.5 0.22 277);--primary-hover:oklch(0.45 0.21 277);--primary-foreground:oklch(0.99 0 0);
--accent:oklch(0.955 0.008 270);--border:oklch(0.915 0.006 264);--input:oklch(0.82 0.01 264);--ring:oklch(0.55 0.2 277);
--danger:oklch(0.505 0.213 27.5);--danger-border:oklch(0.885 0.062 18.3);--danger-bg:oklch(0.971 0.013 17.4);--danger-text:oklch(0.444 0.177 26.9);
--ok-border:oklch(0.87 0.05 160);--ok-bg:oklch(0.975 0.02 160);--ok-text:oklch(0.39 0.09 160)}
@media (prefers-color-scheme:dark){:root{
--page:oklch(0.18 0.009 264);--foreground:oklch(0.95 0.004 264);--card:oklch(0.21 0.01 264);--muted:oklch(0.24 0.01 264);
--muted-foreground:oklch(0.74 0.015 264);--primary:oklch(0.68 0.16 277);--primary-hover:oklch(0.74 0.14 277);--primary-foreground:oklch(0.16 0.02 277);
--accent:oklch(0.27 0.014 270);--border:oklch(0.3 0.012 264);--input:oklch(0.42 0.014 264);--ring:oklch(0.7 0.15 277);
--danger:oklch(0.74 0.16 22);--danger-border:oklch(0.5 0.12 22);--danger-bg:oklch(0.27 0.05 22);--danger-text:oklch(0.89 0.06 18);
--ok-border:oklch(0.45 0.07 160);--ok-bg:oklch(0.25 0.03 160);--ok-text:oklch(0.88 0.06 160)}}
*,::before,::after{box-sizing:border-box;border:0 solid var(--border)}
html{-webkit-text-size-adjust:100%}
[hidden]{display:none!important}
body{margin:0;min-height:100vh;min-height:100dvh;background:var(--page);color:var(--foreground);line-height:1.5;
font-family:"Inter",ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
-webkit-font-smoothing:antialiased;-moz-osx-font-smoothing:grayscale}
main{display:flex;justify-content:center;padding:12vh 16px 48px}
.wrap{width:100%;max-width:24rem}
.card{background:var(--card);border:1px solid var(--border);border-radius:12px;padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.06),0 1px 2px -1px rgba(0,0,0,.06)}
@media (prefers-color-scheme:dark){.card{box-shadow:none}}
@media (max-width:420px){main{padding-top:6vh}.card{padding:24px}}
.brand{display:flex;align-items:center;gap:10px;margin:0 0 24px;font-size:15px;font-weight:600;letter-spacing:-.01em}
.mark{width:28px;height:28px;flex:none}.mark-bg{fill:var(--primary)}.mark-fg{stroke:var(--primary-foreground)}
h1{margin:0;font-size:1.375rem;line-height:1.3;font-weight:600;letter-spacing:-.015em}
.sub{margin:8px 0 0;color:var(--muted-foreground);font-size:14px}
.sub strong,.note strong{color:var(--foreground);font-weight:600}
form{margin:0}
.field{margin-top:20px}
.label-row{display:flex;align-items:baseline;justify-content:space-between;gap:12px;margin-bottom:6px}
label{font-size:14px;font-weight:500}
input{display:block;width:100%;height:40px;padding:0 12px;border:1px solid var(--input);border-radius:6px;background:var(--card);color:var(--foreground);
font:inherit;font-size:15px;box-shadow:0 1px 2px rgba(0,0,0,.05)}
input:focus-visible{outline:2px solid var(--ring);outline-offset:2px}
input[aria-invalid=true]{border-color:var(--danger)}
.hint{margin:6px 0 0;font-size:13px;color:var(--muted-foreground)}
.field-error{margin:6px 0 0;font-size:13px;font-weight:500;color:var(--danger)}
.button{display:flex;width:100%;height:40px;margin-top:24px;align-items:center;justify-content:center;gap:8px;border:0;border-radius:6px;
background:var(--primary);color:var(--primary-foreground);font:inherit;font-size:14px;font-weight:500;text-decoration:none;cursor:pointer;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
.button:hover{background:var(--primary-hover)}
.button.outline{background:var(--card);color:var(--foreground);border:1px solid var(--input)}
.button.outline:hover{background:var(--accent)}
.button+.button{margin-top:12px}
a{color:var(--primary);text-underline-offset:4px}
a:hover{text-decoration:underline}
.link{font-size:14px;font-weight:500;text-decoration:none}
.label-row .link{font-size:13px}
:focus-visible{outline:2px solid var(--ring);outline-offset:2px;border-radius:4px}
.button:focus-visible{border-radius:6px}
.alt{margin:24px 0 0;text-align:center;font-size:14px;color:var(--muted-foreground)}
.alt a{font-weight:500}
.alert{display:flex;gap:10px;margin:20px 0 0;padding:12px 14px;border:1px solid var(--danger-border);border-radius:8px;background:var(--danger-bg);
color:var(--danger-text);font-size:14px}
.alert.ok{border-color:var(--ok-border);background:var(--ok-bg);color:var(--ok-text)}
.alert svg{width:16px;height:16px;flex:none;margin-top:2px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.alert p{margin:0}
.note{margin:16px 0 0;font-size:14px;color:var(--muted-foreground)}
ul.orgs{margin:12px 0 0;padding:0;list-style:none;font-size:14px}
ul.orgs li{display:flex;justify-content:space-between;gap:12px;padding:8px 0;border-top:1px solid var(--border)}
ul.orgs li:last-child{border-bottom:1px solid var(--border)}
.role{color:var(--muted-foreground)}
details{margin-top:24px;padding:12px 14px;border:1px solid var(--border);border-radius:8px;background:var(--muted);font-size:13px;color:var(--muted-foreground)}
summary{cursor:pointer;font-weight:500;color:var(--foreground)}
details p{margin:8px 0 0}
details ul{margin:8px 0 0;padding-left:18px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px;color:var(--foreground)}
.qr{display:flex;justify-content:center;margin:20px 0 0}
.qr svg{width:184px;height:184px;border-radius:8px;border:1px solid var(--border)}
.secret{margin:12px 0 0;font-size:13px;color:var(--muted-foreground);text-align:center}
.secret code{display:block;margin-top:4px;font-size:14px;letter-spacing:.06em;word-break:break-all;user-select:all}
ul.codes{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin:16px 0 0;padding:12px 14px;list-style:none;border:1px solid var(--border);
border-radius:8px;background:var(--muted)}
ul.codes code{font-size:14px;letter-spacing:.04em;user-select:all}
`;

/** The CSP source that allows this stylesheet and nothing else. */
export const pageStyleSource = `'sha256-${createHash('sha256').update(styles).digest('base64')}'`;

const brandMark =
  '<svg class="mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect class="mark-bg" width="32" height="32" rx="7"/>' +
  '<path class="mark-fg" d="M20.5 11.2a6.5 6.5 0 1 0 0 9.6" fill="none" stroke-width="3" stroke-linecap="round"/></svg>';

const alertIcon = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="10"/><path d="M12 8v4M12 16h.01"/></svg>';
const okIcon = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M22 11.1V12a10 10 0 1 1-5.9-9.1"/><path d="m9 11 3 3L22 4"/></svg>';

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark"><meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,"><title>${escapeHtml(title)} · CBP Portal</title>
<style>${styles}</style></head><body><main><div class="wrap"><div class="card">
<p class="brand">${brandMark}CBP Portal</p>
${body}</div></div></main></body></html>`;
}

/** A form-level message; `id` lets fields point at it with aria-describedby. */
function alert(message: string, { id, tone = 'error' }: { id?: string; tone?: 'error' | 'ok' } = {}): string {
  const role = tone === 'error' ? 'alert' : 'status';
  return `<div class="alert${tone === 'ok' ? ' ok' : ''}">${tone === 'ok' ? okIcon : alertIcon}<p role="${role}"${id ? ` id="${id}"` : ''}>${escapeHtml(message)}</p></div>`;
}

interface FieldOptions {
  id: string;
  label: string;
  type: 'text' | 'email' | 'password';
  /** The on-screen keyboard (`numeric` for codes). */
  inputMode?: 'numeric' | 'text';
  autocomplete: string;
  value?: string;
  hint?: string;
  error?: string;
  /** Other elements that describe the field (a form-level error). */
  describedBy?: string[];
  autofocus?: boolean;
  /** HTML beside the label (e.g. the "Forgot password?" link). */
  aside?: string;
  maxLength?: number;
}

/** A labelled input with its hint and error, both tied to it with aria-describedby. */
function field(f: FieldOptions): string {
  const hintId = f.hint ? `${f.id}-hint` : undefined;
  const errorId = f.error ? `${f.id}-error` : undefined;
  const describedBy = [hintId, errorId, ...(f.describedBy ?? [])].filter(Boolean).join(' ');
  const invalid = Boolean(f.error) || (f.describedBy?.length ?? 0) > 0;
  const attrs = [
    `id="${f.id}"`,
    `name="${f.id}"`,
    `type="${f.type}"`,
    `autocomplete="${f.autocomplete}"`,
    'required',
    f.maxLength ? `maxlength="${f.maxLength}"` : '',
    f.inputMode ? `inputmode="${f.inputMode}" spellcheck="false" autocapitalize="off"` : '',
    f.value !== undefined && f.type !== 'password' ? `value="${escapeHtml(f.value)}"` : '',
    invalid ? 'aria-invalid="true"' : '',
    describedBy ? `aria-describedby="${describedBy}"` : '',
    f.autofocus ? 'autofocus' : '',
  ].filter(Boolean);
  return `<div class="field"><div class="label-row"><label for="${f.id}">${escapeHtml(f.label)}</label>${f.aside ?? ''}</div>
<input ${attrs.join(' ')}>
${f.hint ? `<p class="hint" id="${hintId}">${escapeHtml(f.hint)}</p>` : ''}${f.error ? `<p class="field-error" id="${errorId}">${escapeHtml(f.error)}</p>` : ''}</div>`;
}

const hidden = (name: string, value: string | undefined) => (value ? `<input type="hidden" name="${name}" value="${escapeHtml(value)}">` : '');
const withUid = (path: string, uid?: string) => (uid ? `${path}?uid=${encodeURIComponent(uid)}` : path);

/** Where the provider's own pages live (see provider.ts: mounted under the issuer's /oidc). */
export const accountPaths = {
  forgot: '/oidc/account/forgot-password',
  reset: '/oidc/account/reset-password',
  signUp: '/oidc/account/sign-up',
  confirmSignUp: '/oidc/account/confirm-sign-up',
} as const;

/** Back to the sign-in form of an interaction, or (without one, e.g. a link opened from a mail) to the portal. */
function backToSignIn(uid: string | undefined, portalUrl: string): string {
  return uid
    ? `<p class="alt"><a href="/oidc/interaction/${encodeURIComponent(uid)}">Back to sign in</a></p>`
    : `<p class="alt"><a href="${escapeHtml(portalUrl)}/">Go to the portal to sign in</a></p>`;
}

export interface LoginPageOptions {
  uid: string;
  email?: string;
  error?: string;
  demoLogins?: { emails: string[]; password: string };
  /** Offer "Create an account" (built-in identity with sign-up by verified domain). */
  signUp?: boolean;
}

export function loginPage({ uid, email = '', error, demoLogins, signUp = true }: LoginPageOptions): string {
  const demo = demoLogins
    ? `<details><summary>Demo accounts</summary><p>Password for every account: <code>${escapeHtml(demoLogins.password)}</code></p><ul>${demoLogins.emails
        .map((e) => `<li><code>${escapeHtml(e)}</code></li>`)
        .join('')}</ul></details>`
    : '';
  const errorRefs = error ? ['form-error'] : [];
  return layout(
    'Sign in',
    `<h1>Sign in</h1><p class="sub">Use your work email and password.</p>
${error ? alert(error, { id: 'form-error' }) : ''}
<form method="post" action="/oidc/interaction/${encodeURIComponent(uid)}/login" novalidate>
${field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: email, describedBy: errorRefs, autofocus: !email, maxLength: 320 })}
${field({
  id: 'password',
  label: 'Password',
  type: 'password',
  autocomplete: 'current-password',
  describedBy: errorRefs,
  autofocus: Boolean(email),
  aside: `<a class="link" href="${withUid(accountPaths.forgot, uid)}">Forgot password?</a>`,
})}
<button class="button" type="submit">Sign in</button>
</form>
${signUp ? `<p class="alt">New here? <a href="${withUid(accountPaths.signUp, uid)}">Create an account</a></p>` : ''}${demo}`,
  );
}

/** What a throttled request shows: how long to wait and until when (UTC). */
export function retryLaterMessage(retryAfterSeconds: number, now = new Date(), what = 'failed sign-in attempts'): string {
  const wait =
    retryAfterSeconds < 60
      ? `${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`
      : `${Math.ceil(retryAfterSeconds / 60)} minute${Math.ceil(retryAfterSeconds / 60) === 1 ? '' : 's'}`;
  const at = new Date(now.getTime() + retryAfterSeconds * 1000).toISOString().slice(11, 19);
  return `Too many ${what}. Try again in ${wait} (after ${at} UTC).`;
}

export interface PageAction {
  href: string;
  label: string;
}

export function messagePage(title: string, message: string, action?: PageAction): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1><p class="sub">${escapeHtml(message)}</p>${action ? `<a class="button" href="${escapeHtml(action.href)}">${escapeHtml(action.label)}</a>` : ''}`,
  );
}

/** The confirmation page of RP-initiated logout; `form` is the provider's own hidden form. */
export function logoutPage(form: string, cancelUrl: string): string {
  return layout(
    'Sign out',
    `<h1>Sign out</h1><p class="sub">Sign out of CBP on this browser?</p>${form}
<button class="button" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<a class="button outline" href="${escapeHtml(cancelUrl)}">Stay signed in</a>`,
  );
}

// ---- Forgot password -------------------------------------------------------------------------

export function forgotPasswordPage({ uid, email = '', error, fieldError, portalUrl }: { uid?: string; email?: string; error?: string; fieldError?: string; portalUrl: string }): string {
  return layout(
    'Reset your password',
    `<h1>Reset your password</h1><p class="sub">Enter the email address of your account and we will send you a link to choose a new password.</p>
${error ? alert(error, { id: 'form-error' }) : ''}
<form method="post" action="${accountPaths.forgot}" novalidate>${hidden('uid', uid)}
${field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: email, error: fieldError, describedBy: error ? ['form-error'] : [], autofocus: true, maxLength: 320 })}
<button class="button" type="submit">Send reset link</button>
</form>${backToSignIn(uid, portalUrl)}`,
  );
}

export function forgotPasswordSentPage({ uid, email, minutes, portalUrl }: { uid?: string; email: string; minutes: number; portalUrl: string }): string {
  return layout(
    'Check your email',
    `<h1>Check your email</h1>
${alert(`If an account exists for ${email}, we sent it a link to reset the password.`, { tone: 'ok' })}
<p class="note">The link works once and expires in ${minutes} minutes. Nothing arrived? Check your spam folder, or <a href="${withUid(accountPaths.forgot, uid)}">ask for another link</a>.</p>
${backToSignIn(uid, portalUrl)}`,
  );
}

export interface PasswordErrors {
  password?: string;
  confirm?: string;
}

export function resetPasswordPage({ token, email, errors = {}, hint }: { token: string; email: string; errors?: PasswordErrors; hint: string }): string {
  return layout(
    'Choose a new password',
    `<h1>Choose a new password</h1><p class="sub">For <strong>${escapeHtml(email)}</strong>. Every session of this account is signed out when it changes.</p>
<form method="post" action="${accountPaths.reset}" novalidate>${hidden('token', token)}
<input type="text" name="username" autocomplete="username" value="${escapeHtml(email)}" hidden>
${field({ id: 'password', label: 'New password', type: 'password', autocomplete: 'new-password', hint, error: errors.password, autofocus: !errors.confirm, maxLength: 1024 })}
${field({ id: 'confirm', label: 'Confirm new password', type: 'password', autocomplete: 'new-password', error: errors.confirm, autofocus: Boolean(errors.confirm), maxLength: 1024 })}
<button class="button" type="submit">Change password</button>
</form>`,
  );
}

export function passwordChangedPage(portalUrl: string): string {
  return layout(
    'Password changed',
    `<h1>Password changed</h1>
${alert('Your password was changed and every session of your account was signed out.', { tone: 'ok' })}
<p class="note">Sign in with your new password.</p>
<a class="button" href="${escapeHtml(portalUrl)}/">Go to sign in</a>`,
  );
}

export type LinkProblem = 'expired' | 'used' | 'unknown';

/** An expired, used or unknown reset or sign-up link, with a way to ask for a new one. */
export function linkProblemPage(kind: 'reset' | 'sign-up', problem: LinkProblem, portalUrl: string): string {
  const what = kind === 'reset' ? 'password reset link' : 'sign-up link';
  const titles: Record<LinkProblem, string> = {
    expired: `This ${what} has expired`,
    used: `This ${what} was already used`,
    unknown: `This ${what} is not valid`,
  };
  const reasons: Record<LinkProblem, string> = {
    expired: kind === 'reset' ? 'Reset links work for 30 minutes.' : 'Sign-up links work for 24 hours.',
    used: kind === 'reset' ? 'Each link works once. If you changed your password with it, sign in with the new one.' : 'Each link works once. If you created your account with it, sign in.',
    unknown: 'Check that you opened the whole link from the newest email: asking again makes earlier links stop working.',
  };
  const again = kind === 'reset' ? { href: accountPaths.forgot, label: 'Ask for a new link' } : { href: accountPaths.signUp, label: 'Sign up again' };
  return layout(
    titles[problem],
    `<h1>${escapeHtml(titles[problem])}</h1><p class="sub">${escapeHtml(reasons[problem])}</p>
<a class="button" href="${again.href}">${again.label}</a>
<a class="button outline" href="${escapeHtml(portalUrl)}/">Go to sign in</a>`,
  );
}

// ---- Sign-up by verified domain ----------------------------------------------------------------

export interface SignUpErrors {
  name?: string;
  email?: string;
  password?: string;
  confirm?: string;
}

export function signUpPage({
  uid,
  name = '',
  email = '',
  errors = {},
  error,
  hint,
  portalUrl,
}: {
  uid?: string;
  name?: string;
  email?: string;
  errors?: SignUpErrors;
  error?: string;
  hint: string;
  portalUrl: string;
}): string {
  const first = (['name', 'email', 'password', 'confirm'] as const).find((k) => errors[k]) ?? 'name';
  return layout(
    'Create your account',
    `<h1>Create your account</h1><p class="sub">Use your work email: you can sign up when your organization has verified its email domain and allows sign-up. Otherwise, ask its administrator for an invitation.</p>
${error ? alert(error, { id: 'form-error' }) : ''}
<form method="post" action="${accountPaths.signUp}" novalidate>${hidden('uid', uid)}
${field({ id: 'name', label: 'Full name', type: 'text', autocomplete: 'name', value: name, error: errors.name, autofocus: first === 'name', maxLength: 200 })}
${field({ id: 'email', label: 'Work email', type: 'email', autocomplete: 'email', value: email, error: errors.email, describedBy: error ? ['form-error'] : [], autofocus: first === 'email', maxLength: 320 })}
${field({ id: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', hint, error: errors.password, autofocus: first === 'password', maxLength: 1024 })}
${field({ id: 'confirm', label: 'Confirm password', type: 'password', autocomplete: 'new-password', error: errors.confirm, autofocus: first === 'confirm', maxLength: 1024 })}
<button class="button" type="submit">Create account</button>
</form>
<p class="alt">Already have an account? ${uid ? `<a href="/oidc/interaction/${encodeURIComponent(uid)}">Sign in</a>` : `<a href="${escapeHtml(portalUrl)}/">Sign in</a>`}</p>`,
  );
}

export function signUpSentPage({ uid, email, hours, portalUrl }: { uid?: string; email: string; hours: number; portalUrl: string }): string {
  return layout(
    'Check your email',
    `<h1>Check your email</h1>
${alert(`We sent a link to ${email}. Open it to finish creating your account.`, { tone: 'ok' })}
<p class="note">The link works once and expires in ${hours} hours. Nothing arrived? Check your spam folder, or <a href="${withUid(accountPaths.signUp, uid)}">sign up again</a>.</p>
${backToSignIn(uid, portalUrl)}`,
  );
}

export interface JoiningOrganization {
  tenantName: string;
  role: string;
}

const roleLabel = (role: string) => role.charAt(0).toUpperCase() + role.slice(1);

function organizationList(organizations: JoiningOrganization[]): string {
  return `<ul class="orgs" aria-label="Organizations">${organizations
    .map((o) => `<li><span>${escapeHtml(o.tenantName)}</span><span class="role">${escapeHtml(roleLabel(o.role))}</span></li>`)
    .join('')}</ul>`;
}

export function confirmSignUpPage({ token, name, email, organizations }: { token: string; name: string; email: string; organizations: JoiningOrganization[] }): string {
  return layout(
    'Finish creating your account',
    `<h1>Finish creating your account</h1><p class="sub">An account for <strong>${escapeHtml(name)}</strong> (${escapeHtml(email)}). You will join:</p>
${organizationList(organizations)}
<form method="post" action="${accountPaths.confirmSignUp}">${hidden('token', token)}
<button class="button" type="submit">Create account</button>
</form>`,
  );
}

export function signUpDonePage({ organizations, portalUrl }: { organizations: JoiningOrganization[]; portalUrl: string }): string {
  return layout(
    'Your account is ready',
    `<h1>Your account is ready</h1>
${alert('Your email is confirmed and your account was created.', { tone: 'ok' })}
<p class="note">You are now a member of:</p>
${organizationList(organizations)}
<a class="button" href="${escapeHtml(portalUrl)}/">Sign in</a>`,
  );
}

export function accountExistsPage({ email, portalUrl }: { email: string; portalUrl: string }): string {
  return layout(
    'You already have an account',
    `<h1>You already have an account</h1><p class="sub"><strong>${escapeHtml(email)}</strong> already has a CBP account: sign in with it. Forgot its password? Ask for a reset link.</p>
<a class="button" href="${escapeHtml(portalUrl)}/">Sign in</a>
<a class="button outline" href="${accountPaths.forgot}">Forgot password?</a>`,
  );
}

export function signUpRefusedMessage(): string {
  return 'This email address cannot sign up here. Ask the administrator of your organization to invite you.';
}

// ---- Two-step verification (TOTP) ------------------------------------------------------------

/** A form of the sign-in (interaction `uid`) at `step` (mfa, mfa/enroll, continue). */
export const interactionAction = (uid: string, step: string) => `/oidc/interaction/${encodeURIComponent(uid)}/${step}`;

const codeHint = 'The 6-digit code your authenticator app shows now.';

/** Who requires it, in a sentence: "Acme requires two-step verification." */
function requiredBy(organizations: string[]): string {
  if (organizations.length === 0) return '';
  const names = organizations.length === 1 ? organizations[0] : `${organizations.slice(0, -1).join(', ')} and ${organizations.at(-1)}`;
  return `${names} require${organizations.length === 1 ? 's' : ''} two-step verification for every member. `;
}

/** What the code of a challenge is for: finishing a sign-in, turning two-step verification off, or new recovery codes. */
export type ChallengePurpose = 'sign-in' | 'disable' | 'codes';

const challengeText: Record<ChallengePurpose, { title: string; sub: string; button: string }> = {
  'sign-in': { title: 'Two-step verification', sub: 'Enter the code from your authenticator app to finish signing in as', button: 'Verify' },
  disable: { title: 'Turn off two-step verification', sub: 'To turn it off, enter a code from your authenticator app for', button: 'Turn off' },
  codes: { title: 'New recovery codes', sub: 'To get new recovery codes (the earlier ones stop working), enter a code from your authenticator app for', button: 'Get new codes' },
};

export function mfaChallengePage({ uid, email, error, purpose = 'sign-in' }: { uid: string; email: string; error?: string; purpose?: ChallengePurpose }): string {
  const { title, sub: lead, button } = challengeText[purpose];
  const sub = `${escapeHtml(lead)} <strong>${escapeHtml(email)}</strong>.`;
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1><p class="sub">${sub}</p>
<form method="post" action="${interactionAction(uid, 'mfa')}" novalidate>
${field({ id: 'code', label: 'Authentication code', type: 'text', inputMode: 'numeric', autocomplete: 'one-time-code', hint: `${codeHint} Lost your device? Enter one of your recovery codes instead.`, error, autofocus: true, maxLength: 32 })}
<button class="button" type="submit">${button}</button>
</form>
<p class="alt"><a href="/oidc/interaction/${encodeURIComponent(uid)}">Sign in as someone else</a></p>`,
  );
}

/** Groups a base32 secret by four for reading aloud or typing. */
const grouped = (secret: string) => secret.replace(/(.{4})/g, '$1 ').trim();

export function mfaEnrollPage({ uid, email, qrSvg, secret, requiredByOrganizations = [], error }: { uid: string; email: string; qrSvg: string; secret: string; requiredByOrganizations?: string[]; error?: string }): string {
  return layout(
    'Set up two-step verification',
    `<h1>Set up two-step verification</h1><p class="sub">${escapeHtml(requiredBy(requiredByOrganizations))}Scan this QR code with an authenticator app (for example Google Authenticator, Microsoft Authenticator, 1Password or Aegis) for <strong>${escapeHtml(email)}</strong>, then enter the code it shows.</p>
<div class="qr" role="img" aria-label="QR code to add CBP Portal to your authenticator app">${qrSvg.replace(/<\?xml[^>]*>/, '').replace('<svg ', '<svg aria-hidden="true" focusable="false" ')}</div>
<p class="secret">Cannot scan it? Enter this key in the app instead:<code id="secret">${escapeHtml(grouped(secret))}</code></p>
<form method="post" action="${interactionAction(uid, 'mfa/enroll')}" novalidate>
${field({ id: 'code', label: 'Authentication code', type: 'text', inputMode: 'numeric', autocomplete: 'one-time-code', hint: codeHint, error, autofocus: Boolean(error), maxLength: 32 })}
<button class="button" type="submit">Turn on two-step verification</button>
</form>`,
  );
}

export function recoveryCodesPage({ uid, codes, replaced = false }: { uid: string; codes: string[]; replaced?: boolean }): string {
  return layout(
    'Save your recovery codes',
    `<h1>Save your recovery codes</h1>
${alert(replaced ? 'These new codes replace your earlier recovery codes, which no longer work.' : 'Two-step verification is on for your account.', { tone: 'ok' })}
<p class="note">If you lose your authenticator, sign in with one of these codes instead. <strong>Each works once, and they are not shown again</strong>: print them or keep them in your password manager.</p>
<ul class="codes" aria-label="Recovery codes">${codes.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join('')}</ul>
<form method="post" action="${interactionAction(uid, 'continue')}">
<button class="button" type="submit">I saved my codes, continue</button>
</form>`,
  );
}

/** After a step that changes nothing more (turned off, or cannot be turned off): continue to the portal. */
export function mfaNoticePage({ uid, title, message, tone }: { uid: string; title: string; message: string; tone: 'ok' | 'error' }): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>
${alert(message, { tone })}
<form method="post" action="${interactionAction(uid, 'continue')}">
<button class="button" type="submit">Continue to the portal</button>
</form>`,
  );
}
