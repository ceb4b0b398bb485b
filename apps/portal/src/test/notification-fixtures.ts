import type { Notification, NotificationSettings } from '@/types/notification';
import { notificationTypeNames, notificationTypes } from '@/types/notification';

let counter = 0;
const idOf = (n: number) => `7b000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** An unread quota warning from a minute before `now`, unless told otherwise. */
export function notification(overrides: Partial<Notification> = {}, now: Date = new Date()): Notification {
  counter += 1;
  return {
    id: idOf(counter),
    type: 'quota.soft_limit_crossed',
    title: 'Usage above the soft limit',
    body: 'API calls are at 85% of the hard limit.',
    severity: 'warning',
    link: '/usage/quotas',
    read: false,
    createdAt: new Date(now.getTime() - 60_000).toISOString(),
    ...overrides,
  };
}

/** The defaults: in-app on for every type, email on for warning and critical types, no digest. */
export function defaultSettings(): NotificationSettings {
  const types = Object.fromEntries(
    notificationTypeNames.map((type) => [type, { inApp: true, email: notificationTypes[type].severity !== 'info' }]),
  ) as NotificationSettings['types'];
  return { channels: { inApp: true, email: true }, types, digest: false };
}
