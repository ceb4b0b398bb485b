import { AuditLog as AuditLogSchema } from '@cbp/contracts';
import type { AuditLog } from '@/types/audit-log';

export interface KnownAction {
  code: string;
  label: string;
  group: string;
}

/** The actions the platform records today, in the order the filter lists them. */
export const knownActions: readonly KnownAction[] = [
  { code: 'tenant.created', label: 'Organization created', group: 'Organization' },
  { code: 'tenant.suspended', label: 'Organization suspended by platform staff', group: 'Organization' },
  { code: 'tenant.reactivated', label: 'Organization reactivated by platform staff', group: 'Organization' },
  { code: 'organization.updated', label: 'Organization profile changed', group: 'Organization' },
  { code: 'settings.updated', label: 'Organization settings changed', group: 'Organization' },
  { code: 'domain.added', label: 'Domain added', group: 'Organization' },
  { code: 'domain.checked', label: 'Domain checked', group: 'Organization' },
  { code: 'domain.verified', label: 'Domain verified', group: 'Organization' },
  { code: 'domain.verification_failed', label: 'Domain verification failed', group: 'Organization' },
  { code: 'domain.removed', label: 'Domain removed', group: 'Organization' },
  { code: 'organization.logo_updated', label: 'Logo changed', group: 'Organization' },
  { code: 'organization.logo_removed', label: 'Logo removed', group: 'Organization' },
  { code: 'organization.export_requested', label: 'Data export requested', group: 'Organization' },
  { code: 'organization.export_downloaded', label: 'Data export downloaded', group: 'Organization' },
  { code: 'organization.deletion_scheduled', label: 'Organization deletion scheduled', group: 'Organization' },
  { code: 'organization.deletion_cancelled', label: 'Organization deletion cancelled', group: 'Organization' },
  { code: 'staff.accessed', label: 'Platform staff accessed the organization', group: 'Organization' },
  { code: 'subscription.created', label: 'Subscription started', group: 'Subscription' },
  { code: 'subscription.plan_changed', label: 'Plan changed', group: 'Subscription' },
  { code: 'subscription.cancel_scheduled', label: 'Cancellation scheduled', group: 'Subscription' },
  { code: 'subscription.resumed', label: 'Subscription resumed', group: 'Subscription' },
  { code: 'subscription.synced', label: 'Subscription synced from Stripe', group: 'Subscription' },
  { code: 'invoice.paid', label: 'Invoice paid', group: 'Invoices' },
  { code: 'payment_method.added', label: 'Payment method added', group: 'Payment methods' },
  { code: 'payment_method.removed', label: 'Payment method removed', group: 'Payment methods' },
  { code: 'payment_method.default_changed', label: 'Default payment method changed', group: 'Payment methods' },
  { code: 'member.invited', label: 'Member invited', group: 'Team' },
  { code: 'member.joined', label: 'Member joined', group: 'Team' },
  { code: 'member.role_changed', label: 'Member role changed', group: 'Team' },
  { code: 'member.suspended', label: 'Member suspended', group: 'Team' },
  { code: 'member.reactivated', label: 'Member reactivated', group: 'Team' },
  { code: 'member.removed', label: 'Member removed', group: 'Team' },
  { code: 'member.left', label: 'Member left', group: 'Team' },
  { code: 'invitation.resent', label: 'Invitation resent', group: 'Team' },
  { code: 'invitation.revoked', label: 'Invitation cancelled', group: 'Team' },
  { code: 'ownership.transferred', label: 'Ownership transferred', group: 'Team' },
  { code: 'identity.role_assigned', label: 'Identity role assigned (platform staff)', group: 'Team' },
  { code: 'identity.role_revoked', label: 'Identity role revoked (platform staff)', group: 'Team' },
  { code: 'quota.initialized', label: 'Quotas initialized', group: 'Usage' },
  { code: 'quota.soft_limit_changed', label: 'Soft limit changed', group: 'Usage' },
  { code: 'quota.reset', label: 'Usage period closed', group: 'Usage' },
  { code: 'usage.overage_invoiced', label: 'Overage added to invoice', group: 'Usage' },
  { code: 'api_key.created', label: 'API key created', group: 'Usage' },
  { code: 'api_key.revoked', label: 'API key revoked', group: 'Usage' },
  { code: 'workflow.cancelled', label: 'Workflow cancelled', group: 'Workflows' },
  { code: 'workflow.retried', label: 'Workflow retried', group: 'Workflows' },
  { code: 'audit_log.purged', label: 'Old entries removed (retention)', group: 'Audit' },
  { code: 'auth.login_succeeded', label: 'Signed in', group: 'Sign-in' },
  { code: 'auth.login_failed', label: 'Sign-in failed', group: 'Sign-in' },
  { code: 'auth.logout', label: 'Signed out', group: 'Sign-in' },
  { code: 'auth.session_revoked', label: 'Session ended', group: 'Sign-in' },
  { code: 'user.password_changed', label: 'Password changed', group: 'Account' },
  { code: 'user.mfa_enabled', label: 'Two-step verification turned on', group: 'Account' },
  { code: 'user.mfa_disabled', label: 'Two-step verification turned off', group: 'Account' },
  { code: 'user.mfa_recovery_code_used', label: 'Recovery code used', group: 'Account' },
  { code: 'user.mfa_recovery_codes_replaced', label: 'New recovery codes', group: 'Account' },
  { code: 'user.profile_updated', label: 'Profile changed', group: 'Account' },
  { code: 'notification_settings.updated', label: 'Notification preferences changed', group: 'Account' },
];

