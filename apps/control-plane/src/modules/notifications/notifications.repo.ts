import { and, count, desc, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { TenantRole } from '@cbp/contracts';
import { preparedQueries, type ScopedTx } from '../../platform/db.js';
import { notificationCounters, notifications, notificationSettings, tenantMemberships, users } from '../../platform/schema.js';

export type NotificationRow = typeof notifications.$inferSelect;
export type SettingsRow = typeof notificationSettings.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;

const inbox = (tenantId: string, userId: string) => and(eq(notifications.tenantId, tenantId), eq(notifications.userId, userId), eq(notifications.inApp, true));

/**
 * The inbox counters (one row even for a user who has none yet: an aggregate) joined to a page
 * of notifications, so an empty page still carries them. One prepared query per shape.
 */
const inboxPage = preparedQueries('cbp_notifications_inbox', ({ read, byType }: { read: 'any' | 'read' | 'unread'; byType: boolean }, q) => {
  const p = sql.placeholder;
  const page = q
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.tenantId, p('tenantId')),
        eq(notifications.userId, p('userId')),
        eq(notifications.inApp, true),
        read === 'read' ? isNotNull(notifications.readAt) : read === 'unread' ? isNull(notifications.readAt) : undefined,
        byType ? eq(notifications.type, p('type')) : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(p('limit'))
    .offset(p('offset'))
    .as('page');
  const counters = q
    .select({
      total: sql<number>`coalesce(max(${notificationCounters.total}), 0)`.mapWith(Number).as('total'),
      unread: sql<number>`coalesce(max(${notificationCounters.unread}), 0)`.mapWith(Number).as('unread'),
    })
    .from(notificationCounters)
    .where(and(eq(notificationCounters.tenantId, p('tenantId')), eq(notificationCounters.userId, p('userId'))))
    .as('counters');
  return q
    .select({ total: counters.total, unread: counters.unread, notification: { id: page.id, seq: page.seq, tenantId: page.tenantId, userId: page.userId, eventId: page.eventId, type: page.type, severity: page.severity, title: page.title, body: page.body, link: page.link, inApp: page.inApp, emailed: page.emailed, digest: page.digest, readAt: page.readAt, createdAt: page.createdAt } })
    .from(counters)
    .leftJoin(page, sql`true`)
    .orderBy(desc(page.createdAt), desc(page.id));
});

export async function listNotifications(
  tx: ScopedTx,
  tenantId: string,
  userId: string,
  { page: page_, limit, read, type }: { page: number; limit: number; read?: boolean; type?: string },
): Promise<{ rows: NotificationRow[]; total: number; unread: number }> {
  // One statement (issue 18), prepared per filter shape: the inbox counters joined to the page.
  const joined = await inboxPage({ read: read === undefined ? 'any' : read ? 'read' : 'unread', byType: !!type })(tx, { tenantId, userId, type, limit, offset: (page_ - 1) * limit });
  const counts = { total: joined[0]?.total ?? 0, unread: joined[0]?.unread ?? 0 };
  const rows = joined.flatMap((r) => (r.notification ? [r.notification] : []));
  // The counters answer every filter but the type one, which counts its rows.
  let total: number;
  if (type) {
    const where = and(inbox(tenantId, userId), read === undefined ? undefined : read ? isNotNull(notifications.readAt) : isNull(notifications.readAt), eq(notifications.type, type));
    total = (await tx.select({ n: count() }).from(notifications).where(where))[0]?.n ?? 0;
  }
  else total = read === undefined ? counts.total : read ? counts.total - counts.unread : counts.unread;
  return { rows, total, unread: counts.unread };
}

/** The user's in-app total and unread counts, kept by triggers (migration 0035). */
async function countsOf(tx: ScopedTx, tenantId: string, userId: string): Promise<{ total: number; unread: number }> {
  const [row] = await tx
    .select({ total: notificationCounters.total, unread: notificationCounters.unread })
    .from(notificationCounters)
    .where(and(eq(notificationCounters.tenantId, tenantId), eq(notificationCounters.userId, userId)));
  return { total: Number(row?.total ?? 0), unread: Number(row?.unread ?? 0) };
}

export async function unreadCount(tx: ScopedTx, tenantId: string, userId: string): Promise<number> {
  return (await countsOf(tx, tenantId, userId)).unread;
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

/** A NOTIFY payload for a fan-out that reached several users of a tenant: `<tenant>:*:<max seq>`. */
export const everyUser = '*';

/** Rows per INSERT statement (13 parameters a row, well under PostgreSQL's 65,535). */
const insertChunk = 1_000;

/**
 * Inserts the notifications (one per recipient of one event) except those this event already
 * gave a user; returns the ids of the users who got a new row.
 *
 * First a per-tenant advisory lock held to the commit: fan-outs of one tenant commit one after
 * another, so the stream's sequence order is the commit order (migration 0030). The rows go in
 * one statement (a round trip per 1,000 recipients, not two per recipient), then one
 * `pg_notify` wakes every API copy's stream listener at commit (pg_notify is transactional):
 * the payload only says whose inbox changed (one user, or `*` for several users of the
 * tenant), streams read the rows themselves.
 */
export async function insertNotifications(tx: ScopedTx, rows: readonly NewNotification[]): Promise<Set<string>> {
  const created = new Set<string>();
  const first = rows[0];
  if (!first) return created;
  if (!lockedTx.has(tx)) {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`notifications:${first.tenantId}`}, 0))`);
    lockedTx.add(tx);
  }
  const inApp: { userId: string; seq: number }[] = [];
  for (let from = 0; from < rows.length; from += insertChunk) {
    const inserted = await tx
      .insert(notifications)
      .values(rows.slice(from, from + insertChunk))
      .onConflictDoNothing({ target: [notifications.eventId, notifications.userId] })
      .returning({ userId: notifications.userId, seq: notifications.seq, inApp: notifications.inApp });
    for (const row of inserted) {
      created.add(row.userId);
      if (row.inApp) inApp.push({ userId: row.userId, seq: Number(row.seq) });
    }
  }
  if (inApp.length > 0) {
    const who = inApp.length === 1 ? (inApp[0]?.userId ?? everyUser) : everyUser;
    const seq = Math.max(...inApp.map((r) => r.seq));
    await tx.execute(sql`SELECT pg_notify(${notificationsChannel}, ${`${first.tenantId}:${who}:${seq}`})`);
  }
  return created;
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
      .select({ userId: notificationCounters.userId, n: notificationCounters.unread })
      .from(notificationCounters)
      .where(and(eq(notificationCounters.tenantId, tenantId), inArray(notificationCounters.userId, users)));
    for (const c of counts) unread.set(c.userId, Number(c.n));
  }
  return { rows, unread };
}
