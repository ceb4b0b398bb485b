import type { AuditLog } from '@/types/audit-log';
import type { Invitation, Member, OutboxMessage, TenantRole } from '@/types/team';
import { acme, meWith } from '@/test/fixtures';

/** The signed-in user of `meWith()`. */
export const adaId = meWith().user.id;

let sequence = 0;
const nextId = (prefix: string) => {
  sequence += 1;
  return `${prefix}-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
};

export function member(name: string, role: TenantRole, fields: Partial<Member> = {}): Member {
  return {
    id: nextId('aaaaaaaa'),
    email: `${name.split(' ')[0]?.toLowerCase()}@acme.test`,
    name,
    role,
    status: 'active',
    joinedAt: '2025-03-01T09:00:00.000Z',
    lastActiveAt: null,
    ...fields,
  };
}

/** Acme's team with Ada (the signed-in user) in `role`. */
export function acmeTeam(adaRole: TenantRole) {
  const ada = member('Ada Lovelace', adaRole, { id: adaId, email: 'ada@acme.test' });
  const olivia = member('Olivia Owner', 'owner', { email: 'owner@acme.test' });
  const grace = member('Grace Hopper', 'engineer');
  const linus = member('Linus Torvalds', 'analyst');
  const ken = member('Ken Thompson', 'analyst', { status: 'suspended' });
  return { ada, olivia, grace, linus, ken, all: [olivia, ada, grace, linus, ken] };
}

export function invitation(email: string, fields: Partial<Invitation> = {}): Invitation {
  return {
    id: nextId('bbbbbbbb'),
    email,
    role: 'engineer',
    message: null,
    status: 'pending',
    invitedBy: { id: adaId, name: 'Ada Lovelace', email: 'ada@acme.test' },
    createdAt: '2025-06-01T09:00:00.000Z',
    expiresAt: '2025-06-08T09:00:00.000Z',
    lastSentAt: '2025-06-01T09:00:00.000Z',
    sendCount: 1,
    acceptedAt: null,
    ...fields,
  };
}

/** A team audit entry by Ada at `createdAt`. */
export function teamEntry(fields: Partial<AuditLog> & Pick<AuditLog, 'action' | 'createdAt'>): AuditLog {
  return {
    id: nextId('cccccccc'),
    tenantId: acme.id,
    actorId: adaId,
    actorEmail: 'ada@acme.test',
    actorType: 'user',
    targetType: 'user',
    targetId: null,
    targetName: null,
    before: null,
    after: null,
    metadata: {},
    ipAddress: null,
    userAgent: null,
    ...fields,
  };
}

export function outboxMessage(fields: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: nextId('dddddddd'),
    to: 'bob@example.com',
    subject: 'Ada Lovelace invited you to Acme Corp',
    text: 'Hello,\n\nAda invited you to join Acme Corp as Engineer.\nAccept: http://localhost:27100/invitations/accept?token=abc123.\n\nThe link is valid for 7 days.',
    kind: 'invitation',
    status: 'captured',
    createdAt: '2025-06-01T09:00:00.000Z',
    sentAt: null,
    ...fields,
  };
}
