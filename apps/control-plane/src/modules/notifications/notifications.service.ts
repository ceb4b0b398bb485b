import {
  defaultChannelsFor,
  notificationTypeNames,
  notificationTypes,
  type ChannelSettings,
  type Notification,
  type NotificationListQuery,
  type NotificationPage,
  type NotificationReadAllResult,
  type NotificationSettings,
  type NotificationSettingsPatch,
  type NotificationType,
  type NotificationTypeInfo,
} from '@cbp/contracts';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext } from '../../platform/context.js';
import { readTenant, withTenant, type AppDb, type TenantTx } from '../../platform/db.js';
import { forbidden, notFound } from '../../platform/errors.js';
import type { DomainEvent, EventHandler } from '../../platform/events.js';
import { notificationMessage, tenantNameOf, type NotificationMailDeps } from './notification-mail.js';
import {
  insertNotifications,
  listNotifications,
  markAllRead,
  markRead,
  recipientsOf,
  saveSettings,
  settingsOf,
  unreadCount,
  type NewNotification,
  type NotificationRow,
  type SettingsRow,
} from './notifications.repo.js';
import { describeEvent } from './notification-text.js';

const isNotificationType = (type: string): type is NotificationType => Object.hasOwn(notificationTypes, type);

/** Notifications belong to a user: API keys have none. */
function userOf(ctx: TenantContext): string {
  if (ctx.actor.type !== 'user') throw forbidden('Notifications belong to signed-in users.');
  return ctx.actor.id;
}

export const notificationFrom = (row: NotificationRow): Notification => ({
  id: row.id,
  type: row.type as NotificationType,
  title: row.title,
  body: row.body,
  severity: row.severity,
  link: row.link,
  read: row.readAt !== null,
  createdAt: row.createdAt.toISOString(),
});

export async function getNotifications(db: AppDb, ctx: TenantContext, query: NotificationListQuery): Promise<NotificationPage> {
  const userId = userOf(ctx);
  return readTenant(db, ctx.tenantId, async (tx) => {
    const read = query.read === undefined ? undefined : query.read === 'true';
    const { rows, total, unread } = await listNotifications(tx, ctx.tenantId, userId, { page: query.page, limit: query.limit, read, type: query.type });
    return { data: rows.map(notificationFrom), total, unread };
  });
}

/**
 * Marking read is not audited: it changes only the reader's own inbox state, no business data
 * (docs/ARCHITECTURE.md, Domain events and notifications). Someone else's id answers 404.
 */
export async function markAsRead(db: AppDb, ctx: TenantContext, id: string): Promise<Notification> {
  const userId = userOf(ctx);
  return withTenant(db, ctx.tenantId, async (tx) => {
    const row = await markRead(tx, ctx.tenantId, userId, id);
    if (!row) throw notFound('Notification');
    return notificationFrom(row);
  });
}

export async function markAllAsRead(db: AppDb, ctx: TenantContext): Promise<NotificationReadAllResult> {
  const userId = userOf(ctx);
  return withTenant(db, ctx.tenantId, async (tx) => {
    const updated = await markAllRead(tx, ctx.tenantId, userId);
    return { updated, unread: 0 };
  });
}

export async function getUnreadCount(db: AppDb, ctx: TenantContext): Promise<number> {
  const userId = userOf(ctx);
  return withTenant(db, ctx.tenantId, (tx) => unreadCount(tx, ctx.tenantId, userId));
}

/** The effective settings: what the user chose over the defaults (every type listed). */
export function resolveSettings(row: Pick<SettingsRow, 'channels' | 'types' | 'digest'> | undefined): NotificationSettings {
  const types = {} as Record<NotificationType, ChannelSettings>;
  for (const type of notificationTypeNames) {
    const chosen = row?.types[type];
    const fallback = defaultChannelsFor(type);
    types[type] = { inApp: chosen?.inApp ?? fallback.inApp, email: chosen?.email ?? fallback.email };
  }
  return {
    channels: { inApp: row?.channels.inApp ?? true, email: row?.channels.email ?? true },
    types,
    digest: row?.digest ?? false,
  };
}

/** Whether a notification of `type` goes in-app and by email for these settings. */
export function channelsFor(settings: NotificationSettings, type: NotificationType): ChannelSettings {
  const t = settings.types[type];
  return { inApp: settings.channels.inApp && t.inApp, email: settings.channels.email && t.email };
}

export async function getNotificationSettings(db: AppDb, ctx: TenantContext): Promise<NotificationSettings> {
  const userId = userOf(ctx);
  return withTenant(db, ctx.tenantId, async (tx) => resolveSettings((await settingsOf(tx, ctx.tenantId, [userId]))[0]));
}

