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

/** Inserts the notification unless this event already notified this user; true when inserted. */
export async function insertNotification(tx: ScopedTx, row: NewNotification): Promise<boolean> {
  const inserted = await tx
    .insert(notifications)
    .values(row)
    .onConflictDoNothing({ target: [notifications.eventId, notifications.userId] })
    .returning({ id: notifications.id });
  return inserted.length > 0;
}
