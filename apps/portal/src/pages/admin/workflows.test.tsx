import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { WORKFLOW_REFRESH_MS } from '@/components/admin/workflow-format';
import { ApiError } from '@/lib/axios';
import { getWorkflows } from '@/services/workflows.service';
import { getMe } from '@/services/session.service';
import { acme, globex, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { workflowRun } from '@/test/workflow-fixtures';
import type { Workflow } from '@/types/workflow';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/workflows.service');


const completed = workflowRun({ type: 'usage.period-close', startedAt: '2025-06-02T14:03:07.000Z', duration: 2_500 });
const failed = workflowRun({
  type: 'test.flaky',
  status: 'failed',
  startedAt: '2025-06-02T13:00:00.000Z',
  duration: 185_000,
  attempt: 2,
  currentStep: 'charge',
  error: { message: 'Card declined by the test gateway', step: 'charge' },
});
const running = workflowRun({ type: 'billing.clock', status: 'running', closedAt: null, finishedAt: null, duration: 65_000 });

function serve(runs: Workflow[]) {
  vi.mocked(getWorkflows).mockImplementation(async ({ page = 1, limit = 20, status, type }) => {
    const matching = runs.filter((run) => (!status || run.status === status) && (!type || run.type === type));
    return { data: matching.slice((page - 1) * limit, page * limit), total: matching.length };
  });
}

const rows = () => screen.getAllByTestId('workflow-row');
const lastQuery = () => vi.mocked(getWorkflows).mock.lastCall?.[0];

beforeEach(() => {
  resetOidcDouble();
  signInAs('engineer');
  serve([completed, failed]);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('/workflows', () => {
  it('lists runs with type, status, step and error, start time and duration, for an engineer', async () => {
    renderPortal('/workflows');

    expect(await screen.findByRole('heading', { level: 1, name: 'Workflows' })).toBeInTheDocument();
    expect(await screen.findAllByTestId('workflow-row')).toHaveLength(2);
    const table = screen.getByRole('table', { name: 'Workflow runs, page 1 of 1' });
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Type', 'Status', 'Step', 'Started', 'Duration']);
    expect(getWorkflows).toHaveBeenCalledWith({ page: 1, limit: 20 });
    expect(screen.getByTestId('workflow-count')).toHaveTextContent('2 runs');

    const first = within(rows()[0] as HTMLElement);
    expect(first.getByRole('link', { name: 'usage.period-close' })).toHaveAttribute('href', `/workflows/${completed.id}`);
    expect(first.getByText('Completed')).toBeInTheDocument();
    expect(first.getByText('2 s')).toBeInTheDocument();
    expect(rows()[0]?.querySelector('time')).toHaveAttribute('dateTime', completed.startedAt);
    expect(rows()[0]?.querySelector('time')).toHaveTextContent('Jun 2, 202514:03:07 UTC');

    const second = within(rows()[1] as HTMLElement);
    expect(second.getByText('Failed')).toBeInTheDocument();
    expect(second.getByText('charge')).toBeInTheDocument();
    expect(second.getByText('Card declined by the test gateway')).toBeInTheDocument();
    expect(second.getByText('3 min 5 s')).toBeInTheDocument();
    expect(second.getByText(/attempt 2/)).toBeInTheDocument();

    // No auto-refresh notice: nothing is running.
    expect(screen.queryByTestId('workflow-auto-refresh')).not.toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Workflows' })).toHaveAttribute('aria-current', 'page');
  });

  it('keeps status, type and dates in the URL and asks the API for them; a shared URL brings the view back', async () => {
    const user = userEvent.setup();
    const { currentUrl } = renderPortal('/workflows');
    await screen.findAllByTestId('workflow-row');

    await user.selectOptions(screen.getByLabelText('Status'), 'failed');
    await waitFor(() => expect(currentUrl()).toBe('/workflows?status=failed'));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(lastQuery()).toMatchObject({ status: 'failed', page: 1 });

    await user.type(screen.getByLabelText('Type'), 'test.flaky{Enter}');
    await waitFor(() => expect(currentUrl()).toBe('/workflows?status=failed&type=test.flaky'));
    expect(lastQuery()).toMatchObject({ status: 'failed', type: 'test.flaky' });

    await user.type(screen.getByLabelText('From'), '2025-06-01');
    await waitFor(() => expect(currentUrl()).toBe('/workflows?status=failed&type=test.flaky&from=2025-06-01'));
    await waitFor(() => expect(lastQuery()).toMatchObject({ from: '2025-06-01T00:00:00.000Z' }));

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(currentUrl()).toBe('/workflows'));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(screen.getByLabelText('Type')).toHaveValue('');
  });

  it('opens with the filters of a shared URL', async () => {
    renderPortal('/workflows?status=failed&type=test.flaky&to=2025-06-30&page=1');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByLabelText('Status')).toHaveValue('failed');
    expect(screen.getByLabelText('Type')).toHaveValue('test.flaky');
    expect(screen.getByLabelText('To')).toHaveValue('2025-06-30');
    expect(getWorkflows).toHaveBeenCalledWith({ page: 1, limit: 20, status: 'failed', type: 'test.flaky', to: '2025-06-30T23:59:59.999Z' });
  });

  it('pages through the runs with the page in the URL', async () => {
    const many = Array.from({ length: 25 }, (_, i) => workflowRun({ type: `job.${String(i).padStart(2, '0')}` }));
    serve(many);
    const user = userEvent.setup();
    const { currentUrl } = renderPortal('/workflows');
    await waitFor(() => expect(rows()).toHaveLength(20));
    expect(screen.getByTestId('page-indicator')).toHaveTextContent('Page 1 of 2');
    await user.click(screen.getByRole('button', { name: /Next/ }));
    await waitFor(() => expect(currentUrl()).toBe('/workflows?page=2'));
    await waitFor(() => expect(rows()).toHaveLength(5));
    expect(lastQuery()).toMatchObject({ page: 2, limit: 20 });
  });

  it('refreshes every few seconds while a listed run is running, and stops once none is', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let current: Workflow[] = [running, completed];
    vi.mocked(getWorkflows).mockImplementation(async () => ({ data: current, total: current.length }));
    renderPortal('/workflows');
    expect(await screen.findByTestId('workflow-auto-refresh')).toHaveTextContent(`Refreshing every ${WORKFLOW_REFRESH_MS / 1000} seconds`);
    const before = vi.mocked(getWorkflows).mock.calls.length;

    // The run finishes: the next refresh shows it, and then the refreshing stops.
    current = [{ ...running, status: 'completed', closedAt: '2025-06-02T14:05:00.000Z', finishedAt: '2025-06-02T14:05:00.000Z' }, completed];
    await act(() => vi.advanceTimersByTimeAsync(WORKFLOW_REFRESH_MS + 100));
    await waitFor(() => expect(vi.mocked(getWorkflows).mock.calls.length).toBe(before + 1));
    await waitFor(() => expect(screen.queryByTestId('workflow-auto-refresh')).not.toBeInTheDocument());
    expect(within(rows()[0] as HTMLElement).getByText('Completed')).toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(WORKFLOW_REFRESH_MS * 3));
    expect(vi.mocked(getWorkflows).mock.calls.length).toBe(before + 1);
  });

  it('shows an empty state, and a way back when filters match nothing', async () => {
    serve([]);
    const { currentUrl } = renderPortal('/workflows?status=running');
    expect(await screen.findByText('No workflows match these filters')).toBeInTheDocument();
    await userEvent.click(within(screen.getByTestId('workflows-empty')).getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(currentUrl()).toBe('/workflows'));
    expect(await screen.findByText('No workflows yet')).toBeInTheDocument();
  });

  it('shows the error with a retry when the list cannot load', async () => {
    vi.mocked(getWorkflows).mockRejectedValueOnce(new ApiError('The database is unavailable; try again shortly.', 503));
    renderPortal('/workflows');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load the workflows");
    expect(alert).toHaveTextContent('The database is unavailable; try again shortly.');
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('workflow-row')).toHaveLength(2);
  });

  it('shows platform staff a tenant column (Platform for platform runs) and a tenant filter', async () => {
    vi.mocked(getMe).mockResolvedValue({ ...meWith(membership(acme, 'super_admin'), membership(globex, 'super_admin')), platformRole: 'super_admin' });
    serve([completed, workflowRun({ type: 'audit.retention', tenantId: null }), workflowRun({ type: 'billing.clock', tenantId: globex.id })]);
    const user = userEvent.setup();
    const { currentUrl } = renderPortal('/workflows');
    await waitFor(() => expect(rows()).toHaveLength(3));
    const table = screen.getByRole('table');
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toContain('Tenant');
    expect(within(rows()[0] as HTMLElement).getByText('Acme Corp')).toBeInTheDocument();
    expect(within(rows()[1] as HTMLElement).getByText('Platform')).toBeInTheDocument();
    expect(within(rows()[2] as HTMLElement).getByText('Globex')).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText('Tenant'), 'platform');
    await waitFor(() => expect(currentUrl()).toBe('/workflows?tenant=platform'));
    await waitFor(() => expect(lastQuery()).toMatchObject({ tenantId: 'platform' }));
  });
});

describe('workflows access', () => {
  it('shows an analyst no Workflows entry and the 403 view at the URL, without asking the API', async () => {
    signInAs('analyst');
    renderPortal('/workflows');
    expect(await screen.findByRole('heading', { name: "You don't have access to this page" })).toBeInTheDocument();
    expect(screen.getByTestId('required-role')).toHaveTextContent('Engineer or higher');
    expect(screen.getByTestId('current-role')).toHaveTextContent('Analyst');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(await within(nav).findByRole('link', { name: 'Dashboard' })).toBeInTheDocument();
    expect(within(nav).queryByRole('link', { name: 'Workflows' })).not.toBeInTheDocument();
    expect(getWorkflows).not.toHaveBeenCalled();
  });

  it('gives engineers the Workflows entry (the Admin entry stays for admins)', async () => {
    renderPortal('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(await within(nav).findByRole('link', { name: 'Workflows' })).toHaveAttribute('href', '/workflows');
    expect(within(nav).queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument();
  });
});
