import type { teamActions } from '@cbp/contracts';
import { actionLabel } from '@/components/admin/audit-log-format';
import { actorName } from '@/components/admin/AuditLogRow';
import { parseRole, roleName } from '@/lib/role-parser';
import type { AuditLog } from '@/types/audit-log';

type TeamAction = (typeof teamActions)[number];

/*
 * The timeline speaks in the viewer's own days and clock ("Today", "14:03"), unlike the audit
 * log's UTC: it answers "what happened to this person lately", not "at which instant".
 */

/** `2026-11-23` in the viewer's time zone. */
function localDayKey(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

const dayFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** "Today", "Yesterday", else "Mon 23 Nov 2026". */
export function dayLabel(date: Date, now: Date): string {
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (localDayKey(date) === localDayKey(now)) return 'Today';
  if (localDayKey(date) === localDayKey(yesterday)) return 'Yesterday';
  const part = (type: Intl.DateTimeFormatPartTypes) => dayFormat.formatToParts(date).find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')}`;
}

/** "14:03" */
export function timeOfDay(iso: string): string {
  return timeFormat.format(new Date(iso));
}

export interface ActivityDay {
  key: string;
  label: string;
  entries: AuditLog[];
}

/** Consecutive entries of the same local day under one heading, in the order given (newest first). */
export function groupByDay(entries: readonly AuditLog[], now: Date): ActivityDay[] {
  const days: ActivityDay[] = [];
  for (const entry of entries) {
    const date = new Date(entry.createdAt);
    const key = localDayKey(date);
    const last = days.at(-1);
    if (last?.key === key) last.entries.push(entry);
    else days.push({ key, label: dayLabel(date, now), entries: [entry] });
  }
  return days;
}

function roleIn(side: Record<string, unknown> | null): string | null {
  const role = parseRole(side?.role);
  return role ? roleName(role) : null;
}

type Phrase = (words: { actor: string; target: string; before: string | null; after: string | null }) => string;

/** Words for every team action the API records; other actions get the audit log's label. */
const phrases: Record<TeamAction, Phrase> = {
  'member.invited': ({ actor, target, after }) => `${actor} invited ${target}${after ? ` as ${after}` : ''}`,
  // The person who accepted is the actor; the entry's target is their account.
  'member.joined': ({ actor, after }) => `${actor} joined${after ? ` as ${after}` : ''}`,
  'member.role_changed': ({ actor, target, before, after }) =>
    before && after ? `${actor} changed ${target}'s role from ${before} to ${after}` : `${actor} changed ${target}'s role`,
  'member.suspended': ({ actor, target }) => `${actor} suspended ${target}`,
  'member.reactivated': ({ actor, target }) => `${actor} reactivated ${target}`,
  'member.removed': ({ actor, target }) => `${actor} removed ${target} from the organization`,
  'member.left': ({ actor }) => `${actor} left the organization`,
  'invitation.resent': ({ actor, target }) => `${actor} resent the invitation to ${target}`,
  'invitation.revoked': ({ actor, target }) => `${actor} cancelled the invitation to ${target}`,
  'ownership.transferred': ({ actor, target }) => `${actor} transferred ownership to ${target}`,
};

const isTeamAction = (action: string): action is TeamAction => Object.hasOwn(phrases, action);

/** One sentence per audit entry: who did what to whom, with the role before and after when it changed. */
export function activitySentence(entry: AuditLog): string {
  const actor = actorName(entry);
  const target = entry.targetName ?? entry.targetId ?? 'someone';
  const before = roleIn(entry.before);
  const after = roleIn(entry.after);
  if (isTeamAction(entry.action)) return phrases[entry.action]({ actor, target, before, after });
  const change = before && after && before !== after ? ` (${before} → ${after})` : '';
  return `${actor}: ${actionLabel(entry.action)}${entry.targetName ? `, ${entry.targetName}` : ''}${change}`;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const shortDate = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric' });

/** "just now", "5 minutes ago", "yesterday", "3 days ago", then the date: when a member was last seen. */
export function relativeTime(iso: string, now: Date): string {
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  const ago = -seconds;
  if (ago < 60) return 'just now';
  if (ago < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (ago < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  if (ago < 7 * 86_400) return relative.format(Math.round(seconds / 86_400), 'day');
  return shortDate.format(new Date(iso));
}
