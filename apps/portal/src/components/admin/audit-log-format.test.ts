import { describe, expect, it } from 'vitest';
import {
  actionLabel,
  changeSummary,
  dayEndUtc,
  dayStartUtc,
  diffRows,
  fieldLabel,
  formatValue,
  targetPageOf,
  utcDayOf,
} from '@/components/admin/audit-log-format';
import { auditLogViewParams, readAuditLogView } from '@/components/admin/audit-log-search-params';
import { invoiceId, ownerId } from '@/test/audit-log-fixtures';

describe('audit log formatting', () => {
  it('names known actions and makes a sentence of unknown ones', () => {
    expect(actionLabel('subscription.cancel_scheduled')).toBe('Cancellation scheduled');
    expect(actionLabel('member.role_changed')).toBe('Member role changed');
    // Staff access, recorded in the customer's own trail (issue 16).
    expect(actionLabel('staff.accessed')).toBe('Platform staff accessed the organization');
    expect(fieldLabel('cancelAtPeriodEnd')).toBe('Cancel at period end');
  });

  it('diffs before and after, changed fields first', () => {
    const rows = diffRows({ before: { status: 'open', number: 'INV-1' }, after: { number: 'INV-1', status: 'paid', amountPaid: 4900 } });
    expect(rows.map((row) => [row.field, row.change])).toEqual([
      ['status', 'changed'],
      ['amountPaid', 'added'],
      ['number', 'unchanged'],
    ]);
    expect(diffRows({ before: { label: 'Visa •••• 4242' }, after: null })).toEqual([
      { field: 'label', before: 'Visa •••• 4242', after: undefined, change: 'removed' },
    ]);
    expect(diffRows({ before: null, after: null })).toEqual([]);
  });

  it('summarises the first change in one line', () => {
    expect(changeSummary({ before: { cancelAtPeriodEnd: false }, after: { cancelAtPeriodEnd: true } })).toBe('Cancel at period end: No → Yes');
    expect(changeSummary({ before: null, after: { name: 'Acme Corp', slug: 'acme' } })).toBe('Name: Acme Corp (+1 more)');
    expect(changeSummary({ before: { default: null }, after: { default: 'Visa •••• 4242' } })).toBe('Default: none → Visa •••• 4242');
    expect(changeSummary({ before: { a: 1 }, after: { a: 1 } })).toBeNull();
    // Null on one side and absent on the other is no change ("Revoked at: none (removed)" was shown).
    expect(changeSummary({ before: { status: 'pending', revokedAt: null }, after: { status: 'revoked' } })).toBe('Status: pending → revoked');
    expect(changeSummary({ before: { revokedAt: null }, after: {} })).toBeNull();
    expect(formatValue({ nested: [1] })).toBe('{"nested":[1]}');
  });

  it('turns date inputs into UTC day bounds and back', () => {
    expect(dayStartUtc('2025-06-01')).toBe('2025-06-01T00:00:00.000Z');
    expect(dayEndUtc('2025-06-30')).toBe('2025-06-30T23:59:59.999Z');
    expect(utcDayOf('2025-06-30T23:59:59.999Z')).toBe('2025-06-30');
    expect(utcDayOf(undefined)).toBe('');
  });

  it('links targets that have a page in the portal', () => {
    expect(targetPageOf({ targetType: 'subscription', targetId: 'sub_1', targetName: null })?.href).toBe('/billing');
    expect(targetPageOf({ targetType: 'invoice', targetId: invoiceId, targetName: 'INV-7' })).toEqual({
      href: `/billing/invoices/${invoiceId}`,
      label: 'Open invoice INV-7',
    });
    expect(targetPageOf({ targetType: 'invoice', targetId: 'in_123', targetName: 'in_123' })).toBeNull();
    expect(targetPageOf({ targetType: 'tenant', targetId: invoiceId, targetName: 'Acme' })).toBeNull();
  });
});

describe('audit log URL', () => {
  it('round-trips every filter, the page and the open entry', () => {
    const view = {
      filters: { q: 'visa', action: 'payment_method.added', actorId: ownerId, targetType: 'payment_method', targetId: 'pm_1', from: dayStartUtc('2025-06-01'), to: dayEndUtc('2025-06-02') },
      page: 3,
      entryId: invoiceId,
    };
    expect(readAuditLogView(auditLogViewParams(view))).toEqual(view);
    expect(auditLogViewParams({ filters: {}, page: 1, entryId: undefined }).toString()).toBe('');
  });

  it('drops what the API would refuse, keeping the rest', () => {
    const view = readAuditLogView(new URLSearchParams('q=%20%20&action=invoice.paid&from=2025-06-01&to=2025-06-02T00:00:00Z&page=x'));
    expect(view).toEqual({ filters: { action: 'invoice.paid', to: '2025-06-02T00:00:00Z' }, page: 1, entryId: undefined });
  });
});
