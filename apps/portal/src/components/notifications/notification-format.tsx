import { AlertOctagon, AlertTriangle, Info, type LucideIcon } from 'lucide-react';
import { cn } from '@/lib/cn';
import { notificationTypes, type NotificationSeverity } from '@/types/notification';

/** How many notifications the bell and the list ask for. */
export const BELL_LIMIT = 8;
export const NOTIFICATIONS_PER_PAGE = 20;
/** The bell asks again this often while the tab is visible (until the live stream replaces the poll). */
export const NOTIFICATION_POLL_MS = 30_000;

export const severityLooks: Record<NotificationSeverity, { icon: LucideIcon; label: string; classes: string }> = {
  info: { icon: Info, label: 'Info', classes: 'text-sky-700 dark:text-sky-300' },
  warning: { icon: AlertTriangle, label: 'Warning', classes: 'text-amber-700 dark:text-amber-300' },
  critical: { icon: AlertOctagon, label: 'Critical', classes: 'text-red-700 dark:text-red-300' },
};

export function SeverityIcon({ severity, className }: { severity: NotificationSeverity; className?: string }) {
  const look = severityLooks[severity];
  const Icon = look.icon;
  return (
    <span className={cn('flex shrink-0', look.classes, className)} title={look.label}>
      <Icon className="size-4" aria-hidden="true" />
      <span className="sr-only">{look.label}:</span>
    </span>
  );
}

/** "99+" above 99, as on the bell's badge. */
export function countBadge(count: number): string {
  return count > 99 ? '99+' : String(count);
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto', style: 'long' });
const full = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** "just now", "5 minutes ago", "yesterday", "3 days ago"; past a week the date. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  if (abs < 3_600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3_600), 'hour');
  if (abs < 7 * 86_400) return relative.format(Math.round(seconds / 86_400), 'day');
  return full.format(new Date(iso)).replace(/,? \d{2}:\d{2}$/, '');
}

/** "3 Dec 2026, 14:03", for the title of a relative time. */
export function fullTime(iso: string): string {
  return full.format(new Date(iso));
}

/** The type's name from the shared table ("Usage above the soft limit"); an unknown key is named from itself. */
export function typeLabel(type: string): string {
  const known = (notificationTypes as Record<string, { title: string } | undefined>)[type];
  if (known) return known.title;
  const words = type.replace(/[._-]+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : type;
}

/** One sentence on when the type is sent, for the settings page. */
export function typeDescription(type: string): string | null {
  return (notificationTypes as Record<string, { description: string } | undefined>)[type]?.description ?? null;
}

/** A link inside the portal (`/usage`), as opposed to an absolute URL. */
export function isPortalPath(link: string): boolean {
  return link.startsWith('/') && !link.startsWith('//');
}
