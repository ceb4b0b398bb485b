import type { MetricLimit, PlanTier } from '@cbp/contracts';

type Limits = Record<string, MetricLimit>;

const limit = (included: number, softLimit: number | null, hardLimit: number | null, overagePrice = 0, overageUnit = 1): MetricLimit => ({
  included,
  softLimit,
  hardLimit,
  overagePrice,
  overageUnit,
});

export interface CatalogPlan {
  key: string;
  name: string;
  tier: PlanTier;
  priceMonthly: number;
  features: string[];
  limits: Limits;
  sortOrder: number;
  /** Audit trail retention (what the feature list promises). */
  auditRetentionDays: number;
}

/** The plan catalog every installation starts with (prices in cents, USD, monthly). */
export const planCatalog: CatalogPlan[] = [
  {
    key: 'free',
    auditRetentionDays: 7,
    name: 'Free',
    tier: 'free',
    priceMonthly: 0,
    sortOrder: 1,
    features: ['Up to 3 members', 'Community support', '7-day audit log'],
    limits: {
      api_calls: limit(10_000, 8_000, 10_000),
      storage_gb: limit(1, 1, 1),
      users: limit(3, 3, 3),
      workflows: limit(100, 80, 100),
      integrations: limit(1, 1, 1),
    },
  },
  {
    key: 'starter',
    auditRetentionDays: 30,
    name: 'Starter',
    tier: 'starter',
    priceMonthly: 4_900,
    sortOrder: 2,
    features: ['Up to 10 members', 'Email support', '30-day audit log'],
    limits: {
      api_calls: limit(100_000, 80_000, 150_000, 200, 10_000),
      storage_gb: limit(10, 8, 20, 50),
      users: limit(10, 8, 10),
      workflows: limit(1_000, 800, 2_000, 5, 10),
      integrations: limit(3, 3, 3),
    },
  },
  {
    key: 'pro',
    auditRetentionDays: 365,
    name: 'Pro',
    tier: 'pro',
    priceMonthly: 19_900,
    sortOrder: 3,
    features: ['Up to 50 members', 'Priority support', '1-year audit log', 'SSO'],
    limits: {
      api_calls: limit(1_000_000, 800_000, 1_500_000, 150, 10_000),
      storage_gb: limit(100, 80, 200, 30),
      users: limit(50, 40, 50),
      workflows: limit(10_000, 8_000, 20_000, 4, 10),
      integrations: limit(10, 8, 10),
    },
  },
  {
    key: 'enterprise',
    auditRetentionDays: 2557,
    name: 'Enterprise',
    tier: 'enterprise',
    priceMonthly: 99_900,
    sortOrder: 4,
    features: ['Unlimited members', 'Dedicated support', '7-year audit log', 'SSO', 'Custom contracts'],
    limits: {
      api_calls: limit(10_000_000, 8_000_000, null, 100, 10_000),
      storage_gb: limit(1_000, 800, null, 20),
      users: limit(500, 400, null, 1_000),
      workflows: limit(100_000, 80_000, null, 3, 10),
      integrations: limit(50, 40, null),
    },
  },
];
