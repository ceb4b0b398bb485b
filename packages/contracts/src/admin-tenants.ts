import { z } from 'zod';
import { PageQuery, pageOf } from './pagination.js';
import { TenantStatus } from './session.js';

/**
 * The staff console (issue 16, super_admin only): every tenant of the platform, its detail,
 * provisioning a new one and suspending / reactivating it. `GET /admin/tenants`,
 * `GET /admin/tenants/{id}`, `POST /admin/tenants`, `POST /admin/tenants/{id}/suspend`,
 * `POST /admin/tenants/{id}/reactivate`.
 */

/** The worst state of a tenant's quotas this period: none (no quotas), ok, over a soft limit, over a hard limit. */
export const TenantUsageStatus = z.enum(['none', 'ok', 'approaching_limit', 'over_soft_limit', 'over_hard_limit']);
export type TenantUsageStatus = z.infer<typeof TenantUsageStatus>;

/** A plan's key (`free`, `starter`, `pro`, `enterprise`, ...). */
export const PlanKey = z.string().trim().min(1).max(50).regex(/^[a-z0-9][a-z0-9_-]*$/, 'A plan key: lower-case letters, digits, - or _');

export const AdminTenantQuery = PageQuery.extend({
  search: z.string().trim().max(200).optional().describe('Part of the name or slug'),
  status: TenantStatus.optional(),
  plan: PlanKey.optional(),
});
export type AdminTenantQuery = z.infer<typeof AdminTenantQuery>;

export const AdminTenantParams = z.object({ id: z.uuid() });

export const AdminTenantPlan = z.object({ key: z.string(), name: z.string() });

export const AdminTenantListItem = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  plan: AdminTenantPlan.nullable(),
  status: TenantStatus,
  /** Active members. */
  members: z.number().int().nonnegative(),
  usageStatus: TenantUsageStatus,
  createdAt: z.iso.datetime(),
});
export type AdminTenantListItem = z.infer<typeof AdminTenantListItem>;

export const AdminTenantPage = pageOf(AdminTenantListItem);
export type AdminTenantPage = z.infer<typeof AdminTenantPage>;

export const AdminTenantOwner = z.object({ id: z.uuid(), email: z.string(), name: z.string() });

export const AdminTenantSubscription = z.object({
  status: z.string(),
  planName: z.string(),
  currentPeriodEnd: z.iso.datetime(),
  cancelAtPeriodEnd: z.boolean(),
  trialEnd: z.iso.datetime().nullable(),
});

export const TenantSuspension = z.object({
  reason: z.string(),
  at: z.iso.datetime(),
  /** The staff member who suspended it (null: unknown, e.g. suspended outside the console). */
  by: z.object({ id: z.uuid(), email: z.string().nullable() }).nullable(),
});
export type TenantSuspension = z.infer<typeof TenantSuspension>;

export const AdminTenantDetail = AdminTenantListItem.extend({
  owners: z.array(AdminTenantOwner),
  /** Null while provisioning has not created it yet. */
  subscription: AdminTenantSubscription.nullable(),
  suspension: TenantSuspension.nullable(),
  pendingInvitations: z.number().int().nonnegative(),
  /** Set while status is pending_deletion. */
  deletionScheduledAt: z.iso.datetime().nullable(),
});
export type AdminTenantDetail = z.infer<typeof AdminTenantDetail>;

/** Lower-case kebab case: `acme`, `acme-eu-2`. */
export const TenantSlug = z
  .string()
  .trim()
  .min(2, 'At least 2 characters')
  .max(63, 'At most 63 characters')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Lower-case letters, digits and single hyphens (e.g. acme-eu)');

export const CreateAdminTenantBody = z.object({
  name: z.string().trim().min(1, 'Required').max(200, 'At most 200 characters'),
  slug: TenantSlug,
  plan: PlanKey,
  ownerEmail: z.email('A valid email address').max(320),
});
export type CreateAdminTenantBody = z.infer<typeof CreateAdminTenantBody>;

export const CreateAdminTenantResult = z.object({
  tenant: AdminTenantDetail,
  /** The provisioning workflow run (GET /workflows/{id}/status with X-Tenant-Id of the new tenant). */
  workflowId: z.string(),
});
export type CreateAdminTenantResult = z.infer<typeof CreateAdminTenantResult>;

export const SuspendTenantBody = z.object({
  reason: z.string().trim().min(1, 'Give a reason').max(500, 'At most 500 characters'),
});
export type SuspendTenantBody = z.infer<typeof SuspendTenantBody>;