/** The target types of those actions. */
export const knownTargetTypes: readonly { code: string; label: string }[] = [
  { code: 'tenant', label: 'Organization' },
  { code: 'subscription', label: 'Subscription' },
  { code: 'invoice', label: 'Invoice' },
  { code: 'payment_method', label: 'Payment method' },
  { code: 'user', label: 'Member' },
  { code: 'invitation', label: 'Invitation' },
  { code: 'quota', label: 'Quota' },
  { code: 'usage_summary', label: 'Usage summary' },
  { code: 'api_key', label: 'API key' },
  { code: 'workflow', label: 'Workflow' },
  { code: 'organization', label: 'Organization' },
  { code: 'domain', label: 'Domain' },
  { code: 'organization_export', label: 'Data export' },
];

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** `member.role_changed` -> "Member role changed", for actions the portal does not know yet. */
function humanize(code: string): string {
  return sentence(code.replace(/[._]+/g, ' ').trim());
}

export function isKnownAction(code: string): boolean {
  return knownActions.some((action) => action.code === code);
}

export function actionLabel(code: string): string {
  return knownActions.find((action) => action.code === code)?.label ?? humanize(code);
}

export function targetTypeLabel(code: string): string {
  return knownTargetTypes.find((type) => type.code === code)?.label ?? humanize(code);
}

/** `priceMonthly` -> "Price monthly" */
export function fieldLabel(key: string): string {
  return sentence(
    key
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/[._]+/g, ' ')
      .toLowerCase(),
  );
}

/** A recorded value as text: booleans in words, objects as compact JSON. Null is `null`. */
export function formatValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

export type FieldChange = 'changed' | 'added' | 'removed' | 'unchanged';

