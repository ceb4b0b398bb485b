import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ChangePasswordBody, ChangePasswordResult, Me, Problem, Tenant, UpdateMeBody, UserSessionList } from '@cbp/contracts';
import type { AppDb } from '../../platform/db.js';
import { AppError } from '../../platform/errors.js';
import { authOf, tenantOf } from '../../platform/guard.js';
import {
  changePassword,
  currentTenant,
  describeCaller,
  listSessions,
  PasswordChangeThrottled,
  revokeSession,
  updateProfile,
  type IdentitySetup,
} from './session.service.js';

export const sessionRoutes: FastifyPluginAsyncZod<{ db: AppDb; identity?: IdentitySetup }> = async (app, { db, identity: setup = { external: false, issuer: '' } }) => {
  app.get(
    '/me',
    {
      schema: {
        tags: ['session'],
        summary: 'The caller, their tenants with their role in each, and their platform role',
        security: [{ bearer: [] }],
        response: { 200: Me, 401: Problem },
      },
    },
    (request) => describeCaller(db, authOf(request), setup),
  );

  app.patch(
    '/me',
    {
      schema: {
        tags: ['session'],
        summary: "Changes the caller's own profile (name), audited in each of their organizations",
        security: [{ bearer: [] }],
        body: UpdateMeBody,
        response: { 200: Me, 400: Problem, 401: Problem },
      },
    },
    (request) => updateProfile(db, authOf(request), request.ctx, request.body.name, setup),
  );

  app.post(
    '/me/password',
    {
      schema: {
        tags: ['session'],
        summary: "Changes the caller's password at the built-in provider and signs out their other sessions",
        description:
          'Wrong current password: 403 CURRENT_PASSWORD_INCORRECT naming `body.currentPassword` (attempts count against the sign-in throttle: 429 with Retry-After). With an external issuer: 409, the password is changed in its account console.',
        security: [{ bearer: [] }],
        body: ChangePasswordBody,
        response: { 200: ChangePasswordResult, 400: Problem, 401: Problem, 403: Problem, 409: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      try {
        return await changePassword(db, authOf(request), request.ctx, request.body, setup);
      } catch (err) {
        if (!(err instanceof PasswordChangeThrottled)) throw err;
        reply.header('retry-after', String(err.retryAfterSeconds));
        throw new AppError(429, 'RATE_LIMITED', `Too many password attempts; retry in ${err.retryAfterSeconds} s.`);
      }
    },
  );

  app.get(
    '/me/sessions',
    {
      schema: {
        tags: ['session'],
        summary: "The caller's sign-in sessions at the built-in provider (409 with an external issuer)",
        security: [{ bearer: [] }],
        response: { 200: UserSessionList, 401: Problem, 409: Problem },
      },
    },
    async (request) => ({ data: await listSessions(db, authOf(request), setup) }),
  );

  app.delete(
    '/me/sessions/:id',
    {
      schema: {
        tags: ['session'],
        summary: 'Signs out one of the caller\'s sessions (its refresh tokens stop working; issued access tokens expire within the hour)',
        security: [{ bearer: [] }],
        params: z.object({ id: z.string().min(1).max(200) }),
        response: { 204: z.null(), 401: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      await revokeSession(db, authOf(request), request.ctx, request.params.id, setup);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/tenants/current',
    {
      schema: {
        tags: ['session'],
        summary: 'The tenant named by X-Tenant-Id',
        security: [{ bearer: [], tenant: [] }],
        response: { 200: Tenant, 401: Problem, 403: Problem },
      },
    },
    (request) => currentTenant(db, tenantOf(request)),
  );
};
