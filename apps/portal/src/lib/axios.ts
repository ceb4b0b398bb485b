import axios, { type AxiosError, type AxiosInstance } from 'axios';
import { Problem } from '@cbp/contracts';
import type { z } from 'zod';
import { config } from '@/lib/config';
import { getAccessToken, reauthenticate } from '@/lib/oidc';
import { showErrorToast } from '@/lib/error-toast';
import { getSelectedTenantId } from '@/lib/tenant';
import { markTenantSuspended } from '@/lib/tenant-suspension';
import { markMfaRequired } from '@/lib/mfa-required';

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Set false for calls that are not about one tenant (GET /me): no `X-Tenant-Id`. */
    tenantScoped?: boolean;
    /** Set true when the caller shows the error itself, so no toast is raised. */
    silent?: boolean;
  }
}

/**
 * The error every platformApi call rejects with. `statusCode` and `message` make it a
 * Refine HttpError as well; `problem` is the RFC 9457 body when the API sent one.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  readonly problem: Problem | null;

  constructor(message: string, statusCode: number, problem: Problem | null = null) {
    super(message);
    this.statusCode = statusCode;
    this.problem = problem;
  }
}

/** The problem+json body behind an error, or null when the error carries none. */
export function problemFromError(error: unknown): Problem | null {
  if (error instanceof ApiError) return error.problem;
  if (axios.isAxiosError(error)) return parseProblem(error.response?.data);
  return null;
}

/** A sentence for the user, whatever was thrown. */
export function errorMessage(error: unknown): string {
  const problem = problemFromError(error);
  if (problem) return problem.detail ?? problem.title;
  return error instanceof Error ? error.message : 'Something went wrong.';
}

function parseProblem(body: unknown): Problem | null {
  const parsed = Problem.safeParse(body);
  return parsed.success ? parsed.data : null;
}

/** Validates a response against its contract schema so shape drift fails loudly, in one place. */
export function parseResponse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  console.error(`Unexpected ${what} response`, parsed.error.issues);
  throw new ApiError(`The server sent ${what} in an unexpected shape.`, 0);
}

/** A download (`responseType: 'blob'`) gets its problem+json error body as a Blob too. */
async function readErrorBlob(blob: Blob): Promise<unknown> {
  if (!/json/i.test(blob.type)) return blob;
  try {
    return JSON.parse(await blob.text()) as unknown;
  } catch {
    return blob;
  }
}

function toApiError(error: AxiosError): ApiError {
  const response = error.response;
  if (!response) {
    return new ApiError('Cannot reach the CBP API. Check your connection and try again.', 0);
  }
  const problem = parseProblem(response.data);
  if (problem) return new ApiError(problem.detail ?? problem.title, response.status, problem);
  return new ApiError(`The request failed (HTTP ${response.status}).`, response.status);
}

export function createPlatformApi(baseURL: string = config.apiUrl): AxiosInstance {
  const api = axios.create({ baseURL, headers: { Accept: 'application/json' } });

  api.interceptors.request.use(async (request) => {
    const token = await getAccessToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    const tenantId = getSelectedTenantId();
    if (tenantId && request.tenantScoped !== false) request.headers.set('X-Tenant-Id', tenantId);
    return request;
  });

  api.interceptors.response.use(undefined, async (error: unknown) => {
    if (!axios.isAxiosError(error)) return Promise.reject(error);
    if (error.response?.data instanceof Blob) error.response.data = await readErrorBlob(error.response.data);
    const apiError = toApiError(error);
    if (apiError.problem?.code === 'TENANT_SUSPENDED' || apiError.problem?.code === 'MFA_REQUIRED') {
      // The layout shows the suspended (or "requires two-step verification") page instead of the tenant's pages: no toast per call.
      const header = error.config?.headers?.get('X-Tenant-Id');
      const tenantId = typeof header === 'string' && header ? header : getSelectedTenantId();
      if (tenantId) (apiError.problem.code === 'MFA_REQUIRED' ? markMfaRequired : markTenantSuspended)(tenantId);
    } else if (apiError.statusCode === 401) {
      void reauthenticate();
    } else if (!error.config?.silent) {
      if (apiError.problem) showErrorToast(apiError.problem.title, apiError.problem.detail, apiError.problem.errors);
      else showErrorToast(apiError.message);
    }
    return Promise.reject(apiError);
  });

  return api;
}

/** The Control Plane API: Bearer token and selected tenant on every call. */
export const platformApi = createPlatformApi();
