export type {
  AcceptInvitationInput,
  AcceptInvitationResult,
  BulkInviteResult,
  BulkRoleResult,
  BulkRowResult,
  Invitation,
  InvitationPreview,
  InvitationQuery,
  InvitationStatus,
  InviteInput,
  Member,
  MemberQuery,
  MemberStatus,
  OutboxMessage,
  RoleInfo,
  TeamActivityQuery,
  TenantRole,
  TransferOwnershipResult,
} from '@cbp/contracts';

/** One row of a bulk invitation as sent: the API validates each row again. */
export interface InvitationRow {
  email: string;
  role: string;
}