export interface DiffRow {
  field: string;
  before: unknown;
  after: unknown;
  change: FieldChange;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/* The fields that name what changed come first (the database keeps no key order of its own). */
const leadingFields = ['name', 'label', 'plan', 'status', 'default'];
const leadRank = (field: string) => {
  const rank = leadingFields.indexOf(field);
  return rank === -1 ? leadingFields.length : rank;
};

/** One row per field of either side: changed, added and removed fields first, naming fields first. */
export function diffRows(entry: Pick<AuditLog, 'before' | 'after'>): DiffRow[] {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort((a, b) => leadRank(a) - leadRank(b));
  // A field recorded as null on one side and absent on the other did not change ("none (removed)").
  const has = (side: Record<string, unknown>, field: string) => Object.hasOwn(side, field) && side[field] !== null && side[field] !== undefined;
  const rows = fields.map((field): DiffRow => {
    const inBefore = has(before, field);
    const inAfter = has(after, field);
    const change: FieldChange = !inBefore && !inAfter
      ? 'unchanged'
      : inBefore && inAfter
        ? (sameValue(before[field], after[field]) ? 'unchanged' : 'changed')
        : inAfter
          ? Object.hasOwn(before, field) ? 'changed' : 'added'
          : Object.hasOwn(after, field) ? 'changed' : 'removed';
    return { field, before: before[field], after: after[field], change };
  });
  return [...rows.filter((row) => row.change !== 'unchanged'), ...rows.filter((row) => row.change === 'unchanged')];
}

/** "Plan: Pro → Starter (+2 more)": the first change of an entry, for the list. */
export function changeSummary(entry: Pick<AuditLog, 'before' | 'after'>): string | null {
  const changes = diffRows(entry).filter((row) => row.change !== 'unchanged');
  const [first] = changes;
  if (!first) return null;
  const shown = (value: unknown) => formatValue(value) ?? 'none';
  const text =
    first.change === 'changed'
      ? `${shown(first.before)} → ${shown(first.after)}`
      : first.change === 'added'
        ? shown(first.after)
        : `${shown(first.before)} (removed)`;
  const more = changes.length > 1 ? ` (+${changes.length - 1} more)` : '';
  return `${fieldLabel(first.field)}: ${text}${more}`;
}

/*
 * Times are shown in UTC, like billing dates, so the date filter's UTC day bounds and the
 * times in the list always agree, whoever looks.
 */
const dateTime = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});

/** "Jun 1, 2025, 14:03:07 UTC" */
export function formatDateTimeUtc(iso: string): string {
  return `${dateTime.format(new Date(iso))} UTC`;
}

/** ["Jun 1, 2025", "14:03:07 UTC"], for a list that shows the two on separate lines. */
export function dateAndTimeUtc(iso: string): [string, string] {
  const parts = dateTime.formatToParts(new Date(iso));
  const join = (from: Intl.DateTimeFormatPartTypes, to: Intl.DateTimeFormatPartTypes) => {
    const start = parts.findIndex((part) => part.type === from);
    const end = parts.findIndex((part) => part.type === to);
    return parts
      .slice(start, end + 1)
      .map((part) => part.value)
      .join('');
  };
  return [join('month', 'year'), `${join('hour', 'second')} UTC`];
}

/** A `YYYY-MM-DD` date input's value as the first millisecond of that UTC day. */
export function dayStartUtc(day: string): string {
  return `${day}T00:00:00.000Z`;
}

/** A `YYYY-MM-DD` date input's value as the last millisecond of that UTC day. */
export function dayEndUtc(day: string): string {
  return `${day}T23:59:59.999Z`;
}

/** The UTC day of an ISO datetime, as a date input wants it. */
export function utcDayOf(iso: string | undefined): string {
  return iso ? new Date(iso).toISOString().slice(0, 10) : '';
}

export interface TargetPage {
  href: string;
  label: string;
}

const isEntityId = (id: string | null): id is string => id !== null && AuditLogSchema.shape.id.safeParse(id).success;

/** Where the target of an entry lives in the portal, when it has a page. */
export function targetPageOf(entry: Pick<AuditLog, 'targetType' | 'targetId' | 'targetName'>): TargetPage | null {
  switch (entry.targetType) {
    case 'subscription':
      return { href: '/billing', label: 'Open the subscription' };
    case 'payment_method':
      return { href: '/billing/payment-methods', label: 'Open payment methods' };
    case 'invoice':
      // Only invoices the portal knows by id have a page (a gateway id like `in_…` has none).
      return isEntityId(entry.targetId)
        ? { href: `/billing/invoices/${entry.targetId}`, label: `Open invoice ${entry.targetName ?? ''}`.trim() }
        : null;
    default:
      return null;
  }
}
