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

export const SubscriptionStatus = z.enum(['trialing', 'active', 'past_due', 'canceled', 'incomplete']);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

export const Subscription = z.object({
  id: z.uuid(),
  planId: z.uuid(),
  plan: Plan,
  status: SubscriptionStatus,
  currentPeriodStart: z.iso.datetime(),
  currentPeriodEnd: z.iso.datetime(),
  cancelAtPeriodEnd: z.boolean(),
  trialEnd: z.iso.datetime().nullable(),
});
export type Subscription = z.infer<typeof Subscription>;

export const ChangePlanRequest = z.object({
  planId: z.uuid(),
  /** The `prorationDate` of the preview the user confirmed, so the charge matches what they saw. */
  prorationDate: z.iso.datetime().optional(),
});
export type ChangePlanRequest = z.infer<typeof ChangePlanRequest>;

export const PreviewChangeQuery = z.object({ planId: z.uuid() });

export const ProrationLine = z.object({
  description: z.string(),
  amount: z.number().int().describe('Minor units; negative for a credit'),
});
export type ProrationLine = z.infer<typeof ProrationLine>;

/**
 * What a plan change would do, computed like Stripe's `create_prorations`: a credit for the
 * unused time of the current plan and a charge for the rest of the period on the new plan,
 * both added to the next invoice.
 */
/**
 * What a plan change does to a limit the organization is above (docs/decisions/004):
 * - `refused`: seats (`users`): more active members than the target plan allows; the change is
 *   refused (422 PLAN_LIMITS_EXCEEDED) until members are removed.
 * - `blocked`: this period's usage is above the target plan's hard limit; the current period
 *   keeps the limits it started with, and from the next period usage above it is refused.
 * - `overage`: this period's usage is above the target plan's included quantity; from the next
 *   period usage above it is billed at the target plan's overage price.
 */
export const PlanLimitOutcome = z.enum(['refused', 'blocked', 'overage']);
export type PlanLimitOutcome = z.infer<typeof PlanLimitOutcome>;

export const PlanLimitImpact = z.object({
  metricType: MetricType,
  current: z.number().int().nonnegative().describe('Active members for `users`; this period\'s usage for the others'),
  included: z.number().int().nonnegative().describe('The target plan\'s included quantity'),
  hardLimit: z.number().int().nonnegative().nullable().describe('The target plan\'s hard limit'),
  overagePrice: z.number().int().nonnegative().describe('The target plan\'s price per `overageUnit` over the included quantity (minor units)'),
  overageUnit: z.number().int().positive(),
  outcome: PlanLimitOutcome,
  message: z.string(),
});
export type PlanLimitImpact = z.infer<typeof PlanLimitImpact>;

export const PlanChangePreview = z.object({
  currentPlan: Plan,
  newPlan: Plan,
  direction: z.enum(['upgrade', 'downgrade', 'same']),
  prorationDate: z.iso.datetime(),
  lines: z.array(ProrationLine),
  prorationAmount: z.number().int().describe('Net of the lines; negative means a credit'),
  nextInvoiceAmount: z.number().int().describe('Estimate of the next invoice after the change'),
  nextInvoiceDate: z.iso.datetime(),
  currency: Currency,
  /** Each limit of the target plan that the organization is above now, and what happens. */
  limitImpacts: z.array(PlanLimitImpact),
  /** False when an impact is `refused`: the change itself would answer 422 PLAN_LIMITS_EXCEEDED. */
  allowed: z.boolean(),
});
export type PlanChangePreview = z.infer<typeof PlanChangePreview>;

export const InvoiceStatus = z.enum(['draft', 'open', 'paid', 'void', 'uncollectible']);
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;

export const InvoiceLineKind = z.enum(['subscription', 'usage', 'proration', 'adjustment']);
export type InvoiceLineKind = z.infer<typeof InvoiceLineKind>;

export const InvoiceLine = z.object({
  id: z.uuid(),
  kind: InvoiceLineKind,
  description: z.string(),
  metricType: z.string().nullable(),
  quantity: z.number().int().describe('Billed quantity in the priced unit (e.g. 7 blocks of 10,000 calls): amount = quantity x unitAmount'),
  unitAmount: z.number().int().describe('Minor units per priced unit (negative for a credit)'),
  unitSize: z.number().int().positive().describe('Metered units in one priced unit (10,000 calls); 1 for plan and proration lines'),
  usedQuantity: z.number().int().nonnegative().nullable().describe('Usage lines: metered units used in the period'),
  includedQuantity: z.number().int().nonnegative().nullable().describe('Usage lines: metered units the plan includes'),
  amount: z.number().int(),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
});
export type InvoiceLine = z.infer<typeof InvoiceLine>;

/** The customer as billed: the organization's billing identity when the invoice was issued. */
export const InvoiceCustomer = z.object({
  name: z.string(),
  email: z.string().nullable(),
  addressLines: z.array(z.string()),
  taxId: z.string().nullable(),
});
export type InvoiceCustomer = z.infer<typeof InvoiceCustomer>;

export const Invoice = z.object({
  id: z.uuid(),
  number: z.string(),
  status: InvoiceStatus,
  subtotal: z.number().int().describe('Sum of the lines'),
  total: z.number().int().describe('What the invoice charges: the subtotal less credits from earlier invoices, never below 0'),
  amountPaid: z.number().int(),
  amountDue: z.number().int().describe('Still to pay: total - amountPaid (0 when paid or void); the same on the page and in the PDF'),
  currency: Currency,
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
  dueDate: z.iso.datetime().nullable(),
  paidAt: z.iso.datetime().nullable(),
  lines: z.array(InvoiceLine),
  customer: InvoiceCustomer.nullable().describe(
    'The customer as billed, written once when the invoice is issued (a later profile edit does not change it); null for a draft, or an invoice issued before CBP kept it (its PDF prints the current profile)',
  ),
  createdAt: z.iso.datetime(),
});
export type Invoice = z.infer<typeof Invoice>;

export const InvoiceListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: InvoiceStatus.optional(),
});
export type InvoiceListQuery = z.infer<typeof InvoiceListQuery>;

/** The next invoice as it stands now (plan for the next period plus pending prorations). */
export const UpcomingInvoice = z.object({
  amountDue: z.number().int(),
  currency: Currency,
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
  lines: z.array(ProrationLine),
});
export type UpcomingInvoice = z.infer<typeof UpcomingInvoice>;

export const BillingPortalSession = z.object({ url: z.url() });
