import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type AppDb } from '../../../platform/db.js';

/**
 * Sign-in throttling of the built-in provider (migration 0018).
 *
 * Per (account email, client address): the first `freeAttempts` attempts are checked at once,
 * then each further attempt must wait `baseDelaySeconds * 2^k` (capped at `maxDelaySeconds`)
 * after the previous one. A successful sign-in clears the key; the same account from another
 * address is never slowed down, so nobody can lock a victim out.
 * Per client address, across accounts: at most `perAddress` attempts per window (spraying).
 */
export const loginLimits = {
  freeAttempts: 5,
  baseDelaySeconds: 1,
  maxDelaySeconds: 15 * 60,
  /** A key without attempts for this long starts over. */
  forgetAfterHours: 24,
  perAddress: 50,
  addressWindowMinutes: 15,
};

export type LoginAdmission =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; reason: 'account' | 'address' };

/** The wait after the `n`-th recorded attempt of a key (SQL interval). */
function delayAfter(n: SQL): SQL {
  const { freeAttempts, baseDelaySeconds, maxDelaySeconds } = loginLimits;
  return sql`make_interval(secs => CASE WHEN ${n} < ${freeAttempts} THEN 0
    ELSE least(${baseDelaySeconds} * power(2, least(${n} - ${freeAttempts}, 30)), ${maxDelaySeconds}) END)`;
}

class AddressThrottled extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('address throttled');
  }
}

const normalise = (email: string) => email.trim().toLowerCase();

/**
 * Decides whether a sign-in attempt may check its password now and, if so, records it, in one
 * transaction whose upserts lock the key's row: concurrent attempts are admitted one at a time,
 * so no more than the allowed number are ever checked. A refused attempt records nothing.
 */
export async function admitLoginAttempt(db: AppDb, email: string, ip: string): Promise<LoginAdmission> {
  const key = normalise(email);
  const forget = sql`make_interval(hours => ${loginLimits.forgetAfterHours})`;
  const window = sql`make_interval(mins => ${loginLimits.addressWindowMinutes})`;
  try {
    return await db.transaction(async (tx): Promise<LoginAdmission> => {
      const restart = sql`t.last_attempt_at < now() - ${forget}`;
      const next = sql`(CASE WHEN ${restart} THEN 1 ELSE t.attempts + 1 END)`;
      const admitted = await queryRows<{ attempts: number }>(
        tx,
        sql`INSERT INTO login_throttle AS t (email, ip_address, attempts, next_allowed_at, last_attempt_at)
            VALUES (${key}, ${ip}, 1, now() + ${delayAfter(sql`1`)}, now())
            ON CONFLICT (email, ip_address) DO UPDATE SET
              attempts = ${next},
              next_allowed_at = now() + ${delayAfter(next)},
              last_attempt_at = now()
            WHERE t.next_allowed_at <= now()
            RETURNING t.attempts`,
      );
      if (admitted.length === 0) {
        const [row] = await queryRows<{ retry: number }>(
          tx,
          sql`SELECT greatest(1, ceil(extract(epoch FROM next_allowed_at - now())))::int AS retry
              FROM login_throttle WHERE email = ${key} AND ip_address = ${ip}`,
        );
        return { allowed: false, retryAfterSeconds: row?.retry ?? 1, reason: 'account' };
      }
      const expired = sql`a.window_started_at <= now() - ${window}`;
      const counted = await queryRows<{ attempts: number }>(
        tx,
        sql`INSERT INTO login_address_throttle AS a (ip_address, window_started_at, attempts)
            VALUES (${ip}, now(), 1)
            ON CONFLICT (ip_address) DO UPDATE SET
              window_started_at = CASE WHEN ${expired} THEN now() ELSE a.window_started_at END,
              attempts = CASE WHEN ${expired} THEN 1 ELSE a.attempts + 1 END
            WHERE ${expired} OR a.attempts < ${loginLimits.perAddress}
            RETURNING a.attempts`,
      );
      if (counted.length === 0) {
        const [row] = await queryRows<{ retry: number }>(
          tx,
          sql`SELECT greatest(1, ceil(extract(epoch FROM window_started_at + ${window} - now())))::int AS retry
              FROM login_address_throttle WHERE ip_address = ${ip}`,
        );
        // Rolls the key's attempt back: a refused attempt is not counted.
        throw new AddressThrottled(row?.retry ?? 1);
      }
      return { allowed: true };
    });
  } catch (err) {
    if (err instanceof AddressThrottled) return { allowed: false, retryAfterSeconds: err.retryAfterSeconds, reason: 'address' };
    throw err;
  }
}

/** After a successful sign-in: the (account, address) key starts over and the address gets its attempt back. */
export async function clearLoginAttempts(db: AppDb, email: string, ip: string): Promise<void> {
  await db.execute(
    sql`WITH cleared AS (DELETE FROM login_throttle WHERE email = ${normalise(email)} AND ip_address = ${ip})
        UPDATE login_address_throttle SET attempts = greatest(attempts - 1, 0) WHERE ip_address = ${ip}`,
  );
}

/** Drops keys and address windows nobody needs any more (called after failed sign-ins). */
export async function forgetStaleLoginAttempts(db: AppDb): Promise<void> {
  await db.execute(sql`DELETE FROM login_throttle WHERE last_attempt_at < now() - make_interval(hours => ${loginLimits.forgetAfterHours})`);
  await db.execute(
    sql`DELETE FROM login_address_throttle WHERE window_started_at < now() - make_interval(mins => ${loginLimits.addressWindowMinutes})`,
  );
}
