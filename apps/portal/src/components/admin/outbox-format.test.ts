import { describe, expect, it } from 'vitest';
import { linkify } from '@/components/admin/outbox-format';

describe('linkify', () => {
  it('turns http(s) addresses into links and keeps the text around them', () => {
    expect(linkify('Accept: https://portal.test/invitations/accept?token=abc.\nThanks')).toEqual([
      { kind: 'text', text: 'Accept: ' },
      { kind: 'link', text: 'https://portal.test/invitations/accept?token=abc', href: 'https://portal.test/invitations/accept?token=abc' },
      { kind: 'text', text: '.\nThanks' },
    ]);
  });

  it('leaves text without links, and other schemes, as text', () => {
    expect(linkify('No links here, javascript:alert(1) either')).toEqual([{ kind: 'text', text: 'No links here, javascript:alert(1) either' }]);
    expect(linkify('(see http://a.test/x)')).toEqual([
      { kind: 'text', text: '(see ' },
      { kind: 'link', text: 'http://a.test/x', href: 'http://a.test/x' },
      { kind: 'text', text: ')' },
    ]);
  });
});
