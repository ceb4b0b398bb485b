import type { Me, MembershipSummary, Plan, Role, Tenant } from '@/types/session';

export const acme: Tenant = {
  id: '11111111-1111-4111-8111-111111111111',
  name: 'Acme Corp',
  slug: 'acme',
  status: 'active',
  planId: '33333333-3333-4333-8333-333333333333',
  createdAt: '2024-03-01T09:00:00.000Z',
};

export const globex: Tenant = {
  id: '22222222-2222-4222-8222-222222222222',
  name: 'Globex',
  slug: 'globex',
  status: 'suspended',
  planId: '44444444-4444-4444-8444-444444444444',
  createdAt: '2024-05-10T09:00:00.000Z',
};

export const proPlan: Plan = {
  id: '33333333-3333-4333-8333-333333333333',
  name: 'Pro',
  tier: 'pro',
  priceMonthly: 4900,
  currency: 'usd',
  interval: 'month',
  features: ['Up to 25 members', 'Audit logs'],
  limits: {},
};

export const starterPlan: Plan = {
  id: '44444444-4444-4444-8444-444444444444',
  name: 'Starter',
  tier: 'starter',
  priceMonthly: 1900,
  currency: 'usd',
  interval: 'month',
  features: ['Up to 5 members'],
  limits: {},
};

export function membership(tenant: Tenant, role: Role): MembershipSummary {
  return { id: tenant.id, name: tenant.name, slug: tenant.slug, role };
}

export function meWith(...tenants: MembershipSummary[]): Me {
  return {
    user: { id: '55555555-5555-4555-8555-555555555555', email: 'ada@acme.test', name: 'Ada Lovelace' },
    tenants,
    platformRole: null,
  };
}
