import type { Invoice, InvoiceStatus, MetricLimit, Plan, PlanChangePreview, Subscription, UpcomingInvoice } from '@/types/billing';

const limit = (included: number, softLimit: number | null, hardLimit: number | null, overagePrice = 0, overageUnit = 1): MetricLimit => ({
  included,
  softLimit,
  hardLimit,
  overagePrice,
  overageUnit,
});

export const freeCatalogPlan: Plan = {
  id: 'aaaaaaaa-0000-4000-8000-000000000001',
  name: 'Free',
  tier: 'free',
  priceMonthly: 0,
  currency: 'usd',
  interval: 'month',
  features: ['Up to 3 members'],
  limits: { api_calls: limit(10_000, 8_000, 10_000), users: limit(3, 3, 3) },
};

export const starterCatalogPlan: Plan = {
  id: 'aaaaaaaa-0000-4000-8000-000000000002',
  name: 'Starter',
  tier: 'starter',
  priceMonthly: 4_900,
  currency: 'usd',
  interval: 'month',
  features: ['Up to 10 members', 'Email support'],
  limits: { api_calls: limit(100_000, 80_000, 150_000, 200, 10_000), storage_gb: limit(10, 8, 20, 50) },
};

export const proCatalogPlan: Plan = {
  id: 'aaaaaaaa-0000-4000-8000-000000000003',
  name: 'Pro',
  tier: 'pro',
  priceMonthly: 19_900,
  currency: 'usd',
  interval: 'month',
  features: ['Up to 50 members', 'Priority support', 'SSO'],
  limits: {
    api_calls: limit(1_000_000, 800_000, 1_500_000, 150, 10_000),
    storage_gb: limit(100, 80, 200, 30),
    users: limit(50, 40, 50),
  },
};

export const enterpriseCatalogPlan: Plan = {
  id: 'aaaaaaaa-0000-4000-8000-000000000004',
  name: 'Enterprise',
  tier: 'enterprise',
  priceMonthly: 99_900,
  currency: 'usd',
  interval: 'month',
  features: ['Unlimited members', 'Custom contracts'],
  limits: { api_calls: limit(10_000_000, 8_000_000, null, 100, 10_000) },
};

export const catalog = [freeCatalogPlan, starterCatalogPlan, proCatalogPlan, enterpriseCatalogPlan];

export function subscriptionOn(plan: Plan, overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: 'bbbbbbbb-0000-4000-8000-000000000001',
    planId: plan.id,
    plan,
    status: 'active',
    currentPeriodStart: '2025-06-01T00:00:00.000Z',
    currentPeriodEnd: '2025-07-01T00:00:00.000Z',
    cancelAtPeriodEnd: false,
    trialEnd: null,
    ...overrides,
  };
}

export const upcomingInvoice: UpcomingInvoice = {
  amountDue: 19_900,
  currency: 'usd',
  periodStart: '2025-07-01T00:00:00.000Z',
  periodEnd: '2025-08-01T00:00:00.000Z',
  lines: [{ description: 'Pro plan (Jul 1 – Aug 1, 2025)', amount: 19_900 }],
};

/** Pro -> Starter halfway through June: credit for half of Pro, charge for half of Starter. */
export const downgradePreview: PlanChangePreview = {
  currentPlan: proCatalogPlan,
  newPlan: starterCatalogPlan,
  direction: 'downgrade',
  prorationDate: '2025-06-16T00:00:00.000Z',
  lines: [
    { description: 'Unused time on Pro after Jun 16, 2025', amount: -9_950 },
    { description: 'Remaining time on Starter after Jun 16, 2025', amount: 2_450 },
  ],
  prorationAmount: -7_500,
  nextInvoiceAmount: -2_600,
  nextInvoiceDate: '2025-07-01T00:00:00.000Z',
  currency: 'usd',
  limitImpacts: [],
  allowed: true,
};

export function invoice(n: number, status: InvoiceStatus = 'paid', overrides: Partial<Invoice> = {}): Invoice {
  const month = String(((n - 1) % 12) + 1).padStart(2, '0');
  const next = String((n % 12) + 1).padStart(2, '0');
  const paid = status === 'paid';
  return {
    id: `cccccccc-0000-4000-8000-${String(n).padStart(12, '0')}`,
    number: `INV-2025-${String(n).padStart(4, '0')}`,
    status,
    subtotal: 19_900,
    total: 19_900,
    amountPaid: paid ? 19_900 : 0,
    amountDue: paid ? 0 : 19_900,
    currency: 'usd',
    periodStart: `2025-${month}-01T00:00:00.000Z`,
    periodEnd: `2025-${next}-01T00:00:00.000Z`,
    dueDate: `2025-${next}-15T00:00:00.000Z`,
    paidAt: paid ? `2025-${next}-02T00:00:00.000Z` : null,
    customer: { name: 'Acme Corporation Ltd', email: 'accounts@acme.test', addressLines: ['1 Road Runner Way', '85001 Phoenix'], taxId: 'US-99-1234567' },
    lines: [
      {
        id: `dddddddd-0000-4000-8000-${String(n).padStart(12, '0')}`,
        kind: 'subscription',
        description: 'Pro plan',
        metricType: null,
        quantity: 1,
        unitAmount: 19_900,
        unitSize: 1,
        usedQuantity: null,
        includedQuantity: null,
        amount: 19_900,
        periodStart: `2025-${month}-01T00:00:00.000Z`,
        periodEnd: `2025-${next}-01T00:00:00.000Z`,
      },
    ],
    createdAt: `2025-${next}-01T00:00:00.000Z`,
    ...overrides,
  };
}
