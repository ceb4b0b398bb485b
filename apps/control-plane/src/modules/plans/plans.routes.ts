import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Plan, Problem } from '@cbp/contracts';
import type { AppDb } from '../../platform/db.js';
import { planCatalog } from './plans.service.js';

export const planRoutes: FastifyPluginAsyncZod<{ db: AppDb }> = async (app, { db }) => {
  app.get(
    '/plans',
    {
      schema: {
        tags: ['billing'],
        summary: 'The plan catalog with prices and limits per metric',
        security: [{ bearer: [], tenant: [] }],
        response: { 200: z.array(Plan), 401: Problem, 403: Problem },
      },
    },
    () => planCatalog(db),
  );
};
