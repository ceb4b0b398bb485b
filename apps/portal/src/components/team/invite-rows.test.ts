import { describe, expect, it } from 'vitest';
import { BulkInviteInput } from '@cbp/contracts';
import { checkInviteRows, MAX_BULK_INVITES, parseInviteLines, roleFromText, splitCsvLine } from '@/components/team/invite-rows';

describe('parseInviteLines', () => {
  it('reads email,role lines and email-only lines, skipping blank ones, with 1-based line numbers', () => {
    expect(parseInviteLines('ada@example.com,admin\n\n  grace@example.com , Engineer \nlinus@example.com\n')).toEqual([
      { line: 1, email: 'ada@example.com', role: 'admin' },
      { line: 3, email: 'grace@example.com', role: 'Engineer' },
      { line: 4, email: 'linus@example.com', role: null },
    ]);
  });

  it('takes a header row as optional, in any column order, with extra columns ignored', () => {
    expect(parseInviteLines('Name,Role,Email\r\nAda,admin,ada@example.com\r\nGrace,,grace@example.com')).toEqual([
      { line: 2, email: 'ada@example.com', role: 'admin' },
      { line: 3, email: 'grace@example.com', role: null },
    ]);
    expect(parseInviteLines('email\nada@example.com')).toEqual([{ line: 2, email: 'ada@example.com', role: null }]);
  });

  it('reads spreadsheet exports: a byte order mark, quoted cells, semicolons and tabs', () => {
    expect(parseInviteLines('\uFEFF"email";"role"\n"ada@example.com";"owner"\nbob@example.com\tanalyst')).toEqual([
      { line: 2, email: 'ada@example.com', role: 'owner' },
      { line: 3, email: 'bob@example.com', role: 'analyst' },
    ]);
    expect(splitCsvLine('"Lovelace, Ada",ada@example.com,"say ""hi"""')).toEqual(['Lovelace, Ada', 'ada@example.com', 'say "hi"']);
  });

  it('keeps malformed lines, so the preview can show them', () => {
    expect(parseInviteLines('not-an-email,admin\n,engineer')).toEqual([
      { line: 1, email: 'not-an-email', role: 'admin' },
      { line: 2, email: '', role: 'engineer' },
    ]);
  });
});

describe('checkInviteRows', () => {
  const adminCaller = { defaultRole: 'analyst' as const, assignable: ['analyst', 'engineer', 'admin'] as const };

  it('accepts valid rows, with the default role for lines without one and emails in lower case', () => {
    const checks = checkInviteRows(parseInviteLines('Ada@Example.com,Admin\ngrace@example.com'), adminCaller);
    expect(checks).toEqual([
      { ok: true, line: 1, email: 'ada@example.com', role: 'admin' },
      { ok: true, line: 2, email: 'grace@example.com', role: 'analyst' },
    ]);
  });

  it('names the problem of each bad row: email, unknown role, a role above the caller, duplicates', () => {
    const text = ['nope,admin', ',engineer', 'bob@example.com,wizard', 'carol@example.com,owner', 'dan@example.com', 'DAN@example.com,engineer'].join('\n');
    const problems = checkInviteRows(parseInviteLines(text), adminCaller).map((check) => (check.ok ? 'ok' : check.problem));
    expect(problems).toEqual([
      'Not a valid email address',
      'No email address',
      'Unknown role "wizard" (use analyst, engineer, admin, owner)',
      'You cannot invite someone as Owner',
      'ok',
      'Duplicate of line 5',
    ]);
  });

  it('lets an owner invite owners', () => {
    const [check] = checkInviteRows(parseInviteLines('carol@example.com,owner'), {
      defaultRole: 'analyst',
      assignable: ['analyst', 'engineer', 'admin', 'owner'],
    });
    expect(check).toMatchObject({ ok: true, role: 'owner' });
  });

  it('reads roles by key or name, in any case', () => {
    expect(roleFromText(' ENGINEER ')).toBe('engineer');
    expect(roleFromText('Owner')).toBe('owner');
    expect(roleFromText('super_admin')).toBeNull();
  });

  it('uses the contract limit on rows per request', () => {
    const rows = (n: number) => ({ invitations: Array.from({ length: n }, (_, i) => ({ email: `p${i}@example.com`, role: 'analyst' })) });
    expect(BulkInviteInput.safeParse(rows(MAX_BULK_INVITES)).success).toBe(true);
    expect(BulkInviteInput.safeParse(rows(MAX_BULK_INVITES + 1)).success).toBe(false);
  });
});
