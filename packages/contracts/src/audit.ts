import { z } from 'zod';

export const ActorType = z.enum(['user', 'system', 'api_key']);

export const AuditLog = z.object({
  id: z.uuid(),
  tenantId: z.uuid().nullable(),
  action: z.string(),
  actorId: z.uuid().nullable(),
  actorEmail: z.string().nullable(),
  actorType: ActorType,
  targetType: z.string(),
  targetId: z.string().nullable(),
  targetName: z.string().nullable(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  metadata: z.record(z.string(), z.unknown()),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
export type AuditLog = z.infer<typeof AuditLog>;

/** Filters shared by the list, count and export of the audit trail (also parsed from the portal's URL). */
export const AuditLogFilters = z.object({
  action: z.string().max(100).optional(),
  actorId: z.uuid().optional(),
  targetType: z.string().max(50).optional(),
  targetId: z.string().max(200).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  q: z.string().trim().max(200).optional(),
});
export type AuditLogFilters = z.infer<typeof AuditLogFilters>;

export const AuditLogQuery = AuditLogFilters.extend({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type AuditLogQuery = z.infer<typeof AuditLogQuery>;

/** A page of the trail; free-text totals stop at 1,000 (`totalCapped`: there are more). */
export const AuditLogPage = z.object({
  data: z.array(AuditLog),
  total: z.number().int().nonnegative(),
  totalCapped: z.boolean(),
});
export type AuditLogPage = z.infer<typeof AuditLogPage>;

export const AuditLogCount = z.object({
  count: z.number().int().nonnegative(),
  /** True when the count stopped at its cap (free text): there are more matches. */
  capped: z.boolean(),
});
export type AuditLogCount = z.infer<typeof AuditLogCount>;

/** Result of recomputing a tenant's hash chain (`GET /audit-logs/verify`). */
export const AuditChainVerification = z.object({
  valid: z.boolean(),
  checked: z.number().int().nonnegative(),
  firstBroken: z
    .object({
      id: z.uuid(),
      createdAt: z.iso.datetime(),
      reason: z.enum(['content_changed', 'chain_broken']).describe('content_changed: the entry was edited; chain_broken: an entry before it was removed or inserted'),
    })
    .nullable(),
  /** The newest entry: its hash, kept outside CBP, lets a later check notice removed newest entries. */
  head: z.object({ id: z.uuid(), hash: z.string(), createdAt: z.iso.datetime() }).nullable(),
  /** The plan's retention and what the retention job has removed so far (the chain starts after it). */
  retention: z.object({
    days: z.number().int().positive(),
    purgedTotal: z.number().int().nonnegative(),
    lastPurgedAt: z.iso.datetime().nullable(),
  }),
  verifiedAt: z.iso.datetime(),
});
export type AuditChainVerification = z.infer<typeof AuditChainVerification>;

export const AuditLogExportQuery = AuditLogFilters.extend({ format: z.enum(['csv', 'jsonl']).default('csv') });
export type AuditLogExportQuery = z.infer<typeof AuditLogExportQuery>;
