import type { z } from 'zod';
import {
  AcceptInvitationResult,
  AuditLog,
  BulkInviteResult,
  BulkRoleResult,
  Invitation,
  InvitationPreview,
  Member,
  OutboxMessage,
  RoleInfo,
  TransferOwnershipResult,
  pageOf,
} from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';
import type {
  AcceptInvitationInput,
  InvitationQuery,
  InvitationRow,
  InviteInput,
  MemberQuery,
  MemberStatus,
  TeamActivityQuery,
  TenantRole,
} from '@/types/team';

const MemberPage = pageOf(Member);
const InvitationPage = pageOf(Invitation);
const TeamActivityPage = pageOf(AuditLog);
const OutboxPage = pageOf(OutboxMessage);

export type MemberPage = z.infer<typeof MemberPage>;
export type InvitationPage = z.infer<typeof InvitationPage>;
export type TeamActivityPage = z.infer<typeof TeamActivityPage>;
export type OutboxPage = z.infer<typeof OutboxPage>;

/*
 * Reads and the calls made from dialogs are `silent`: those views show the API's sentence in
 * place. Changes made straight from a table row (role select, reactivate, resend) are toasted.
 */

const member = (id: string) => `/users/${encodeURIComponent(id)}`;
const invitation = (id: string) => `/user-invitations/${encodeURIComponent(id)}`;

/** Only the parameters that are set, so the request (and the cache key) stays minimal. */
function paramsOf(query: object): Record<string, string | number> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== '')) as Record<
    string,
    string | number
  >;
}

/** Members of the tenant (analyst and above), filtered by name/email, status and role. */
export async function getMembers(query: MemberQuery): Promise<MemberPage> {
  const { data } = await platformApi.get<unknown>('/users', { params: paramsOf(query), silent: true });
  return parseResponse(MemberPage, data, 'GET /users');
}

export async function getMember(id: string): Promise<Member> {
  const { data } = await platformApi.get<unknown>(member(id), { silent: true });
  return parseResponse(Member, data, 'GET /users/:id');
}

/** Admin; nobody changes their own role and only an owner grants owner. Errors are toasted. */
/** Changes a member's role. `silent` when a dialog shows the refusal itself. */
export async function changeMemberRole(id: string, role: TenantRole, { silent = false } = {}): Promise<Member> {
  const { data } = await platformApi.patch<unknown>(`${member(id)}/role`, { role }, { silent });
  return parseResponse(Member, data, 'PATCH /users/:id/role');
}

/** Suspends or reactivates a membership. `silent` when a dialog shows the refusal itself. */
export async function changeMemberStatus(id: string, status: MemberStatus, { silent = false } = {}): Promise<Member> {
  const { data } = await platformApi.patch<unknown>(`${member(id)}/status`, { status }, { silent });
  return parseResponse(Member, data, 'PATCH /users/:id/status');
}

/** Removes the membership (204); the account itself stays for its other tenants. */
export async function removeMember(id: string): Promise<void> {
  await platformApi.delete(member(id), { silent: true });
}

/** One request for many members; each row answers like the single call would (200 even when some fail). */
export async function bulkChangeRole(userIds: string[], role: TenantRole): Promise<BulkRoleResult> {
  const { data } = await platformApi.post<unknown>('/users/bulk-role', { userIds, role }, { silent: true });
  return parseResponse(BulkRoleResult, data, 'POST /users/bulk-role');
}

export async function getInvitations(query: InvitationQuery): Promise<InvitationPage> {
  const { data } = await platformApi.get<unknown>('/user-invitations', { params: paramsOf(query), silent: true });
  return parseResponse(InvitationPage, data, 'GET /user-invitations');
}

/** 201 with the invitation; the mail goes out through the outbox. */
export async function invite(input: InviteInput): Promise<Invitation> {
  const { data } = await platformApi.post<unknown>('/user-invitations', paramsOf(input), { silent: true });
  return parseResponse(Invitation, data, 'POST /user-invitations');
}

