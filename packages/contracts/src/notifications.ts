import { z } from 'zod';
import type { TenantRole } from './roles.js';

/**
 * In-app notifications and their settings (API.md, Notifications; issue 14).
 * A notification is a per-user row fanned out from a domain event by the recipient table
 * below and the user's settings. Every signed-in member (analyst and up) reads their own.
 */

export const NotificationSeverity = z.enum(['info', 'warning', 'critical']);
export type NotificationSeverity = z.infer<typeof NotificationSeverity>;

export interface NotificationTypeInfo {
  /** Default title of the notification (the body names the specifics). */
  title: string;
  severity: NotificationSeverity;
  /** Tenant roles that receive it (exact roles, not a minimum). */
  roles: readonly TenantRole[];
  /** Also the user the event is about (e.g. the member whose role changed), whatever their role. */
  subject: boolean;
  /** Portal page that resolves it. */
  link: string;
  /** One sentence for the settings page. */
  description: string;
  /** Email on by default? Default: on for warning and critical types, off for info ones. */
  emailDefault?: boolean;
}

/**
 * Every notification type: severity, title, link, and who receives it.
 * The API fans out from this table; the portal lists the settings from it.
 */
export const notificationTypes = {
  'quota.soft_limit_crossed': {
    title: 'Usage above the soft limit',
    severity: 'warning',
    roles: ['admin', 'owner'],
    subject: false,
    link: '/usage/quotas',
    description: 'A metric went over its soft limit this period.',
  },
  'quota.hard_limit_crossed': {
    title: 'Usage reached the hard limit',
    severity: 'critical',
    roles: ['admin', 'owner'],
    subject: false,
    link: '/usage/quotas',
    description: 'A metric reached its hard limit: further usage is refused.',
  },
  'quota.overage_projected': {
    title: 'Overage charges expected',
    severity: 'warning',
    roles: ['admin', 'owner'],
    subject: false,
    link: '/usage',
    description: 'Usage is on course to exceed the included quantity this period.',
  },
  'payment.failed': {
    title: 'Payment failed',
    severity: 'critical',
    roles: ['owner', 'admin'],
    subject: false,
    link: '/billing/payment-methods',
    description: 'An invoice could not be paid with the saved payment method.',
  },
  'card.expiring': {
    title: 'Card expiring soon',
    severity: 'warning',
    roles: ['owner'],
    subject: false,
    link: '/billing/payment-methods',
    description: 'A saved card expires within 30 days.',
  },
  'invoice.issued': {
    title: 'New invoice',
    severity: 'info',
    roles: ['owner', 'admin'],
    subject: false,
    link: '/billing/invoices',
    description: 'An invoice was issued.',
  },
  'invitation.accepted': {
    title: 'Invitation accepted',
    severity: 'info',
    roles: ['admin', 'owner'],
    subject: false,
    link: '/team',
    description: 'Someone joined the organization through an invitation.',
  },
  'member.role_changed': {
    title: 'Role changed',
    severity: 'info',
    roles: ['owner'],
    subject: true,
    link: '/team',
    description: "A member's role changed (the member is told too).",
  },
  'member.removed': {
    title: 'Member removed',
    severity: 'info',
    roles: ['admin', 'owner'],
    subject: false,
    link: '/team',
    description: 'A member was removed from or left the organization.',
  },
  'ownership.transferred': {
    title: 'Ownership transferred',
    severity: 'warning',
    roles: ['admin', 'owner'],
    subject: true,
    link: '/team',
    description: 'The organization has a new owner.',
    // The transfer itself mails both owners (team module): no second mail by default.
    emailDefault: false,
  },
  'workflow.failed': {
    title: 'Workflow failed',
    severity: 'critical',
    roles: ['admin', 'owner'],
    subject: false,
    link: '/workflows',
    description: 'A background workflow of the organization failed.',
  },
  'export.ready': {
    title: 'Export ready',
    severity: 'info',
    roles: [],
    subject: true,
    link: '/organization',
    description: 'An export you asked for is ready to download.',
  },
  'auth.new_device': {
    title: 'New sign-in',
    severity: 'warning',
    roles: [],
    subject: true,
    link: '/settings',
    description: 'Your account signed in from a new device or address.',
  },
  'api_key.created': {
    title: 'API key created',
    severity: 'info',
    roles: ['admin', 'owner'],
    subject: false,
    link: '/usage/api-keys',
    description: 'A new API key can report usage for the organization.',
  },
  'api_key.revoked': {
    title: 'API key revoked',
    severity: 'info',
    roles: ['admin', 'owner'],
    subject: false,
    link: '/usage/api-keys',
    description: 'An API key was revoked.',
  },
} as const satisfies Record<string, NotificationTypeInfo>;

