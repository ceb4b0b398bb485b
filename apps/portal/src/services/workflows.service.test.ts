import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toast } from 'sonner';
import { cancelWorkflow, getWorkflowStatus, getWorkflows, retryWorkflow } from '@/services/workflows.service';
import { answer, resetApiDouble, restoreApi, sent } from '@/test/api-double';
import { resetOidcDouble } from '@/test/oidc-double';
import { failedRun, workflowRun } from '@/test/workflow-fixtures';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('sonner', () => ({ toast: { error: vi.fn(), success: vi.fn() } }));

beforeEach(() => {
  resetOidcDouble();
  resetApiDouble();
});
afterEach(() => {
  restoreApi();
});

describe('workflows.service', () => {
  it('lists with only the filters that are set, and checks the answer against the contract', async () => {
    const run = workflowRun();
    answer({ data: [run], total: 1 });
    await expect(getWorkflows({ page: 2, limit: 20, status: 'failed', type: undefined })).resolves.toEqual({ data: [run], total: 1 });
    expect(sent[0]?.url).toBe('/workflows');
    expect(sent[0]?.params).toEqual({ page: 2, limit: 20, status: 'failed' });

    answer({ data: [{ ...run, status: 'paused' }], total: 1 });
    await expect(getWorkflows({ page: 1 })).rejects.toThrow('The server sent GET /workflows in an unexpected shape.');
  });

  it('reads a run, and cancels or retries it by id', async () => {
    const run = failedRun();
    answer(run);
    await expect(getWorkflowStatus(run.id)).resolves.toMatchObject({ type: 'test.flaky', status: 'failed' });
    expect(sent[0]?.url).toBe(`/workflows/${run.id}/status`);
    await retryWorkflow(run.id);
    expect(sent[1]?.method).toBe('post');
    expect(sent[1]?.url).toBe(`/workflows/${run.id}/retry`);
    await cancelWorkflow(run.id);
    expect(sent[2]?.url).toBe(`/workflows/${run.id}/cancel`);
  });

  it('toasts a refused cancel (409) with the API sentence; a failed read is left to the page', async () => {
    const problem = { type: 'about:blank', title: 'Conflict', status: 409, code: 'WORKFLOW_NOT_RUNNING', detail: 'Only a running workflow can be cancelled; this one is completed.' };
    answer(problem, 409);
    await expect(cancelWorkflow(failedRun().id)).rejects.toMatchObject({ statusCode: 409 });
    expect(toast.error).toHaveBeenCalledTimes(1);
    expect(vi.mocked(toast.error).mock.calls[0]?.[0]).toBe('Conflict');

    vi.mocked(toast.error).mockClear();
    answer({ ...problem, status: 404, code: 'NOT_FOUND', title: 'Not found' }, 404);
    await expect(getWorkflowStatus(failedRun().id)).rejects.toMatchObject({ statusCode: 404 });
    expect(toast.error).not.toHaveBeenCalled();
  });
});
