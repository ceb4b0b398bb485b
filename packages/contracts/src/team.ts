import { z } from 'zod';
import { PageQuery } from './pagination.js';
import { TenantRole } from './roles.js';

/** A person in the tenant: an active or suspended membership. */
export const MemberStatus = z.enum(['active', 'suspended']);
export type MemberStatus = z.infer<typeof MemberStatus>;

export const Member = z.object({
  id: z.uuid().describe('The user id'),
  email: z.email(),
  name: z.string(),
  role: TenantRole,
  status: MemberStatus,
  joinedAt: z.iso.datetime(),
  /** Time of the member's latest audit entry in this tenant, if any. */
  lastActiveAt: z.iso.datetime().nullable(),
});
export type Member = z.infer<typeof Member>;

/** Pending invitations are listed by `GET /user-invitations`, not here. */
export const MemberQuery = PageQuery.extend({
  search: z.string().trim().max(200).optional().describe('Part of the name or email'),
  status: z.enum(['active', 'suspended']).optional(),
  role: TenantRole.optional(),
});
export type MemberQuery = z.infer<typeof MemberQuery>;

export const ChangeRoleInput = z.object({ role: TenantRole });
export type ChangeRoleInput = z.infer<typeof ChangeRoleInput>;

export const ChangeMemberStatusInput = z.object({ status: MemberStatus });
export type ChangeMemberStatusInput = z.infer<typeof ChangeMemberStatusInput>;

export const BulkRoleInput = z.object({
  userIds: z.array(z.uuid()).min(1).max(100),
  role: TenantRole,
});
export type BulkRoleInput = z.infer<typeof BulkRoleInput>;

/** One row of a bulk operation: done, or refused with the same code and sentence as the single call. */
export const BulkRowResult = z.object({
  index: z.number().int().nonnegative(),
  key: z.string().describe('The row as the caller gave it: user id or email'),
  ok: z.boolean(),
  status: z.number().int().describe('HTTP status the single call would have answered'),
  code: z.string().optional(),
  message: z.string().optional(),
});
export type BulkRowResult = z.infer<typeof BulkRowResult>;

export const BulkRoleResult = z.object({
  updated: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  results: z.array(BulkRowResult),
});
export type BulkRoleResult = z.infer<typeof BulkRoleResult>;

export const InvitationStatus = z.enum(['pending', 'accepted', 'expired', 'revoked']);
export type InvitationStatus = z.infer<typeof InvitationStatus>;

export const Invitation = z.object({
  id: z.uuid(),
  email: z.email(),
  role: TenantRole,
  message: z.string().nullable(),
  status: InvitationStatus,
  invitedBy: z.object({ id: z.uuid(), name: z.string(), email: z.string() }).nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  lastSentAt: z.iso.datetime(),
  sendCount: z.number().int().positive(),
  acceptedAt: z.iso.datetime().nullable(),
});
export type Invitation = z.infer<typeof Invitation>;

export const InvitationQuery = PageQuery.extend({ status: InvitationStatus.optional(), search: z.string().trim().max(200).optional() });
export type InvitationQuery = z.infer<typeof InvitationQuery>;

/** Invitations last 7 days. */
export const invitationValidDays = 7;

export const InviteInput = z.object({
  email: z.email().max(254).transform((e) => e.toLowerCase()),
  role: TenantRole,
  message: z.string().trim().max(1000).optional(),
});
export type InviteInput = z.input<typeof InviteInput>;

/**
 * Bulk rows are validated one by one by the API (a malformed row is reported, the others go
 * ahead), so the row schema here is loose on purpose.
 */
/** Most rows one bulk invitation takes. */
export const maxBulkInvitations = 200;

export const BulkInviteInput = z.object({
  invitations: z
    .array(z.object({ email: z.string().max(320), role: z.string().max(50) }))
    .min(1)
    .max(maxBulkInvitations),
  message: z.string().trim().max(1000).optional(),
  /**
   * Check every row exactly as a send would (address, role, existing member, pending
   * invitation, duplicate in the list) without creating anything: `created` then counts the
   * rows that would be sent, and no row has an `invitationId`.
   */
  dryRun: z.boolean().optional(),
});
export type BulkInviteInput = z.infer<typeof BulkInviteInput>;

export const BulkInviteResult = z.object({
  created: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  results: z.array(BulkRowResult.extend({ invitationId: z.uuid().optional() })),
});
export type BulkInviteResult = z.infer<typeof BulkInviteResult>;

/** What the public accept page shows before the person accepts (by token, no session). */
export const InvitationPreview = z.object({
  tenantName: z.string(),
  email: z.email(),
  role: TenantRole,
  invitedBy: z.string().nullable(),
  message: z.string().nullable(),
  expiresAt: z.iso.datetime(),
  /** True when an account with this email exists: accepting only adds the membership. */
  existingUser: z.boolean(),
  /** built-in: the page asks for a name and password; external: the person registers at the identity provider. */
  identity: z.enum(['builtin', 'external']),
});
export type InvitationPreview = z.infer<typeof InvitationPreview>;

export const AcceptInvitationInput = z.object({
  token: z.string().min(20).max(200),
  /** Required for a new account; an existing account keeps its name. */
  name: z.string().trim().min(1).max(200).optional(),
  password: z.string().min(10).max(200).optional().describe('Required for a new account at the built-in identity provider'),
});
export type AcceptInvitationInput = z.infer<typeof AcceptInvitationInput>;

export const AcceptInvitationResult = z.object({
  tenantId: z.uuid(),
  tenantName: z.string(),
  role: TenantRole,
  email: z.email(),
  /** `sign-in`: go to the portal's sign-in; `register`: finish at the external identity provider's registration page. */
  next: z.enum(['sign-in', 'register']),
  registrationUrl: z.url().optional(),
});
export type AcceptInvitationResult = z.infer<typeof AcceptInvitationResult>;

export const RoleInfo = z.object({
  key: TenantRole,
  name: z.string(),
  level: z.number().int(),
  description: z.string(),
  /** `resource:action` pairs the role may perform, from the RBAC table. */
  permissions: z.array(z.string()),
});
export type RoleInfo = z.infer<typeof RoleInfo>;

/** Audit actions of team changes: what `GET /team/activity` lists for the whole team. */
export const teamActions = [
  'member.invited',
  'member.joined',
  'member.role_changed',
  'member.suspended',
  'member.reactivated',
  'member.removed',
  'member.left',
  'invitation.resent',
  'invitation.revoked',
  'ownership.transferred',
] as const;

export const TeamActivityQuery = PageQuery.extend({
  userId: z.uuid().optional().describe('Everything the member did or that was done to them; without it, the team changes of everyone'),
});
export type TeamActivityQuery = z.infer<typeof TeamActivityQuery>;

export const TransferOwnershipInput = z.object({ newOwnerId: z.uuid() });
export type TransferOwnershipInput = z.infer<typeof TransferOwnershipInput>;

export const TransferOwnershipResult = z.object({
  previousOwner: Member,
  newOwner: Member,
});
export type TransferOwnershipResult = z.infer<typeof TransferOwnershipResult>;

/** A message the mail port sent or captured (the outbox, readable by platform staff only: it holds invitation links). */
export const OutboxMessage = z.object({
  id: z.uuid(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  kind: z.string().describe('e.g. invitation, ownership_transferred'),
  status: z.enum(['captured', 'queued', 'sent', 'failed']).describe('captured: kept in the outbox only (no SMTP configured)'),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime().nullable(),
});
export type OutboxMessage = z.infer<typeof OutboxMessage>;
