import { describe, expect, it } from 'vitest';
import { activitySentence, dayLabel, groupByDay, relativeTime } from '@/components/team/activity-format';
import { teamEntry } from '@/test/team-fixtures';

/* Local times, so the expectations hold in any time zone the tests run in. */
const at = (day: number, hour: number, minute = 0) => new Date(2026, 10, day, hour, minute).toISOString();
const now = new Date(2026, 10, 25, 12, 0);

describe('dayLabel', () => {
  it('says Today and Yesterday, and the weekday and date before that', () => {
    expect(dayLabel(new Date(2026, 10, 25, 0, 1), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 24, 23, 59), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 23, 8), now)).toBe('Mon 23 Nov 2026');
    expect(dayLabel(new Date(2025, 11, 31, 8), new Date(2026, 0, 1, 9))).toBe('Yesterday');
  });
});

describe('groupByDay', () => {
  it('puts entries under one heading per local day, newest first, keeping their order', () => {
    const entries = [
      teamEntry({ action: 'member.removed', createdAt: at(25, 11) }),
      teamEntry({ action: 'member.invited', createdAt: at(25, 0, 5) }),
      teamEntry({ action: 'member.role_changed', createdAt: at(24, 23, 55) }),
      teamEntry({ action: 'member.role_changed', createdAt: at(23, 9) }),
      teamEntry({ action: 'member.role_changed', createdAt: at(23, 8) }),
      teamEntry({ action: 'member.left', createdAt: at(2, 8) }),
    ];
    const days = groupByDay(entries, now);
    expect(days.map((day) => [day.label, day.entries.length])).toEqual([
      ['Today', 2],
      ['Yesterday', 1],
      ['Mon 23 Nov 2026', 2],
      ['Mon 2 Nov 2026', 1],
    ]);
    expect(days[2]?.entries.map((entry) => entry.createdAt)).toEqual([at(23, 9), at(23, 8)]);
  });

  it('has no heading without entries', () => {
    expect(groupByDay([], now)).toEqual([]);
  });
});

describe('activitySentence', () => {
  it('names the actor, the member and the roles before and after a role change', () => {
    const entry = teamEntry({
      action: 'member.role_changed',
      createdAt: at(25, 9),
      targetName: 'Grace Hopper',
      before: { role: 'analyst' },
      after: { role: 'engineer' },
    });
    expect(activitySentence(entry)).toBe("ada@acme.test changed Grace Hopper's role from Analyst to Engineer");
  });

  it('words invitations, joining, status changes, ownership and leaving', () => {
    const sentence = (fields: Parameters<typeof teamEntry>[0]) => activitySentence(teamEntry(fields));
    expect(sentence({ action: 'member.invited', createdAt: at(25, 9), targetName: 'bob@example.com', after: { role: 'admin' } })).toBe(
      'ada@acme.test invited bob@example.com as Admin',
    );
    expect(sentence({ action: 'member.suspended', createdAt: at(25, 9), targetName: 'ken@acme.test' })).toBe('ada@acme.test suspended ken@acme.test');
    expect(sentence({ action: 'member.reactivated', createdAt: at(25, 9), targetName: 'ken@acme.test' })).toBe('ada@acme.test reactivated ken@acme.test');
    expect(sentence({ action: 'invitation.revoked', createdAt: at(25, 9), targetName: 'bob@example.com' })).toBe(
      'ada@acme.test cancelled the invitation to bob@example.com',
    );
    expect(
      sentence({ action: 'member.joined', createdAt: at(25, 9), actorEmail: 'bob@example.com', targetName: 'bob@example.com', after: { role: 'engineer' } }),
    ).toBe('bob@example.com joined as Engineer');
    expect(sentence({ action: 'ownership.transferred', createdAt: at(25, 9), targetName: 'grace@acme.test' })).toBe(
      'ada@acme.test transferred ownership to grace@acme.test',
    );
    expect(sentence({ action: 'member.left', createdAt: at(25, 9) })).toBe('ada@acme.test left the organization');
  });

  it('falls back to the audit log label for an action it has no words for, with the role change if any', () => {
    const entry = teamEntry({
      action: 'member.synced_from_idp',
      createdAt: at(25, 9),
      actorType: 'system',
      actorEmail: null,
      actorId: null,
      targetName: 'Grace Hopper',
      before: { role: 'engineer' },
      after: { role: 'admin' },
    });
    expect(activitySentence(entry)).toBe('CBP platform: Member synced from idp, Grace Hopper (Engineer → Admin)');
  });
});

describe('relativeTime', () => {
  it('reads like a person would say it, then falls back to the date', () => {
    expect(relativeTime(new Date(2026, 10, 25, 11, 59, 30).toISOString(), now)).toBe('just now');
    expect(relativeTime(new Date(2026, 10, 25, 11, 15).toISOString(), now)).toBe('45 minutes ago');
    expect(relativeTime(new Date(2026, 10, 25, 9).toISOString(), now)).toBe('3 hours ago');
    expect(relativeTime(new Date(2026, 10, 24, 12).toISOString(), now)).toBe('yesterday');
    expect(relativeTime(new Date(2026, 10, 20, 12).toISOString(), now)).toBe('5 days ago');
    expect(relativeTime(new Date(2026, 9, 1, 12).toISOString(), now)).toBe('Oct 1, 2026');
  });
});
