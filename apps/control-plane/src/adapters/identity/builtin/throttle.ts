import { and, eq, gt, lt, or, sql } from 'drizzle-orm';
import type { AppDb } from '../../../platform/db.js';
import { loginFailures } from '../../../platform/schema.js';

/** Failed sign-ins allowed per window: per account (guessing one password) and per address (spraying). */
export const loginLimits = { windowMinutes: 15, perEmail: 10, perIp: 50 };

const windowStart = () => new Date(Date.now() - loginLimits.windowMinutes * 60_000);

export async function loginIsLocked(db: AppDb, email: string, ip: string | null): Promise<boolean> {
  const [row] = await db
    .select({
      byEmail: sql<number>`count(*) FILTER (WHERE ${loginFailures.email} = ${email.toLowerCase()})`.mapWith(Number),
      byIp: sql<number>`count(*) FILTER (WHERE ${loginFailures.ipAddress} = ${ip ?? ''})`.mapWith(Number),
    })
    .from(loginFailures)
    .where(
      and(
        gt(loginFailures.failedAt, windowStart()),
        or(eq(loginFailures.email, email.toLowerCase()), eq(loginFailures.ipAddress, ip ?? '')),
      ),
    );
  return (row?.byEmail ?? 0) >= loginLimits.perEmail || (row?.byIp ?? 0) >= loginLimits.perIp;
}

export async function recordLoginFailure(db: AppDb, email: string, ip: string | null): Promise<void> {
  await db.insert(loginFailures).values({ email: email.toLowerCase(), ipAddress: ip });
  // Keep the table small: a day of history is more than any window needs.
  await db.delete(loginFailures).where(lt(loginFailures.failedAt, new Date(Date.now() - 86_400_000)));
}

export async function clearLoginFailures(db: AppDb, email: string): Promise<void> {
  await db.delete(loginFailures).where(eq(loginFailures.email, email.toLowerCase()));
}