/** Up to 200 rows in one request; a refused row is reported in `results`, the others go ahead. */
export async function bulkInvite(rows: InvitationRow[], message?: string): Promise<BulkInviteResult> {
  const body = { invitations: rows.map(({ email, role }) => ({ email, role })), ...paramsOf({ message }) };
  const { data } = await platformApi.post<unknown>('/user-invitations/bulk', body, { silent: true });
  return parseResponse(BulkInviteResult, data, 'POST /user-invitations/bulk');
}

/**
 * The same rows checked by the API exactly as a send would check them (existing member, pending
 * invitation, role, duplicates), without sending anything: `results[i].ok` is the verdict of row i.
 */
export async function previewBulkInvite(rows: InvitationRow[]): Promise<BulkInviteResult> {
  const body = { invitations: rows.map(({ email, role }) => ({ email, role })), dryRun: true };
  const { data } = await platformApi.post<unknown>('/user-invitations/bulk', body, { silent: true });
  return parseResponse(BulkInviteResult, data, 'POST /user-invitations/bulk (dry run)');
}

/** Sends the mail again (pending or expired invitations); an expired one gets a new expiry. Errors are toasted. */
export async function resendInvitation(id: string): Promise<Invitation> {
  const { data } = await platformApi.post<unknown>(`${invitation(id)}/resend`);
  return parseResponse(Invitation, data, 'POST /user-invitations/:id/resend');
}

/** Revokes a pending invitation (204): its link stops working. */
export async function cancelInvitation(id: string): Promise<void> {
  await platformApi.delete(invitation(id), { silent: true });
}

/*
 * The two public calls of the accept page. platformApi sends a Bearer token only when someone is
 * signed in, and `tenantScoped: false` keeps the stored tenant out, so they work signed out.
 */

/** What the invitation behind `token` offers; 410 when expired, used or revoked, 404 when unknown. */
export async function previewInvitation(token: string): Promise<InvitationPreview> {
  const { data } = await platformApi.post<unknown>('/user-invitations/preview', { token }, { tenantScoped: false, silent: true });
  return parseResponse(InvitationPreview, data, 'POST /user-invitations/preview');
}

export async function acceptInvitation(input: AcceptInvitationInput): Promise<AcceptInvitationResult> {
  const { data } = await platformApi.post<unknown>('/user-invitations/accept', paramsOf(input), { tenantScoped: false, silent: true });
  return parseResponse(AcceptInvitationResult, data, 'POST /user-invitations/accept');
}

/** The tenant roles, lowest first, with what each may do. */
export async function getRoles(): Promise<RoleInfo[]> {
  const { data } = await platformApi.get<unknown>('/roles', { silent: true });
  return parseResponse(RoleInfo.array(), data, 'GET /roles');
}

/** Audit entries of team actions, newest first; with `userId`, those by or about that member. */
export async function getTeamActivity(query: TeamActivityQuery): Promise<TeamActivityPage> {
  const { data } = await platformApi.get<unknown>('/team/activity', { params: paramsOf(query), silent: true });
  return parseResponse(TeamActivityPage, data, 'GET /team/activity');
}

/** Owner only: the new owner must be an active member; the caller becomes an admin. */
export async function transferOwnership(newOwnerId: string): Promise<TransferOwnershipResult> {
  const { data } = await platformApi.post<unknown>('/team/transfer-ownership', { newOwnerId }, { silent: true });
  return parseResponse(TransferOwnershipResult, data, 'POST /team/transfer-ownership');
}

/** Ends the caller's own membership (204); 422 for the tenant's last owner. */
export async function leaveTenant(): Promise<void> {
  await platformApi.post('/team/leave', undefined, { silent: true });
}

/** Mails the tenant's actions sent or captured, newest first. */
export async function getOutbox(query: { page: number; limit: number }): Promise<OutboxPage> {
  const { data } = await platformApi.get<unknown>('/mail/outbox', { params: paramsOf(query), silent: true });
  return parseResponse(OutboxPage, data, 'GET /mail/outbox');
}
