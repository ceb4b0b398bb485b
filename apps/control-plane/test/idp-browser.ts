import type { FastifyInstance } from 'fastify';

/** Where a request comes from and who says it is asking: the socket's peer, X-Forwarded-For, the user agent. */
export interface BrowserOrigin {
  remoteAddress?: string;
  forwardedFor?: string;
  userAgent?: string;
}

/**
 * A browser driving the built-in identity provider's pages over app.inject: a cookie jar (the
 * provider's interaction and session cookies), form posts, and where it comes from (a request
 * can claim another origin, e.g. to test the sign-in throttle per address).
 */
export function idpBrowser(app: FastifyInstance, origin: BrowserOrigin = {}) {
  const jar = new Map<string, string>();
  async function request(method: 'GET' | 'POST', url: string, form?: Record<string, string>, from: BrowserOrigin = origin) {
    const u = new URL(url, 'http://localhost:14000');
    const res = await app.inject({
      method,
      url: u.pathname + u.search,
      ...(from.remoteAddress ? { remoteAddress: from.remoteAddress } : {}),
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        'user-agent': from.userAgent ?? origin.userAgent ?? 'cbp-test-browser/1.0',
        ...(from.forwardedFor ? { 'x-forwarded-for': from.forwardedFor } : {}),
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

export type IdpBrowser = ReturnType<typeof idpBrowser>;
