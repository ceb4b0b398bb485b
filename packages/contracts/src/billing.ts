import { z } from 'zod';

export const metricTypes = ['api_calls', 'storage_gb', 'users', 'workflows', 'integrations'] as const;
export const MetricType = z.enum(metricTypes);
export type MetricType = z.infer<typeof MetricType>;

export const PlanTier = z.enum(['free', 'starter', 'pro', 'enterprise']);
export type PlanTier = z.infer<typeof PlanTier>;

/** Money is integer minor units plus an ISO 4217 currency. */
export const Currency = z.string().regex(/^[a-z]{3}$/);

export const MetricLimit = z.object({
  included: z.number().int().nonnegative(),
  softLimit: z.number().int().nonnegative().nullable(),
  hardLimit: z.number().int().nonnegative().nullable(),
  overagePrice: z.number().int().nonnegative().describe('Minor units charged per `overageUnit` units over the included quantity'),
  overageUnit: z.number().int().positive().describe('Units per overage price step, like Stripe\'s transform_quantity.divide_by'),
});
export type MetricLimit = z.infer<typeof MetricLimit>;

export const Plan = z.object({
  id: z.uuid(),
  name: z.string(),
  tier: PlanTier,
  priceMonthly: z.number().int().nonnegative(),
  currency: Currency,
  interval: z.enum(['month', 'year']),
  features: z.array(z.string()),
  limits: z.record(z.string(), MetricLimit),
});
export type Plan = z.infer<typeof Plan>;
