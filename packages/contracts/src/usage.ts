import { z } from 'zod';
import { Currency, MetricType } from './billing.js';

/** Largest batch `POST /usage/events` takes. */
export const maxUsageBatch = 1_000;

export const UsageEventInput = z.object({
  metricType: MetricType,
  /** Whole units (API calls, GB, seats...): positive, at most one billion per event. */
  quantity: z.number().int().positive().max(1_000_000_000),
  /** When the usage happened (default: now); at most 35 days in the past, 5 minutes ahead. */
  occurredAt: z.iso.datetime().optional(),
  /** The sender's id for this event: the same key twice counts once. */
  idempotencyKey: z.string().min(1).max(200),
});
export type UsageEventInput = z.infer<typeof UsageEventInput>;

export const UsageEventBatch = z.object({ events: z.array(UsageEventInput).min(1).max(maxUsageBatch) });
export type UsageEventBatch = z.infer<typeof UsageEventBatch>;

export const UsageIngestResult = z.object({
  accepted: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
});
export type UsageIngestResult = z.infer<typeof UsageIngestResult>;

export const metricNames: Record<MetricType, { name: string; unit: string }> = {
  api_calls: { name: 'API calls', unit: 'calls' },
  storage_gb: { name: 'Storage', unit: 'GB' },
  users: { name: 'Users', unit: 'seats' },
  workflows: { name: 'Workflow runs', unit: 'runs' },
  integrations: { name: 'Integrations', unit: 'integrations' },
};

export const UsageStatus = z.object({
  metricType: MetricType,
  metricName: z.string(),
  currentUsage: z.number().int().nonnegative(),
  includedQuantity: z.number().int().nonnegative(),
  softLimit: z.number().int().nonnegative().nullable(),
  hardLimit: z.number().int().nonnegative().nullable(),
  /** Usage against the hard limit (or the included quantity when there is none), in percent. */
  percentUsed: z.number().nonnegative(),
  isOverSoftLimit: z.boolean(),
  isOverHardLimit: z.boolean(),
  unit: z.string(),
  /** Units left before the hard limit (null: no hard limit). */
  remainingAllowance: z.number().int().nullable(),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
});
export type UsageStatus = z.infer<typeof UsageStatus>;

export const Quota = z.object({
  id: z.uuid(),
  metricType: MetricType,
  metricName: z.string(),
  unit: z.string(),
  includedQuantity: z.number().int().nonnegative(),
  softLimit: z.number().int().nonnegative().nullable(),
  hardLimit: z.number().int().nonnegative().nullable(),
  /** Minor units per `overageUnit` units above the included quantity. */
  overagePrice: z.number().int().nonnegative(),
  overageUnit: z.number().int().positive(),
  currency: Currency,
  resetPeriod: z.enum(['monthly']),
  currentUsage: z.number().int().nonnegative(),
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
});
export type Quota = z.infer<typeof Quota>;
