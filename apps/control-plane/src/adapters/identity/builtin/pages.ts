/** Server-rendered pages of the built-in identity provider: plain HTML, no script. */

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const styles = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
font-family:ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f4f5;color:#18181b}
main{width:100%;max-width:400px;padding:16px}
.card{background:#fff;border:1px solid #e4e4e7;border-radius:12px;padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.06)}
.brand{display:flex;align-items:center;gap:10px;margin-bottom:24px;font-weight:700;font-size:18px}
.logo{width:32px;height:32px;border-radius:8px;background:#4338ca;color:#fff;display:flex;align-items:center;justify-content:center;font-size:18px}
h1{font-size:22px;margin:0 0 4px}
p.sub{margin:0 0 24px;color:#52525b;font-size:14px}
label{display:block;font-size:14px;font-weight:600;margin:16px 0 6px}
input{width:100%;padding:10px 12px;border:1px solid #a1a1aa;border-radius:8px;font-size:15px;background:#fff;color:#18181b}
input:focus{outline:2px solid #4338ca;outline-offset:1px;border-color:#4338ca}
button{margin-top:24px;width:100%;padding:11px;border:0;border-radius:8px;background:#4338ca;color:#fff;font-size:15px;font-weight:600;cursor:pointer}
button:hover{background:#3730a3}
button:focus-visible,a:focus-visible{outline:2px solid #18181b;outline-offset:2px}
a.secondary{display:block;margin-top:12px;text-align:center;color:#3730a3;font-size:14px}
.alert{margin:0 0 8px;padding:10px 12px;border-radius:8px;background:#fef2f2;border:1px solid #fecaca;color:#991b1b;font-size:14px}
details{margin-top:24px;font-size:13px;color:#3f3f46}
summary{cursor:pointer;font-weight:600}
code{font-size:12px}
ul{padding-left:18px;margin:8px 0}
`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><title>${escapeHtml(title)} · CBP</title>
<style>${styles}</style></head><body><main>
<div class="card"><div class="brand" aria-hidden="true"><span class="logo">C</span>CBP Portal</div>
${body}</div></main></body></html>`;
}

export interface LoginPageOptions {
  uid: string;
  email?: string;
  error?: string;
  demoLogins?: { emails: string[]; password: string };
}

export function loginPage({ uid, email = '', error, demoLogins }: LoginPageOptions): string {
  const demo = demoLogins
    ? `<details><summary>Demo accounts</summary><p>Password for every account: <code>${escapeHtml(demoLogins.password)}</code></p><ul>${demoLogins.emails
        .map((e) => `<li><code>${escapeHtml(e)}</code></li>`)
        .join('')}</ul></details>`
    : '';
  return layout(
    'Sign in',
    `<h1>Sign in</h1><p class="sub">Use your work email and password.</p>
${error ? `<p class="alert" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/oidc/interaction/${encodeURIComponent(uid)}/login" novalidate>
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(email)}" ${email ? '' : 'autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required ${email ? 'autofocus' : ''}>
<button type="submit">Sign in</button>
</form>${demo}`,
  );
}

/** What a throttled sign-in shows: how long to wait and until when (UTC). */
export function retryLaterMessage(retryAfterSeconds: number, now = new Date()): string {
  const wait =
    retryAfterSeconds < 60
      ? `${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`
      : `${Math.ceil(retryAfterSeconds / 60)} minute${Math.ceil(retryAfterSeconds / 60) === 1 ? '' : 's'}`;
  const at = new Date(now.getTime() + retryAfterSeconds * 1000).toISOString().slice(11, 19);
  return `Too many failed sign-in attempts. Try again in ${wait} (after ${at} UTC).`;
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p class="sub">${escapeHtml(message)}</p>`);
}

/** The confirmation page of RP-initiated logout; `form` is the provider's own hidden form. */
export function logoutPage(form: string, cancelUrl: string): string {
  return layout(
    'Sign out',
    `<h1>Sign out</h1><p class="sub">Sign out of CBP on this browser?</p>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<a class="secondary" href="${escapeHtml(cancelUrl)}">Stay signed in</a>`,
  );
}
