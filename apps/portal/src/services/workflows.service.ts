import { WorkflowPage, WorkflowStatusDetail } from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';
import type { WorkflowListQuery } from '@/types/workflow';

/*
 * Workflow monitoring (engineer and above; cancel and retry: admin). Reads are `silent`: the
 * pages show their errors in place, with a retry. Cancel and retry are not: a refusal (409, the
 * run is no longer running / did not fail) is toasted with the API's sentence.
 */

export type { WorkflowPage, WorkflowStatusDetail };

/** Only the filters that are set, so the request (and the cache key) stays minimal. */
function paramsOf(query: Partial<WorkflowListQuery>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== '')) as Record<
    string,
    string | number
  >;
}

/** A page of the tenant's runs (staff: every tenant's and the platform's), newest first. */
export async function getWorkflows(query: Partial<WorkflowListQuery>): Promise<WorkflowPage> {
  const { data } = await platformApi.get<unknown>('/workflows', { params: paramsOf(query), silent: true });
  return parseResponse(WorkflowPage, data, 'GET /workflows');
}

/** One run with its steps, current step, error and result; 404 when unknown or another tenant's. */
export async function getWorkflowStatus(id: string): Promise<WorkflowStatusDetail> {
  const { data } = await platformApi.get<unknown>(`/workflows/${encodeURIComponent(id)}/status`, { silent: true });
  return parseResponse(WorkflowStatusDetail, data, 'GET /workflows/:id/status');
}

/** Asks a running run to stop before its next step (409 WORKFLOW_NOT_RUNNING otherwise). */
export async function cancelWorkflow(id: string): Promise<WorkflowStatusDetail> {
  const { data } = await platformApi.post<unknown>(`/workflows/${encodeURIComponent(id)}/cancel`);
  return parseResponse(WorkflowStatusDetail, data, 'POST /workflows/:id/cancel');
}

/** Resumes a failed run at its failed step (409 WORKFLOW_NOT_RETRYABLE otherwise). */
export async function retryWorkflow(id: string): Promise<WorkflowStatusDetail> {
  const { data } = await platformApi.post<unknown>(`/workflows/${encodeURIComponent(id)}/retry`);
  return parseResponse(WorkflowStatusDetail, data, 'POST /workflows/:id/retry');
}
