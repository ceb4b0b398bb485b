import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiKey, CreateApiKeyInput, CreatedApiKey, Problem } from '@cbp/contracts';
import type { AppDb } from '../../platform/db.js';
import { tenantContext, tenantOf } from '../../platform/guard.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem };
const tags = ['api keys'];

/** Tenant API keys: services report usage with them (scope usage:write only). */
export const apiKeyRoutes: FastifyPluginAsyncZod<{ db: AppDb }> = async (app, { db }) => {
  app.get('/api-keys', { schema: { tags, summary: 'API keys of the tenant, newest first (admin)', security, response: { 200: z.array(ApiKey), ...errors } } }, (request) =>
    listApiKeys(db, tenantOf(request)),
  );
  app.post(
    '/api-keys',
    { schema: { tags, summary: 'Create a key; its secret is in this answer only (admin)', security, body: CreateApiKeyInput, response: { 201: CreatedApiKey, ...errors } } },
    async (request, reply) => reply.status(201).send(await createApiKey(db, tenantContext(request), request.body.name)),
  );
  app.delete(
    '/api-keys/:id',
    { schema: { tags, summary: 'Revoke a key: it stops working at once (admin)', security, params: z.object({ id: z.uuid() }), response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      await revokeApiKey(db, tenantContext(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
};