/** Merges the patch into the user's choices and records `notification_settings.updated` (their own preferences). */
export async function updateNotificationSettings(db: AppDb, ctx: TenantContext, patch: NotificationSettingsPatch): Promise<NotificationSettings> {
  const userId = userOf(ctx);
  return withTenant(db, ctx.tenantId, async (tx) => {
    const [current] = await settingsOf(tx, ctx.tenantId, [userId]);
    const before = resolveSettings(current);
    const channels = { ...(current?.channels ?? {}), ...stripUndefined(patch.channels ?? {}) };
    const types: SettingsRow['types'] = { ...(current?.types ?? {}) };
    for (const [type, value] of Object.entries(patch.types ?? {})) {
      if (!value) continue;
      types[type] = { ...(types[type] ?? {}), ...stripUndefined(value) };
    }
    const digest = patch.digest ?? current?.digest ?? false;
    await saveSettings(tx, { tenantId: ctx.tenantId, userId, channels, types, digest });
    const after = resolveSettings({ channels, types, digest });
    await recordAuditEntry(tx, ctx, {
      action: 'notification_settings.updated',
      targetType: 'user',
      targetId: userId,
      targetName: ctx.actor.email,
      before: changedPart(before, after, 'before'),
      after: changedPart(before, after, 'after'),
    });
    return after;
  });
}

function stripUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The audit entry names only what changed (channels, digest, and the types whose channels moved). */
function changedPart(before: NotificationSettings, after: NotificationSettings, side: 'before' | 'after'): Record<string, unknown> {
  const pick = side === 'before' ? before : after;
  const types: Record<string, ChannelSettings> = {};
  for (const type of notificationTypeNames) {
    const b = before.types[type];
    const a = after.types[type];
    if (b.inApp !== a.inApp || b.email !== a.email) types[type] = pick.types[type];
  }
  return { channels: pick.channels, digest: pick.digest, types };
}

// ------------------------------------------------------------------ fan-out (event handler)

const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/**
 * The `notifications` handler of domain events: for a notification type, one row per recipient
 * (the type's roles, plus the users the event is about for `subject` types; never the actor
 * who caused it), with the channels their settings allow. The unique (event, user) key makes a
 * repeated delivery a no-op, and the mail is queued only with a new row, in the same
 * transaction, so a recipient gets one mail per event whatever happens.
 */
export function notificationHandler(mail: NotificationMailDeps): EventHandler {
  return {
    name: 'notifications',
    async handle(tx: TenantTx, event: DomainEvent) {
      if (!isNotificationType(event.type)) return;
      const info: NotificationTypeInfo = notificationTypes[event.type];
      const subjects = info.subject ? stringList(event.payload.subjectUserIds) : [];
      const actor = typeof event.payload.actorUserId === 'string' ? event.payload.actorUserId : null;
      const recipients = (await recipientsOf(tx, event.tenantId, { roles: info.roles, userIds: subjects })).filter(
        (r) => r.userId !== actor && (info.roles.includes(r.role) || subjects.includes(r.userId)),
      );
      if (recipients.length === 0) return;
      const settings = new Map((await settingsOf(tx, event.tenantId, recipients.map((r) => r.userId))).map((s) => [s.userId, s]));
      const text = describeEvent(event.type, event.payload);
      const rows: NewNotification[] = [];
      const mailTo = new Map<string, (typeof recipients)[number]>();
      for (const recipient of recipients) {
        const resolved = resolveSettings(settings.get(recipient.userId));
        const channels = channelsFor(resolved, event.type);
        if (!channels.inApp && !channels.email) continue;
        // Daily digest on: the email of a non-critical type waits for the digest (notifications.workflows.ts).
        const held = channels.email && resolved.digest && info.severity !== 'critical';
        rows.push({
          tenantId: event.tenantId,
          userId: recipient.userId,
          eventId: event.id,
          type: event.type,
          severity: info.severity,
          title: text.title,
          body: text.body,
          link: text.link,
          inApp: channels.inApp,
          emailed: channels.email && !held,
          digest: held,
          createdAt: event.occurredAt,
        });
        if (channels.email && !held) mailTo.set(recipient.userId, recipient);
      }
      // One statement for every recipient; a mail only with a new row (a repeated delivery sends none).
      const created = await insertNotifications(tx, rows);
      let tenantName: string | null = null;
      for (const [userId, recipient] of mailTo) {
        if (!created.has(userId)) continue;
        tenantName ??= await tenantNameOf(tx, event.tenantId);
        await mail.mailer.send(tx, notificationMessage(mail, { tenantId: event.tenantId, tenantName, recipient, type: event.type, text }));
      }
    },
  };
}
