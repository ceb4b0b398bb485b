import { z } from 'zod';
import { PlatformRole, TenantRole } from './roles.js';

export const UserSummary = z.object({
  id: z.uuid(),
  email: z.email(),
  name: z.string(),
});
export type UserSummary = z.infer<typeof UserSummary>;

export const TenantStatus = z.enum(['active', 'suspended', 'pending_deletion']);
export type TenantStatus = z.infer<typeof TenantStatus>;

export const MembershipSummary = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  role: z.union([TenantRole, PlatformRole]),
});
export type MembershipSummary = z.infer<typeof MembershipSummary>;

export const Me = z.object({
  user: UserSummary,
  tenants: z.array(MembershipSummary),
  platformRole: PlatformRole.nullable(),
});
export type Me = z.infer<typeof Me>;

export const Tenant = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  status: TenantStatus,
  planId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
});
export type Tenant = z.infer<typeof Tenant>;

export const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  database: z.enum(['ok', 'down']),
  version: z.string(),
  uptimeSeconds: z.number(),
});
export type Health = z.infer<typeof Health>;
