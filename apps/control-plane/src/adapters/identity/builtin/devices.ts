import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { and, eq, sql } from 'drizzle-orm';
import { membershipsOf, type UserRow } from '../../../platform/accounts.js';
import { withTenant, type AppDb, type Queryable } from '../../../platform/db.js';
import { publishEvent } from '../../../platform/events.js';
import { knownDevices } from '../../../platform/schema.js';

/**
 * New-device detection of built-in sign-ins (issue 14; migration 0027).
 * A device is the user agent's family (browser + operating system, versions left out) and the
 * client's network (/24 for IPv4, /64 for IPv6).
 */

const browsers: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\b(Headless)?Chrom(e|ium)\/|\bCriOS\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];
const systems: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b|\biPad\b|\biOS\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

/** `Firefox on Linux`; a non-browser agent is named by its product token (`curl`). */
export function deviceFamily(userAgent: string | null | undefined): string {
  const ua = (userAgent ?? '').slice(0, 512);
  if (!ua.trim()) return 'Unknown device';
  const browser = browsers.find(([re]) => re.test(ua))?.[1];
  const system = systems.find(([re]) => re.test(ua))?.[1];
  if (browser) return system ? `${browser} on ${system}` : browser;
  const product = /^\s*([^/\s;()]+)/.exec(ua)?.[1] ?? 'Unknown';
  return system ? `${product} on ${system}` : product;
}

/** The network of an address: `192.0.2.0/24`, `2001:db8:1:2::/64`; anything else as is. */
export function addressNetwork(ip: string | null | undefined): string {
  let address = (ip ?? '').trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) address = mapped[1];
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(address)) {
    const [head = '', tail = ''] = address.toLowerCase().split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
    return `${groups
      .slice(0, 4)
      .map((g) => g.replace(/^0+(?=.)/, ''))
      .join(':')}::/64`;
  }
  return address || 'unknown';
}

export function deviceHash(userAgent: string | null | undefined, ip: string | null | undefined): string {
  return createHash('sha256').update(`${deviceFamily(userAgent)}\n${addressNetwork(ip)}`).digest('base64url');
}

/**
 * After a successful built-in sign-in: remembers the device and, when the account has signed in
 * before but never from this device, publishes `auth.new_device` for that user alone, in the
 * same transaction (in their first organization by name: one notification, not one per
 * organization). An account without organizations is only remembered.
 * Returns whether the event was published.
 */
export async function rememberSignInDevice(db: AppDb, user: UserRow, userAgent: string | null, ip: string | null): Promise<boolean> {
  const hash = deviceHash(userAgent, ip);
  const [tenant] = await membershipsOf(db, user.id);
  const remember = async (tx: Queryable) => {
    const updated = await tx
      .update(knownDevices)
      .set({ lastSeenAt: sql`now()` })
      .where(and(eq(knownDevices.userId, user.id), eq(knownDevices.deviceHash, hash)))
      .returning({ userId: knownDevices.userId });
    if (updated.length > 0) return false;
    const [seen] = await tx.select({ n: sql<number>`count(*)::int` }).from(knownDevices).where(eq(knownDevices.userId, user.id));
    const inserted = await tx
      .insert(knownDevices)
      .values({ userId: user.id, deviceHash: hash })
      .onConflictDoNothing()
      .returning({ userId: knownDevices.userId });
    // The first sign-in ever has nothing to compare with; a concurrent sign-in of the same device won the insert.
    return inserted.length > 0 && Number(seen?.n ?? 0) > 0;
  };
  if (!tenant) return remember(db);
  return withTenant(db, tenant.id, async (tx) => {
    const isNew = await remember(tx);
    if (isNew) {
      await publishEvent(tx, {
        type: 'auth.new_device',
        tenantId: tenant.id,
        // No actorUserId: the user is the recipient, not someone to leave out.
        payload: { subjectUserIds: [user.id], email: user.email, userAgent: deviceFamily(userAgent), ipAddress: ip },
      });
    }
    return isNew;
  });
}
