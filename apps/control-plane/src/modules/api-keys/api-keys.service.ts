import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { ApiKey, CreatedApiKey } from '@cbp/contracts';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext as TenantCtx } from '../../platform/context.js';
import { withPlatformScope, withTenant, type AppDb } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { publishEvent } from '../../platform/events.js';
import { apiKeys, users } from '../../platform/schema.js';

type Row = typeof apiKeys.$inferSelect;

/** Who changed the key, for the domain event (the actor is not notified of their own change). */
const actorOf = (ctx: TenantCtx) => (ctx.actor.type === 'user' ? { actorUserId: ctx.actor.id, actorEmail: ctx.actor.email } : {});

/** Secrets look like `cbp_live_<43 chars>`; only their SHA-256 is stored. */
export const apiKeyPattern = /^cbp_live_[A-Za-z0-9_-]{43}$/;
export const hashApiKey = (secret: string) => createHash('sha256').update(secret).digest('hex');

const keyFrom = (row: Row, createdBy: string | null): ApiKey => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes.filter((s): s is 'usage:write' => s === 'usage:write'),
  createdAt: row.createdAt.toISOString(),
  createdBy,
  lastUsedAt: row.lastUsedAt ? row.lastUsedAt.toISOString() : null,
  revokedAt: row.revokedAt ? row.revokedAt.toISOString() : null,
});

export async function listApiKeys(db: AppDb, tenantId: string): Promise<ApiKey[]> {
  return withTenant(db, tenantId, async (tx) => {
    const rows = await tx
      .select({ key: apiKeys, createdBy: users.email })
      .from(apiKeys)
      .leftJoin(users, eq(users.id, apiKeys.createdBy))
      .where(eq(apiKeys.tenantId, tenantId))
      .orderBy(desc(apiKeys.createdAt));
    return rows.map((r) => keyFrom(r.key, r.createdBy));
  });
}

export async function createApiKey(db: AppDb, ctx: TenantCtx, name: string): Promise<CreatedApiKey> {
  const secret = `cbp_live_${randomBytes(32).toString('base64url')}`;
  return withTenant(db, ctx.tenantId, async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({ tenantId: ctx.tenantId, name, prefix: `${secret.slice(0, 13)}…`, keyHash: hashApiKey(secret), scopes: ['usage:write'], createdBy: ctx.actor.type === 'user' ? ctx.actor.id : null })
      .returning();
    if (!row) throw new Error('api key not inserted');
    await recordAuditEntry(tx, ctx, { action: 'api_key.created', targetType: 'api_key', targetId: row.id, targetName: name, after: { name, prefix: row.prefix, scopes: row.scopes } });
    await publishEvent(tx, { type: 'api_key.created', tenantId: ctx.tenantId, payload: { apiKeyId: row.id, name, ...actorOf(ctx) } });
    return { ...keyFrom(row, ctx.actor.email), secret };
  });
}

export async function revokeApiKey(db: AppDb, ctx: TenantCtx, id: string): Promise<void> {
  await withTenant(db, ctx.tenantId, async (tx) => {
    const [row] = await tx.select().from(apiKeys).where(and(eq(apiKeys.tenantId, ctx.tenantId), eq(apiKeys.id, id))).for('update');
    if (!row) throw notFound('API key');
    if (row.revokedAt) throw new AppError(409, 'CONFLICT', 'This API key is already revoked.');
    await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id));
    await recordAuditEntry(tx, ctx, { action: 'api_key.revoked', targetType: 'api_key', targetId: id, targetName: row.name, before: { revokedAt: null }, after: { revoked: true } });
    await publishEvent(tx, { type: 'api_key.revoked', tenantId: ctx.tenantId, payload: { apiKeyId: id, name: row.name, ...actorOf(ctx) } });
  });
}

/** The active key behind a secret, marking it used (at most once a minute, to spare writes). */
export async function authenticateApiKey(db: AppDb, secret: string): Promise<{ id: string; tenantId: string; name: string; scopes: string[] } | null> {
  if (!apiKeyPattern.test(secret)) return null;
  // The secret names the key, not its tenant: looked up in the platform scope (decision 003).
  const [row] = await withPlatformScope(db, (tx) =>
    tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, hashApiKey(secret)), isNull(apiKeys.revokedAt)))
      .limit(1),
  );
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await withTenant(db, row.tenantId, (tx) => tx.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, row.id)));
  }
  return { id: row.id, tenantId: row.tenantId, name: row.name, scopes: row.scopes };
}
