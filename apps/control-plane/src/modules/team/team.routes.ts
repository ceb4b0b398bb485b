import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AcceptInvitationInput,
  AcceptInvitationResult,
  AuditLog,
  BulkInviteInput,
  BulkInviteResult,
  BulkRoleInput,
  BulkRoleResult,
  ChangeMemberStatusInput,
  ChangeRoleInput,
  Invitation,
  InvitationPreview,
  InvitationQuery,
  InviteInput,
  Member,
  MemberQuery,
  OutboxMessage,
  pageOf,
  PageQuery,
  Problem,
  RoleInfo,
  TeamActivityQuery,
  TransferOwnershipInput,
  TransferOwnershipResult,
} from '@cbp/contracts';
import { tenantContext, tenantOf } from '../../platform/guard.js';
import { acceptInvitation, bulkInvite, cancelInvitation, invite, listInvitations, previewInvitation, resendInvitation, type InvitationDeps } from './invitations.service.js';
import { listOutbox } from './outbox.service.js';
import {
  bulkChangeRole,
  changeMemberRole,
  changeMemberStatus,
  getMember,
  leaveTenant,
  listMembers,
  removeMember,
  rolesWithPermissions,
  teamActivity,
  transferOwnership,
} from './team.service.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem };
const IdParams = z.object({ id: z.uuid() });
const tags = ['team'];

/** Members, invitations, roles, activity and ownership of a tenant; the mail outbox for staff. */
export const teamRoutes: FastifyPluginAsyncZod<InvitationDeps> = async (app, deps) => {
  const { db } = deps;

  app.get('/users', { schema: { tags, summary: 'Members of the tenant: search, status and role filters (analyst)', security, querystring: MemberQuery, response: { 200: pageOf(Member), ...errors } } }, (request) =>
    listMembers(db, tenantOf(request), request.query),
  );

  app.get('/users/:id', { schema: { tags, summary: 'One member (analyst)', security, params: IdParams, response: { 200: Member, ...errors } } }, (request) =>
    getMember(db, tenantOf(request), request.params.id),
  );

  app.patch(
    '/users/:id/role',
    { schema: { tags, summary: "Change a member's role: not your own; owner only grants owner (admin)", security, params: IdParams, body: ChangeRoleInput, response: { 200: Member, ...errors } } },
    (request) => changeMemberRole(db, tenantContext(request), request.params.id, request.body.role),
  );

  app.patch(
    '/users/:id/status',
    { schema: { tags, summary: 'Suspend or reactivate a member (admin)', security, params: IdParams, body: ChangeMemberStatusInput, response: { 200: Member, ...errors } } },
    (request) => changeMemberStatus(db, tenantContext(request), request.params.id, request.body.status),
  );

  app.post(
    '/users/bulk-role',
    { schema: { tags, summary: 'One role for several members, with a result per member (admin)', security, body: BulkRoleInput, response: { 200: BulkRoleResult, ...errors } } },
    (request) => bulkChangeRole(db, tenantContext(request), request.body.userIds, request.body.role),
  );

  app.delete(
    '/users/:id',
    { schema: { tags, summary: 'Remove a member; admins cannot remove owners, nor anyone the last owner (admin)', security, params: IdParams, response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      await removeMember(db, tenantContext(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/user-invitations',
    { schema: { tags, summary: 'Invitations, newest first, by status (admin)', security, querystring: InvitationQuery, response: { 200: pageOf(Invitation), ...errors } } },
    (request) => listInvitations(db, tenantOf(request), request.query),
  );

  app.post(
    '/user-invitations',
    { schema: { tags, summary: 'Invite someone by email with a role; the link is mailed and expires in 7 days (admin)', security, body: InviteInput, response: { 201: Invitation, ...errors } } },
    async (request, reply) => reply.status(201).send(await invite(deps, tenantContext(request), request.body)),
  );

  app.post(
    '/user-invitations/bulk',
    { schema: { tags, summary: 'Invite many (email, role) rows; each row succeeds or fails on its own; dryRun checks them without sending (admin)', security, body: BulkInviteInput, response: { 200: BulkInviteResult, ...errors } } },
    (request) => bulkInvite(deps, tenantContext(request), request.body.invitations, request.body.message ?? null, { dryRun: request.body.dryRun }),
  );

  app.post(
    '/user-invitations/:id/resend',
    { schema: { tags, summary: 'Send a pending or expired invitation again, with a new link and a new week (admin)', security, params: IdParams, response: { 200: Invitation, ...errors } } },
    (request) => resendInvitation(deps, tenantContext(request), request.params.id),
  );

  app.delete(
    '/user-invitations/:id',
    { schema: { tags, summary: 'Cancel a pending invitation (admin)', security, params: IdParams, response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      await cancelInvitation(deps, tenantContext(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  const Token = z.object({ token: z.string().min(20).max(200) });
  app.post(
    '/user-invitations/preview',
    { schema: { tags, summary: 'What an invitation link is for (public, by token); 410 once used, cancelled or expired', body: Token, response: { 200: InvitationPreview, 410: Problem, ...errors } } },
    (request) => previewInvitation(deps, request.body.token),
  );

  app.post(
    '/user-invitations/accept',
    { schema: { tags, summary: 'Accept an invitation (public, by token, once)', body: AcceptInvitationInput, response: { 200: AcceptInvitationResult, 410: Problem, ...errors } } },
    (request) => acceptInvitation(deps, request.body, { ipAddress: request.ip, userAgent: request.headers['user-agent'] ?? null }),
  );

  app.get('/roles', { schema: { tags, summary: 'Tenant roles, their level and what each may do (analyst)', security, response: { 200: z.array(RoleInfo), ...errors } } }, () =>
    rolesWithPermissions(),
  );

  app.get(
    '/team/activity',
    { schema: { tags, summary: "Team changes from the audit trail, or everything about one member (admin)", security, querystring: TeamActivityQuery, response: { 200: pageOf(AuditLog), ...errors } } },
    (request) => teamActivity(db, tenantOf(request), request.query),
  );

  app.post(
    '/team/transfer-ownership',
    { schema: { tags, summary: 'Make another active member the owner; you become an admin (owner)', security, body: TransferOwnershipInput, response: { 200: TransferOwnershipResult, ...errors } } },
    (request) => transferOwnership(deps, tenantContext(request), request.body.newOwnerId),
  );

  app.post('/team/leave', { schema: { tags, summary: 'Leave the organization (anyone but its last owner)', security, response: { 204: z.null(), ...errors } } }, async (request, reply) => {
    await leaveTenant(db, tenantContext(request));
    return reply.status(204).send(null);
  });

  app.get(
    '/mail/outbox',
    { schema: { tags: ['mail'], summary: "Mail sent or captured for the tenant (platform staff: it holds invitation links)", security, querystring: PageQuery, response: { 200: pageOf(OutboxMessage), ...errors } } },
    (request) => listOutbox(db, tenantOf(request), request.query),
  );
};
