import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { errors as oidcErrors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { AppDb } from '../../../platform/db.js';
import { findUnstorableStrings, unstorableReason } from '../../../platform/hostile-input.js';
import { oidcPayloads } from '../../../platform/schema.js';

/**
 * oidc-provider storage in the database (sessions, interactions, codes, grants, tokens), so
 * any copy of the API can continue a login another copy started.
 */
export interface StorageHooks {
  /** A session was saved (sign-in, renewal): awaited before the provider answers. */
  onSessionSaved?: (payload: AdapterPayload) => Promise<void>;
  /** A session is about to be destroyed by the provider (sign-out): awaited, with its last payload. */
  onSessionDestroyed?: (payload: AdapterPayload) => Promise<void>;
}

export function databaseAdapter(db: AppDb, hooks: StorageHooks = {}) {
  return class DatabaseAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      // Parameters from forms the provider parsed itself: refused as a protocol error, not a 500.
      if (findUnstorableStrings(payload, 'payload').length > 0) throw new oidcErrors.InvalidRequest('a parameter contains characters that cannot be stored');
      const row = {
        kind: this.kind,
        id,
        payload: payload as Record<string, unknown>,
        grantId: payload.grantId ?? null,
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      };
      await db
        .insert(oidcPayloads)
        .values(row)
        .onConflictDoUpdate({ target: [oidcPayloads.kind, oidcPayloads.id], set: { ...row, consumedAt: null } });
      if (this.kind === 'Session' && payload.accountId && hooks.onSessionSaved) await hooks.onSessionSaved(payload);
    }

    private async findWhere(condition: ReturnType<typeof eq>, key: string): Promise<AdapterPayload | undefined> {
      // Codes and tokens come from form bodies this provider parses itself (not seen by the
      // platform's hostile-input hook): one PostgreSQL cannot store is simply unknown.
      if (unstorableReason(key)) return undefined;
      const [row] = await db
        .select()
        .from(oidcPayloads)
        .where(
          and(
            eq(oidcPayloads.kind, this.kind),
            condition,
            or(isNull(oidcPayloads.expiresAt), gt(oidcPayloads.expiresAt, new Date())),
          ),
        )
        .limit(1);
      if (!row) return undefined;
      const payload = row.payload as AdapterPayload;
      return row.consumedAt ? { ...payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) } : payload;
    }

    find(id: string) {
      return this.findWhere(eq(oidcPayloads.id, id), id);
    }

    findByUserCode(userCode: string) {
      return this.findWhere(eq(oidcPayloads.userCode, userCode), userCode);
    }

    findByUid(uid: string) {
      return this.findWhere(eq(oidcPayloads.uid, uid), uid);
    }

    async consume(id: string): Promise<void> {
      if (unstorableReason(id)) return;
      await db
        .update(oidcPayloads)
        .set({ consumedAt: sql`now()` })
        .where(and(eq(oidcPayloads.kind, this.kind), eq(oidcPayloads.id, id)));
    }

    async destroy(id: string): Promise<void> {
      if (unstorableReason(id)) return;
      if (this.kind === 'Session' && hooks.onSessionDestroyed) {
        const payload = await this.find(id);
        if (payload?.accountId) await hooks.onSessionDestroyed(payload);
      }
      await db.delete(oidcPayloads).where(and(eq(oidcPayloads.kind, this.kind), eq(oidcPayloads.id, id)));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.delete(oidcPayloads).where(eq(oidcPayloads.grantId, grantId));
    }
  };
}
