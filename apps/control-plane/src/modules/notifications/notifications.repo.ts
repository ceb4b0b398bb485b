import { and, count, desc, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { TenantRole } from '@cbp/contracts';
import type { ScopedTx } from '../../platform/db.js';
import { notifications, notificationSettings, tenantMemberships, users } from '../../platform/schema.js';

export type NotificationRow = typeof notifications.$inferSelect;
export type SettingsRow = typeof notificationSettings.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;

const inbox = (tenantId: string, userId: string) => and(eq(notifications.tenantId, tenantId), eq(notifications.userId, userId), eq(notifications.inApp, true));

export async function listNotifications(
  tx: ScopedTx,
  tenantId: string,
  userId: string,
  { page, limit, read, type }: { page: number; limit: number; read?: boolean; type?: string },
): Promise<{ rows: NotificationRow[]; total: number; unread: number }> {
  const filters: (SQL | undefined)[] = [inbox(tenantId, userId)];
  if (read === true) filters.push(isNotNull(notifications.readAt));
  if (read === false) filters.push(isNull(notifications.readAt));
  if (type) filters.push(eq(notifications.type, type));
  const where = and(...filters);
  const rows = await tx
    .select()
    .from(notifications)
    .where(where)
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit)
    .offset((page - 1) * limit);
  const [total] = await tx.select({ n: count() }).from(notifications).where(where);
  const unread = await unreadCount(tx, tenantId, userId);
  return { rows, total: total?.n ?? 0, unread };
}

export async function unreadCount(tx: ScopedTx, tenantId: string, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(notifications)
    .where(and(inbox(tenantId, userId), isNull(notifications.readAt)));
  return row?.n ?? 0;
}

/** Marks one of the user's notifications read (null: no such notification of theirs). */
export async function markRead(tx: ScopedTx, tenantId: string, userId: string, id: string): Promise<NotificationRow | null> {
  const [row] = await tx
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(and(inbox(tenantId, userId), eq(notifications.id, id)))
    .returning();
  return row ?? null;
}