export type NotificationType = keyof typeof notificationTypes;
export const notificationTypeNames = Object.keys(notificationTypes) as [NotificationType, ...NotificationType[]];
export const NotificationType = z.enum(notificationTypeNames);

export const Notification = z.object({
  id: z.uuid(),
  type: NotificationType,
  title: z.string(),
  body: z.string(),
  severity: NotificationSeverity,
  /** Portal path that resolves it (e.g. `/usage/quotas`). */
  link: z.string(),
  read: z.boolean(),
  createdAt: z.iso.datetime(),
});
export type Notification = z.infer<typeof Notification>;

/** `GET /notifications?page&limit&read&type`: the caller's own, newest first. */
export const NotificationListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** `true`: read ones only, `false`: unread ones only; absent: all. */
  read: z.enum(['true', 'false']).optional(),
  type: NotificationType.optional(),
});
export type NotificationListQuery = z.infer<typeof NotificationListQuery>;

export const NotificationPage = z.object({
  data: z.array(Notification),
  total: z.number().int().nonnegative(),
  /** Unread notifications of the caller (all types, whatever the filters). */
  unread: z.number().int().nonnegative(),
});
export type NotificationPage = z.infer<typeof NotificationPage>;

/** `POST /notifications/read-all` answer. */
export const NotificationReadAllResult = z.object({ updated: z.number().int().nonnegative(), unread: z.literal(0) });
export type NotificationReadAllResult = z.infer<typeof NotificationReadAllResult>;

/**
 * `GET /notifications/stream` (Server-Sent Events): each new notification of the caller as
 * `id: <seq>` / `event: notification` / `data: NotificationStreamEvent`, a comment as heartbeat.
 * Reconnecting with `Last-Event-ID: <seq>` first sends what came after it (the newest 100).
 */
export const notificationStreamEventName = 'notification';
export const NotificationStreamEvent = z.object({
  notification: Notification,
  /** The caller's unread count once this notification arrived. */
  unread: z.number().int().nonnegative(),
});
export type NotificationStreamEvent = z.infer<typeof NotificationStreamEvent>;

export const ChannelSettings = z.object({ inApp: z.boolean(), email: z.boolean() });
export type ChannelSettings = z.infer<typeof ChannelSettings>;

/**
 * `GET /notifications/settings`: the caller's settings in the current organization.
 * `channels` switch a channel off for every type; `types` holds every type (defaults:
 * in-app on, email on for warning and critical types, off for info ones); `digest`: daily digest.
 * A notification goes to a channel when both `channels[c]` and `types[type][c]` are on.
 */
export const NotificationSettings = z.object({
  channels: ChannelSettings,
  types: z.record(NotificationType, ChannelSettings),
  digest: z.boolean(),
});
export type NotificationSettings = z.infer<typeof NotificationSettings>;

/** `PATCH /notifications/settings`: any part; what is left out stays as it is. */
export const NotificationSettingsPatch = z
  .object({
    channels: ChannelSettings.partial().optional(),
    types: z.partialRecord(NotificationType, ChannelSettings.partial()).optional(),
    digest: z.boolean().optional(),
  })
  .strict();
export type NotificationSettingsPatch = z.infer<typeof NotificationSettingsPatch>;

/** Default channels of a type when the user has not chosen. */
export function defaultChannelsFor(type: NotificationType): ChannelSettings {
  const info: NotificationTypeInfo = notificationTypes[type];
  return { inApp: true, email: info.emailDefault ?? info.severity !== 'info' };
}

/**
 * `POST /notifications/unsubscribe` (public: the signed token of a notification mail's
 * unsubscribe link is the credential) as JSON: what was switched off. `changed: false` when it
 * was already off. Form posts get an HTML page instead; a bad or tampered token is 400.
 */
export const NotificationUnsubscribeResult = z.object({
  type: z.union([NotificationType, z.literal('digest')]),
  channel: z.literal('email'),
  email: z.literal(false),
  changed: z.boolean(),
});
export type NotificationUnsubscribeResult = z.infer<typeof NotificationUnsubscribeResult>;
