import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { cancelWorkflow, getWorkflowStatus, retryWorkflow } from '@/services/workflows.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { failedRun, sleepingRun, step } from '@/test/workflow-fixtures';
import type { WorkflowStatusDetail } from '@/types/workflow';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/workflows.service');


const failed = failedRun();
const sleeping = sleepingRun();
const stepNamed = (name: string) => within(screen.getByRole('listitem', { name: `Step ${name}` }));

beforeEach(() => {
  resetOidcDouble();
  signInAs('engineer');
  vi.mocked(getWorkflowStatus).mockImplementation(async (id) => {
    const run = [failed, sleeping].find((r) => r.id === id);
    if (!run) throw new ApiError('Workflow not found.', 404);
    return run;
  });
});

describe('/workflows/:id', () => {
  it('shows a failed run: header, the failed step with its attempts and error, the stack on demand, no admin buttons for an engineer', async () => {
    renderPortal(`/workflows/${failed.id}`);

    expect(await screen.findByRole('heading', { level: 1, name: 'test.flaky' })).toBeInTheDocument();
    expect(getWorkflowStatus).toHaveBeenCalledWith(failed.id);
    expect(screen.getByTestId('workflow-status')).toHaveTextContent('Failed');
    expect(screen.getByTestId('workflow-attempt')).toHaveTextContent('1');
    expect(screen.getByRole('alert')).toHaveTextContent('Failed at step charge');
    expect(screen.getByTestId('workflow-error')).toHaveTextContent('Card declined by the test gateway');

    const timeline = screen.getByRole('list', { name: 'Step timeline' });
    expect(within(timeline).getAllByTestId('workflow-step').map((li) => li.querySelector('h3')?.textContent)).toEqual(['prepare', 'charge']);
    expect(stepNamed('prepare').getByText('Completed')).toBeInTheDocument();
    expect(stepNamed('prepare').getByText('300 ms')).toBeInTheDocument();
    const charge = stepNamed('charge');
    expect(charge.getByText('Failed')).toBeInTheDocument();
    expect(charge.getByText('2', { selector: 'dd' })).toBeInTheDocument();
    expect(charge.getByTestId('step-error')).toHaveTextContent('Error: Card declined by the test gateway');
    expect(charge.getByText('2 s')).toBeInTheDocument();

    // The stack is folded away until asked for.
    const stack = charge.getByTestId('step-stack');
    expect(stack).not.toBeVisible();
    await userEvent.click(charge.getByText('Stack trace'));
    expect(stack).toBeVisible();
    expect(stack).toHaveTextContent('at charge (test-hooks.ts:42:15)');

    expect(screen.getByLabelText('Input JSON')).toHaveTextContent('"failAttempts": 1');
    expect(within(screen.getByTestId('workflow-result')).getByText('None.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Retry run/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Cancel run/ })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'All workflows' })).toHaveAttribute('href', '/workflows');
  });

  it('shows a sleeping run with its wake-up time and refreshes it while it runs', async () => {
    renderPortal(`/workflows/${sleeping.id}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'test.flaky' })).toBeInTheDocument();
    expect(screen.getByTestId('workflow-status')).toHaveTextContent('Running');
    expect(stepNamed('wait').getByText('Waiting')).toBeInTheDocument();
    expect(stepNamed('wait').getByText('Sleep')).toBeInTheDocument();
    expect(stepNamed('wait').getByTestId('step-wake-at')).toHaveTextContent('Jun 2, 2025, 15:03:07 UTC');
    expect(screen.getByTestId('workflow-auto-refresh')).toBeInTheDocument();
  });

  it('lets an admin retry a failed run after confirming; the run shows as running again', async () => {
    signInAs('admin');
    const user = userEvent.setup();
    const resumed: WorkflowStatusDetail = {
      ...failed,
      status: 'running',
      attempt: 2,
      error: null,
      currentStep: 'charge',
      steps: [step({ name: 'prepare' }), step({ name: 'charge', status: 'waiting', attempts: 0, finishedAt: null })],
    };
    vi.mocked(retryWorkflow).mockResolvedValue(resumed);
    renderPortal(`/workflows/${failed.id}`);

    expect(screen.queryByRole('button', { name: /Cancel run/ })).not.toBeInTheDocument();
    await user.click(await screen.findByRole('button', { name: 'Retry run' }));
    const dialog = screen.getByRole('dialog', { name: 'Retry test.flaky?' });
    expect(dialog).toHaveTextContent('resumes at its failed step, charge');
    expect(retryWorkflow).not.toHaveBeenCalled();

    // Not now: nothing happens.
    await user.click(within(dialog).getByRole('button', { name: 'Not now' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(retryWorkflow).not.toHaveBeenCalled();

    vi.mocked(getWorkflowStatus).mockResolvedValue(resumed);
    await user.click(screen.getByRole('button', { name: 'Retry run' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Retry workflow' }));
    expect(retryWorkflow).toHaveBeenCalledWith(failed.id);
    expect(await screen.findByText('test.flaky is running again from step charge.')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('workflow-status')).toHaveTextContent('Running'));
    expect(screen.getByTestId('workflow-attempt')).toHaveTextContent('2');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Retry run' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cancel run' })).toBeInTheDocument();
  });

  it('lets an admin cancel a running run after confirming', async () => {
    signInAs('admin');
    const user = userEvent.setup();
    const cancelled: WorkflowStatusDetail = { ...sleeping, status: 'cancelled', finishedAt: '2025-06-02T14:05:00.000Z', closedAt: '2025-06-02T14:05:00.000Z' };
    vi.mocked(cancelWorkflow).mockResolvedValue(cancelled);
    renderPortal(`/workflows/${sleeping.id}`);

    expect(screen.queryByRole('button', { name: /Retry run/ })).not.toBeInTheDocument();
    await user.click(await screen.findByRole('button', { name: 'Cancel run' }));
    const dialog = screen.getByRole('dialog', { name: 'Cancel test.flaky?' });
    expect(dialog).toHaveTextContent('stops before its next step');
    expect(cancelWorkflow).not.toHaveBeenCalled();
    vi.mocked(getWorkflowStatus).mockResolvedValue(cancelled);
    await user.click(within(dialog).getByRole('button', { name: 'Cancel workflow' }));
    expect(cancelWorkflow).toHaveBeenCalledWith(sleeping.id);
    expect(await screen.findByText('test.flaky was cancelled.')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('workflow-status')).toHaveTextContent('Cancelled'));
    expect(screen.queryByRole('button', { name: 'Cancel run' })).not.toBeInTheDocument();
  });

  it('on a 409 (the run changed meanwhile) closes the dialog and shows the run as it is now', async () => {
    signInAs('admin');
    const user = userEvent.setup();
    const completedMeanwhile: WorkflowStatusDetail = { ...sleeping, status: 'completed', currentStep: null, steps: [] };
    vi.mocked(cancelWorkflow).mockRejectedValue(new ApiError('Only a running workflow can be cancelled; this one is completed.', 409));
    renderPortal(`/workflows/${sleeping.id}`);
    await user.click(await screen.findByRole('button', { name: 'Cancel run' }));
    vi.mocked(getWorkflowStatus).mockResolvedValue(completedMeanwhile);
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel workflow' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    await waitFor(() => expect(screen.getByTestId('workflow-status')).toHaveTextContent('Completed'));
    expect(screen.queryByRole('button', { name: 'Cancel run' })).not.toBeInTheDocument();
  });

  it('says when a run does not exist (or is another tenant’s)', async () => {
    renderPortal('/workflows/9a000000-0000-4000-8000-999999999999');
    expect(await screen.findByText('Workflow not found')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'All workflows' })).toBeInTheDocument();
  });

  it('gives an analyst the 403 view without asking the API', async () => {
    signInAs('analyst');
    renderPortal(`/workflows/${failed.id}`);
    expect(await screen.findByRole('heading', { name: "You don't have access to this page" })).toBeInTheDocument();
    expect(screen.getByTestId('required-role')).toHaveTextContent('Engineer or higher');
    expect(getWorkflowStatus).not.toHaveBeenCalled();
  });
});
