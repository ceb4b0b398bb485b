import { createHmac, timingSafeEqual } from 'node:crypto';
import { notificationTypes, type NotificationType } from '@cbp/contracts';
import { z } from 'zod';

/**
 * Signed unsubscribe tokens of notification mail (issue 14). A token names one user, one
 * organization, one notification type (or `digest`) and the channel, and is signed with
 * HMAC-SHA256 under a key derived from the API's unsubscribe secret (NOTIFICATION_TOKEN_SECRET, or
 * one generated once into `.data/secrets/`, like the built-in identity's cookie secret): whoever
 * holds the link may switch that one email off, nothing else. Tokens do not expire (a mail read
 * months later must still unsubscribe), and turning an email off twice changes nothing.
 *
 * Format: `<base64url(JSON claims)>.<base64url(HMAC)>`.
 */

export type UnsubscribeTopic = NotificationType | 'digest';

export interface UnsubscribeClaims {
  userId: string;
  tenantId: string;
  type: UnsubscribeTopic;
  channel: 'email';
}

const Claims = z
  .object({
    u: z.uuid(),
    t: z.uuid(),
    n: z.string().refine((v) => v === 'digest' || Object.hasOwn(notificationTypes, v)),
    c: z.literal('email'),
  })
  .strict();

export interface UnsubscribeTokens {
  sign(claims: UnsubscribeClaims): string;
  /** The claims of a genuine token; null for anything forged, tampered with or malformed. */
  verify(token: string): UnsubscribeClaims | null;
}

export function createUnsubscribeTokens(secret: string): UnsubscribeTokens {
  if (secret.length < 16) throw new Error('The unsubscribe secret is too short');
  // Domain separation: the same secret could never sign anything else this way.
  const key = createHmac('sha256', secret).update('cbp.notification-unsubscribe.v1').digest();
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  return {
    sign({ userId, tenantId, type, channel }) {
      const payload = Buffer.from(JSON.stringify({ u: userId, t: tenantId, n: type, c: channel })).toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    verify(token) {
      if (token.length > 1_000) return null;
      const parts = token.split('.');
      if (parts.length !== 2) return null;
      const [payload = '', signature = ''] = parts;
      if (!/^[\w-]+$/.test(payload) || !/^[\w-]+$/.test(signature)) return null;
      const expected = mac(payload);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        return null;
      }
      const claims = Claims.safeParse(json);
      if (!claims.success) return null;
      return { userId: claims.data.u, tenantId: claims.data.t, type: claims.data.n as UnsubscribeTopic, channel: claims.data.c };
    },
  };
}
