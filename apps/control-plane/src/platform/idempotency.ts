import { createHash } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { queryRows, type AppDb } from './db.js';
import { AppError } from './errors.js';
import { idempotencyKeys } from './schema.js';

export interface IdempotentResult<T> {
  status: number;
  body: T;
  replayed: boolean;
}

const KeyFormat = /^[\w.:-]{1,255}$/;

/**
 * Runs `run` at most once per (tenant, scope, Idempotency-Key), like Stripe: a retry with the
 * same key and body gets the first answer again (a refusal included); a concurrent retry while
 * the first is still running gets 409; the same key with another body is refused. Unexpected
 * failures release the key so the retry can go through.
 */
export async function withIdempotency<T>(
  db: AppDb,
  { tenantId, scope, key, request }: { tenantId: string; scope: string; key: string | undefined; request: unknown },
  run: () => Promise<{ status: number; body: T }>,
): Promise<IdempotentResult<T>> {
  if (key === undefined) return { ...(await run()), replayed: false };
  if (!KeyFormat.test(key)) {
    throw new AppError(400, 'VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 letters, digits, or . _ : -', [
      { path: 'headers.idempotency-key', message: 'Invalid format' },
    ]);
  }
  const requestHash = createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex');
  const claimed = await queryRows<{ key: string }>(
    db,
    sql`INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash) VALUES (${tenantId}, ${scope}, ${key}, ${requestHash})
        ON CONFLICT DO NOTHING RETURNING key`,
  );
  const where = and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
  if (claimed.length === 0) {
    const [earlier] = await db.select().from(idempotencyKeys).where(where).limit(1);
    if (!earlier) throw new AppError(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is being processed; retry shortly.');
    if (earlier.requestHash !== requestHash) {
      throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
    }
    if (earlier.statusCode === null) {
      throw new AppError(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is being processed; retry shortly.');
    }
    const stored = earlier.response as { problem?: { code: string; detail: string } } | T;
    if (earlier.statusCode >= 400 && stored && typeof stored === 'object' && 'problem' in stored && stored.problem) {
      throw new AppError(earlier.statusCode, stored.problem.code, stored.problem.detail);
    }
    return { status: earlier.statusCode, body: stored as T, replayed: true };
  }
  try {
    const result = await run();
    await db
      .update(idempotencyKeys)
      .set({ statusCode: result.status, response: result.body as unknown })
      .where(and(where, isNull(idempotencyKeys.statusCode)));
    return { ...result, replayed: false };
  } catch (err) {
    if (err instanceof AppError && err.status >= 400 && err.status < 500) {
      await db
        .update(idempotencyKeys)
        .set({ statusCode: err.status, response: { problem: { code: err.code, detail: err.message } } })
        .where(where);
    } else {
      await db.delete(idempotencyKeys).where(where);
    }
    throw err;
  }
}