export async function markAllRead(tx: ScopedTx, tenantId: string, userId: string): Promise<number> {
  const rows = await tx
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(and(inbox(tenantId, userId), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return rows.length;
}

export async function settingsOf(tx: ScopedTx, tenantId: string, userIds: readonly string[]): Promise<SettingsRow[]> {
  if (userIds.length === 0) return [];
  return tx
    .select()
    .from(notificationSettings)
    .where(and(eq(notificationSettings.tenantId, tenantId), inArray(notificationSettings.userId, [...userIds])));
}

export async function saveSettings(tx: ScopedTx, row: Omit<SettingsRow, 'updatedAt'>): Promise<void> {
  await tx
    .insert(notificationSettings)
    .values({ ...row, updatedAt: new Date() })
    .onConflictDoUpdate({
      target: [notificationSettings.tenantId, notificationSettings.userId],
      set: { channels: row.channels, types: row.types, digest: row.digest, updatedAt: new Date() },
    });
}

/** Active members of the tenant (active users) with one of the roles, or one of the ids. */
export async function recipientsOf(
  tx: ScopedTx,
  tenantId: string,
  { roles, userIds }: { roles: readonly TenantRole[]; userIds: readonly string[] },
): Promise<{ userId: string; email: string; name: string; role: TenantRole }[]> {
  const who: SQL[] = [];
  if (roles.length > 0) who.push(inArray(tenantMemberships.role, [...roles]));
  if (userIds.length > 0) who.push(inArray(tenantMemberships.userId, [...userIds]));
  if (who.length === 0) return [];
  return tx
    .select({ userId: users.id, email: users.email, name: users.name, role: tenantMemberships.role })
    .from(tenantMemberships)
    .innerJoin(users, eq(users.id, tenantMemberships.userId))
    .where(
      and(
        eq(tenantMemberships.tenantId, tenantId),
        eq(tenantMemberships.status, 'active'),
        eq(users.status, 'active'),
        who.length === 1 ? who[0] : sql`(${who[0]} OR ${who[1]})`,
      ),
    );
}

/** Transactions that hold their tenant's notification lock (one tenant per transaction: tenant scope). */
const lockedTx = new WeakSet<object>();

/** Channel of the live stream's NOTIFY (payload `<tenantId>:<userId>:<seq>`; notifications.stream.ts). */
export const notificationsChannel = 'cbp_notifications';

/**
 * Inserts the notification unless this event already notified this user; true when inserted.
 *
 * First a per-tenant advisory lock held to the commit: fan-outs of one tenant commit one after
 * another, so the stream's sequence order is the commit order (migration 0030). An in-app row
 * then wakes every API copy's stream listener at commit (pg_notify is transactional): the
 * payload only says whose inbox changed, streams read the rows themselves.
 */
export async function insertNotification(tx: ScopedTx, row: NewNotification): Promise<boolean> {
  // Once per transaction (a fan-out inserts a row per recipient in the same one).
  if (!lockedTx.has(tx)) {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`notifications:${row.tenantId}`}, 0))`);
    lockedTx.add(tx);
  }
  const inserted = await tx
    .insert(notifications)
    .values(row)
    .onConflictDoNothing({ target: [notifications.eventId, notifications.userId] })
    .returning({ id: notifications.id, seq: notifications.seq });
  const [created] = inserted;
  if (created && row.inApp) {
    await tx.execute(sql`SELECT pg_notify(${notificationsChannel}, ${`${row.tenantId}:${row.userId}:${created.seq}`})`);
  }
  return inserted.length > 0;
}

// ------------------------------------------------------------------ live stream reads

/** The newest stream position of each user (0: none yet), in one tenant. */
export async function latestSeqOf(tx: ScopedTx, tenantId: string, userId: string): Promise<number> {
  const [row] = await tx
    .select({ seq: sql<string | number | null>`max(${notifications.seq})` })
    .from(notifications)
    .where(inbox(tenantId, userId));
  return Number(row?.seq ?? 0);
}

export interface StreamCursor {
  userId: string;
  /** Rows with a larger seq are new to this user's streams. */
  after: number;
}

/**
 * The in-app rows after each user's cursor (at most `limit` per user: the newest ones), oldest
 * first, with each of those users' unread count. One query per tenant for every waiting stream.
 */
export async function rowsAfter(
  tx: ScopedTx,
  tenantId: string,
  cursors: readonly StreamCursor[],
  limit: number,
): Promise<{ rows: NotificationRow[]; unread: Map<string, number> }> {
  if (cursors.length === 0) return { rows: [], unread: new Map() };
  const wanted = JSON.stringify(cursors.map((c) => ({ user_id: c.userId, after: c.after })));
  const newest = sql`SELECT id FROM (
      SELECT n.id, row_number() OVER (PARTITION BY n.user_id ORDER BY n.seq DESC) AS rank
      FROM notifications n
      JOIN jsonb_to_recordset(${wanted}::jsonb) AS c(user_id uuid, after bigint) ON c.user_id = n.user_id AND n.seq > c.after
      WHERE n.tenant_id = ${tenantId} AND n.in_app
    ) ranked WHERE rank <= ${limit}`;
  const rows = await tx.select().from(notifications).where(sql`${notifications.id} IN (${newest})`).orderBy(notifications.seq);
  const users = [...new Set(rows.map((r) => r.userId))];
  const unread = new Map<string, number>();
  if (users.length > 0) {
    const counts = await tx
      .select({ userId: notifications.userId, n: count() })
      .from(notifications)
      .where(and(eq(notifications.tenantId, tenantId), eq(notifications.inApp, true), isNull(notifications.readAt), inArray(notifications.userId, users)))
      .groupBy(notifications.userId);
    for (const c of counts) unread.set(c.userId, c.n);
  }
  return { rows, unread };
}
