import { z } from 'zod';

/** Workflow monitoring (API.md, Workflows): runs of the durable engine, their steps, cancel and retry. */
export const WorkflowStatus = z.enum(['running', 'completed', 'failed', 'cancelled', 'timed_out']);
export type WorkflowStatus = z.infer<typeof WorkflowStatus>;
export const WorkflowStepStatus = z.enum(['running', 'waiting', 'completed', 'failed']);

const json: z.ZodType<unknown> = z.unknown();

export const WorkflowErrorSummary = z.object({
  message: z.string(),
  /** The step that failed, or null when the workflow's own code threw. */
  step: z.string().nullable(),
});

/** One run in a list. */
export const Workflow = z.object({
  id: z.uuid(),
  /** The caller's dedupe key of the run. */
  workflowId: z.string(),
  type: z.string(),
  status: WorkflowStatus,
  /** Null for a platform workflow (seen by staff only). */
  tenantId: z.uuid().nullable(),
  /** 1, then 2, 3, ... after each retry. */
  attempt: z.number().int(),
  input: json,
  startedAt: z.iso.datetime(),
  closedAt: z.iso.datetime().nullable(),
  /** Same as closedAt (the portal's name for it). */
  finishedAt: z.iso.datetime().nullable(),
  /** Milliseconds from start to close, or to now while running. */
  duration: z.number().int().nonnegative(),
  /** The first step not completed (running), the failed step (failed), else null. */
  currentStep: z.string().nullable(),
  error: WorkflowErrorSummary.nullable(),
});
export type Workflow = z.infer<typeof Workflow>;

export const WorkflowStep = z.object({
  name: z.string(),
  kind: z.enum(['local', 'remote', 'sleep']),
  status: WorkflowStepStatus,
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  attempts: z.number().int().nonnegative(),
  /** A backoff's or a sleep's end while waiting. */
  wakeAt: z.iso.datetime().nullable(),
  lastError: z.object({ message: z.string(), stack: z.string().nullable() }).nullable(),
});
export type WorkflowStep = z.infer<typeof WorkflowStep>;

/** `GET /workflows/{id}/status`. */
export const WorkflowStatusDetail = Workflow.extend({
  steps: z.array(WorkflowStep),
  result: json,
  error: WorkflowErrorSummary.extend({ stack: z.string().nullable() }).nullable(),
});
export type WorkflowStatusDetail = z.infer<typeof WorkflowStatusDetail>;

export const WorkflowListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: WorkflowStatus.optional(),
  type: z.string().min(1).max(200).optional(),
  /** Started at or after. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Started before. */
  to: z.iso.datetime({ offset: true }).optional(),
  /** Platform staff only: one tenant's runs (`platform`: platform workflows only). Ignored for others. */
  tenantId: z.union([z.uuid(), z.literal('platform')]).optional(),
});
export type WorkflowListQuery = z.infer<typeof WorkflowListQuery>;

export const WorkflowPage = z.object({ data: z.array(Workflow), total: z.number().int().nonnegative() });
export type WorkflowPage = z.infer<typeof WorkflowPage>;
