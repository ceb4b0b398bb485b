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

/** Who manages the caller's sign-in: the built-in provider (password here) or an external issuer. */
export const MeIdentity = z.object({
  provider: z.enum(['builtin', 'external']),
  /** External issuer (Keycloak): its account console, where the password and sessions are managed. */
  accountUrl: z.url().optional(),
});
export type MeIdentity = z.infer<typeof MeIdentity>;

export const Me = z.object({
  user: UserSummary,
  tenants: z.array(MembershipSummary),
  platformRole: PlatformRole.nullable(),
  /** Added with the settings page (issue 14); optional so older answers still parse. */
  identity: MeIdentity.optional(),
});
export type Me = z.infer<typeof Me>;

/** `PATCH /me`: the caller's own profile. */
export const UpdateMeBody = z
  .object({
    name: z.string().trim().min(1, 'Enter your name').max(200),
  })
  .strict();
export type UpdateMeBody = z.infer<typeof UpdateMeBody>;

/** The password policy of the built-in provider (same as accepting an invitation). */
export const passwordPolicy = { minLength: 10, maxLength: 200 } as const;
export const NewPassword = z
  .string()
  .min(passwordPolicy.minLength, `Use at least ${passwordPolicy.minLength} characters`)
  .max(passwordPolicy.maxLength, `Use at most ${passwordPolicy.maxLength} characters`);

/** `POST /me/password` (built-in identity only). */
export const ChangePasswordBody = z
  .object({
    currentPassword: z.string().min(1, 'Enter your current password').max(1024),
    newPassword: NewPassword,
  })
  .strict();
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const ChangePasswordResult = z.object({
  /** Other sessions of the account that were signed out. */
  endedSessions: z.number().int().nonnegative(),
});
export type ChangePasswordResult = z.infer<typeof ChangePasswordResult>;

/** One sign-in session of the caller at the built-in provider (`GET /me/sessions`). */
export const UserSession = z.object({
  id: z.string(),
  userAgent: z.string().nullable(),
  /** Browser and operating system read from the user agent, e.g. `Firefox on Linux`. */
  device: z.string(),
  ipAddress: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  /** The session the calling token was issued in. */
  current: z.boolean(),
});
export type UserSession = z.infer<typeof UserSession>;

export const UserSessionList = z.object({ data: z.array(UserSession) });
export type UserSessionList = z.infer<typeof UserSessionList>;

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
