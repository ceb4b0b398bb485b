import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Health } from '@cbp/contracts';
import { databaseIsUp, type AppDb } from '../../platform/db.js';

const startedAt = Date.now();

export const healthRoutes: FastifyPluginAsyncZod<{ db: AppDb; version: string }> = async (app, { db, version }) => {
  app.get(
    '/health',
    {
      logLevel: 'warn',
      schema: {
        tags: ['platform'],
        summary: 'Liveness and database check (503 when the database does not answer)',
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const up = await databaseIsUp(db);
      const body = {
        status: up ? ('ok' as const) : ('degraded' as const),
        database: up ? ('ok' as const) : ('down' as const),
        version,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      };
      return reply.status(up ? 200 : 503).send(body);
    },
  );
};
