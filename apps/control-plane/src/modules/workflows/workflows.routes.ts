import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Problem, WorkflowListQuery, WorkflowPage, WorkflowStatusDetail } from '@cbp/contracts';
import type { WorkflowEngine } from '../../adapters/workflows/port.js';
import type { AppDb } from '../../platform/db.js';
import { tenantContext } from '../../platform/guard.js';
import { changeWorkflow, listWorkflows, workflowStatus } from './workflows.service.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem };
const tags = ['workflows'];
const params = z.object({ id: z.uuid() });

/** Workflow monitoring: the tenant's runs (staff: all runs), their steps, cancel and retry. */
export const workflowRoutes: FastifyPluginAsyncZod<{ db: AppDb; engine: WorkflowEngine }> = async (app, { db, engine }) => {
  app.get(
    '/workflows',
    { schema: { tags, summary: "The tenant's workflow runs, newest first (engineer; staff see every tenant's and platform runs)", security, querystring: WorkflowListQuery, response: { 200: WorkflowPage, ...errors } } },
    (request) => listWorkflows(engine, tenantContext(request), request.query),
  );
  app.get(
    '/workflows/:id/status',
    { schema: { tags, summary: 'A run with its steps, current step, error and result (engineer)', security, params, response: { 200: WorkflowStatusDetail, ...errors } } },
    (request) => workflowStatus(engine, tenantContext(request), request.params.id),
  );
  app.post(
    '/workflows/:id/cancel',
    { schema: { tags, summary: 'Cancel a running run: it stops before its next step (admin)', security, params, response: { 200: WorkflowStatusDetail, ...errors } } },
    (request) => changeWorkflow(db, engine, tenantContext(request), request.params.id, 'cancel'),
  );
  app.post(
    '/workflows/:id/retry',
    { schema: { tags, summary: 'Resume a failed run at its failed step (admin)', security, params, response: { 200: WorkflowStatusDetail, ...errors } } },
    (request) => changeWorkflow(db, engine, tenantContext(request), request.params.id, 'retry'),
  );
};
