import type { AuditLog } from '@/types/audit-log';
import { acme } from '@/test/fixtures';

export const ownerId = '00000000-0000-4000-8000-000000000a04';
export const subscriptionId = 'eeeeeeee-0000-4000-8000-000000000001';
export const invoiceId = 'eeeeeeee-0000-4000-8000-000000000002';
export const cardId = 'eeeeeeee-0000-4000-8000-000000000003';

let sequence = 0;

/** An Acme entry; ids and times count up, so later calls are newer. */
export function auditEntry(fields: Partial<AuditLog> & Pick<AuditLog, 'action' | 'targetType'>): AuditLog {
  sequence += 1;
  const n = String(sequence).padStart(12, '0');
  return {
    id: `ffffffff-0000-4000-8000-${n}`,
    tenantId: acme.id,
    actorId: null,
    actorEmail: null,
    actorType: 'system',
    targetId: null,
    targetName: null,
    before: null,
    after: null,
    metadata: {},
    ipAddress: null,
    userAgent: null,
    createdAt: new Date(Date.UTC(2025, 5, 1, 9, 0, sequence)).toISOString(),
    ...fields,
  };
}

const byOwner = { actorType: 'user', actorId: ownerId, actorEmail: 'owner@acme.test', ipAddress: '203.0.113.7', userAgent: 'Firefox' } as const;

export const tenantCreated = auditEntry({
  action: 'tenant.created',
  targetType: 'tenant',
  targetId: acme.id,
  targetName: 'Acme Corp',
  after: { name: 'Acme Corp', slug: 'acme', plan: 'pro' },
  metadata: { source: 'demo-seed' },
  createdAt: '2025-05-30T08:00:00.000Z',
});

export const planChanged = auditEntry({
  ...byOwner,
  action: 'subscription.plan_changed',
  targetType: 'subscription',
  targetId: subscriptionId,
  targetName: 'Pro → Starter',
  before: { plan: 'Pro', planId: 'aaaaaaaa-0000-4000-8000-000000000003', priceMonthly: 19_900 },
  after: { plan: 'Starter', planId: 'aaaaaaaa-0000-4000-8000-000000000002', priceMonthly: 4_900 },
  metadata: { prorationAmount: -12_000, currency: 'usd' },
  createdAt: '2025-06-02T14:03:07.000Z',
});

export const invoicePaid = auditEntry({
  action: 'invoice.paid',
  targetType: 'invoice',
  targetId: invoiceId,
  targetName: 'INV-2025-0006',
  before: { status: 'open' },
  after: { status: 'paid', amountDue: 4_900, amountPaid: 4_900 },
  metadata: { source: 'gateway', eventId: 'evt_1' },
  createdAt: '2025-06-03T00:00:01.000Z',
});

export const cardAdded = auditEntry({
  ...byOwner,
  action: 'payment_method.added',
  targetType: 'payment_method',
  targetId: cardId,
  targetName: 'Visa •••• 4242',
  after: { label: 'Visa •••• 4242', type: 'card', isDefault: true },
  createdAt: '2025-06-04T10:30:00.000Z',
});

/** Newest first, as the API lists them. */
export const demoTrail: AuditLog[] = [cardAdded, invoicePaid, planChanged, tenantCreated];
