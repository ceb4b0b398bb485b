import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, withTenant, type AppDb, type Queryable } from './db.js';
import { AppError, catalogueCode } from './errors.js';

export interface IdempotentResult<T> {
  status: number;
  body: T;
  replayed: boolean;
}

/**
 * How long a claim holds its key (the default, and the most a caller may ask for). A request
 * still unanswered after this is presumed dead (its process was killed, crashed, or lost the
 * database), and the next retry with the same key takes the claim over and runs the work.
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;

/** What `run` is told about its attempt. */
export interface IdempotentAttempt {
  /**
   * True when this attempt took over the expired claim of an earlier one, which may have done
   * part of the work before it died: the work must be safe to re-run (find and adopt what the
   * earlier attempt left, never do it twice).
   */
  takeover: boolean;
}

/** 409 while another attempt holds the key; `retryAfterSeconds` is when its lease ends. */
export class IdempotencyInProgressError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is being processed; retry shortly.');
  }
}

const KeyFormat = /^[\w.:-]{1,255}$/;

interface Where {
  tenantId: string;
  scope: string;
  key: string;
  attempt: number;
}

/** Writes the answer if `attempt` still holds the unanswered key; returns whether it did. */
async function record(q: Queryable, { tenantId, scope, key, attempt }: Where, status: number, response: unknown): Promise<boolean> {
  const rows = await queryRows<{ key: string }>(
    q,
    sql`UPDATE idempotency_keys SET status_code = ${status}, response = ${JSON.stringify(response ?? null)}::jsonb, locked_until = NULL
        WHERE tenant_id = ${tenantId} AND scope = ${scope} AND key = ${key} AND attempt = ${attempt} AND status_code IS NULL
        RETURNING key`,
  );
  return rows.length > 0;
}

/**
 * Runs `run` at most once per (tenant, scope, Idempotency-Key), like Stripe: a retry with the
 * same key and body gets the first answer again (a refusal included); the same key with another
 * body is refused (422).
 *
 * A claim is a lease of `leaseMs` (at most `IDEMPOTENCY_LEASE_MS`): a concurrent retry while it
 * runs gets 409 with Retry-After; once the lease has expired without an answer (the process
 * died), the next retry takes the claim over in one statement and runs `run` again with
 * `takeover: true`. Each takeover bumps `attempt`, which fences answers: an attempt that lost its
 * lease cannot record its answer (its caller gets 409 and, retrying, the holder's answer), so the
 * work itself must tolerate running twice (adopt, unique keys, gateway idempotency). Unexpected failures
 * end the lease at once so the retry can go through.
 */
export async function withIdempotency<T>(
  db: AppDb,
  {
    tenantId,
    scope,
    key,
    request,
    leaseMs = IDEMPOTENCY_LEASE_MS,
  }: { tenantId: string; scope: string; key: string | undefined; request: unknown; leaseMs?: number },
  run: (attempt: IdempotentAttempt) => Promise<{ status: number; body: T }>,
): Promise<IdempotentResult<T>> {
  if (key === undefined) return { ...(await run({ takeover: false })), replayed: false };
  if (!KeyFormat.test(key)) {
    throw new AppError(400, 'VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 letters, digits, or . _ : -', [
      { path: 'headers.idempotency-key', message: 'Invalid format' },
    ]);
  }
  const lease = Math.max(1, Math.min(Math.floor(leaseMs), IDEMPOTENCY_LEASE_MS));
  const requestHash = createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex');
  // Claim a new key, or take over an unanswered claim whose lease has expired: one atomic
  // statement, so of several concurrent retries exactly one gets the claim.
  const [claimed] = await withTenant(db, tenantId, (tx) =>
    queryRows<{ attempt: number }>(
      tx,
      sql`INSERT INTO idempotency_keys AS k (tenant_id, scope, key, request_hash, locked_until, attempt)
          VALUES (${tenantId}, ${scope}, ${key}, ${requestHash}, now() + ${lease} * interval '1 millisecond', 1)
          ON CONFLICT (tenant_id, scope, key) DO UPDATE
            SET locked_until = EXCLUDED.locked_until, attempt = k.attempt + 1
            WHERE k.status_code IS NULL AND k.request_hash = EXCLUDED.request_hash
              AND (k.locked_until IS NULL OR k.locked_until <= now())
          RETURNING k.attempt`,
    ),
  );
  if (!claimed) {
    const [earlier] = await withTenant(db, tenantId, (tx) =>
      queryRows<{ request_hash: string; status_code: number | null; response: unknown; retry_after: number | string | null }>(
        tx,
        sql`SELECT request_hash, status_code, response,
                   greatest(1, ceil(extract(epoch FROM (locked_until - now()))))::int AS retry_after
            FROM idempotency_keys WHERE tenant_id = ${tenantId} AND scope = ${scope} AND key = ${key}`,
      ),
    );
    // Answered and released between the two statements (an unexpected failure): retry shortly.
    if (!earlier) throw new IdempotencyInProgressError(1);
    if (earlier.request_hash !== requestHash) {
      throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
    }
    if (earlier.status_code === null) throw new IdempotencyInProgressError(Number(earlier.retry_after ?? 1));
    const stored = (typeof earlier.response === 'string' ? JSON.parse(earlier.response) : earlier.response) as
      | { problem?: { code: string; detail: string; declineCode?: string } }
      | T;
    if (earlier.status_code >= 400 && stored && typeof stored === 'object' && 'problem' in stored && stored.problem) {
      const { code, detail, declineCode } = stored.problem;
      throw new AppError(earlier.status_code, catalogueCode(code, earlier.status_code), detail, undefined, declineCode ? { declineCode } : undefined);
    }
    return { status: earlier.status_code, body: stored as T, replayed: true };
  }
  const where: Where = { tenantId, scope, key, attempt: claimed.attempt };
  let result: { status: number; body: T };
  try {
    result = await run({ takeover: claimed.attempt > 1 });
  } catch (err) {
    if (err instanceof IdempotencyInProgressError) throw err;
    if (err instanceof AppError && err.status >= 400 && err.status < 500) {
      // A refusal is the answer (replayed to retries); if it cannot be recorded, the lease runs out.
      await withTenant(db, tenantId, (tx) => record(tx, where, err.status, { problem: { code: err.code, detail: err.message, ...err.extras } })).catch(
        () => undefined,
      );
    } else {
      // Release: the lease ends now, so the next retry takes over (and adopts any partial work).
      await withTenant(db, tenantId, (tx) =>
        queryRows(
          tx,
          sql`UPDATE idempotency_keys SET locked_until = now()
              WHERE tenant_id = ${tenantId} AND scope = ${scope} AND key = ${key} AND attempt = ${claimed.attempt} AND status_code IS NULL
              RETURNING key`,
        ),
      ).catch(() => undefined);
    }
    throw err;
  }
  // Only the holder of the key answers: an attempt that outlived its lease (another took over)
  // tells its caller to retry, and the retry gets the holder's answer.
  if (!(await withTenant(db, tenantId, (tx) => record(tx, where, result.status, result.body)))) {
    throw new IdempotencyInProgressError(Math.ceil(lease / 1000));
  }
  return { ...result, replayed: false };
}
