import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  IdentityRoleList,
  IdentityRoleMappingBody,
  IdentityRoleMappingParams,
  IdentityUserList,
  IdentityUserParams,
  IdentityUserQuery,
  IdentityUserRoles,
  Problem,
} from '@cbp/contracts';
import { AppError } from '../../platform/errors.js';
import { assignRole, findUsers, listRoles, revokeRole, userRoles, type IdentityRoleDeps } from './identity-roles.service.js';

const security = [{ bearer: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem, 502: Problem, 503: Problem };
const tags = ['identity roles'];

/** DELETE takes the role in the body like POST, or as `?roleId=` for clients that send no body with DELETE. */
const RevokeQuery = z.object({ roleId: z.string().min(1).max(255).optional() });
const RevokeBody = IdentityRoleMappingBody.partial().nullish();

/** Realm roles of the identity provider and who holds them (platform staff only, decision 010). */
export const identityRoleRoutes: FastifyPluginAsyncZod<IdentityRoleDeps> = async (app, deps) => {
  app.get(
    '/keycloak/roles',
    { schema: { tags, summary: "The identity provider's realm roles (super_admin)", security, response: { 200: IdentityRoleList, ...errors } } },
    () => listRoles(deps),
  );

  app.get(
    '/keycloak/users',
    { schema: { tags, summary: 'The identity user with this email, if any (super_admin)', security, querystring: IdentityUserQuery, response: { 200: IdentityUserList, ...errors } } },
    (request) => findUsers(deps, request.query.email),
  );

  app.get(
    '/keycloak/users/:userId/roles',
    { schema: { tags, summary: "An identity user's realm roles (super_admin)", security, params: IdentityUserParams, response: { 200: IdentityUserRoles, ...errors } } },
    (request) => userRoles(deps, request.params.userId),
  );

  app.post(
    '/keycloak/roles/:realm/users/:userId/roles',
    {
      schema: {
        tags,
        summary: "Assign a realm role (by id or name) to an identity user; it is in the user's next token (super_admin, audited)",
        security,
        params: IdentityRoleMappingParams,
        body: IdentityRoleMappingBody,
        response: { 200: IdentityUserRoles, ...errors },
      },
    },
    (request) => assignRole(deps, request.ctx, { ...request.params, roleId: request.body.roleId }),
  );

  app.delete(
    '/keycloak/roles/:realm/users/:userId/roles',
    {
      schema: {
        tags,
        summary: 'Revoke a realm role (`{roleId}` body or `?roleId=`); tokens issued before no longer carry it (super_admin, audited)',
        security,
        params: IdentityRoleMappingParams,
        querystring: RevokeQuery,
        body: RevokeBody,
        response: { 200: IdentityUserRoles, ...errors },
      },
    },
    (request) => {
      const roleId = request.body?.roleId ?? request.query.roleId;
      if (!roleId) throw new AppError(400, 'VALIDATION_FAILED', 'Name the role to revoke: {"roleId": ...} or ?roleId=.', [{ path: 'body.roleId', message: 'Required' }]);
      return revokeRole(deps, request.ctx, { ...request.params, roleId });
    },
  );
};
