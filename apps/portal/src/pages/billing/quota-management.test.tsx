import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getUsageQuotas, getUsageStatus, initializeQuotas, resetQuotas, updateSoftLimit } from '@/services/usage.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { acmeQuotas, apiCallsQuota } from '@/test/usage-fixtures';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/usage.service');


const rows = () => screen.getAllByTestId('quota-row');
const rowOf = (metric: string) => within(rows().find((row) => within(row).queryByRole('rowheader', { name: metric })) as HTMLElement);
/** What each cell reads, its buttons left out. */
const cellsOf = (metric: string) =>
  rowOf(metric)
    .getAllByRole('cell')
    .map((cell) => {
      const copy = cell.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('button').forEach((button) => button.remove());
      return copy.textContent?.replace(/\s+/g, ' ');
    });

async function openSoftLimit(metric: string) {
  await userEvent.click(await screen.findByRole('button', { name: `Edit the soft limit of ${metric}` }));
  return screen.findByRole('dialog', { name: `Soft limit for ${metric}` });
}

beforeEach(() => {
  // Mid-June 2026: inside the fixtures' current period.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-06-13T12:00:00.000Z'));
  resetOidcDouble();
  signInAs('admin');
  vi.mocked(getUsageStatus).mockResolvedValue([]);
  vi.mocked(getUsageQuotas).mockResolvedValue(acmeQuotas);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('/usage/quotas', () => {
  it('lists each quota with usage, limits, the overage price as money and the period', async () => {
    renderPortal('/usage/quotas');
    expect(await screen.findByRole('heading', { level: 1, name: 'Quotas' })).toBeInTheDocument();
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(within(screen.getByRole('table')).getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
      'Metric',
      'Current usage',
      'Included',
      'Soft limit',
      'Hard limit',
      'Overage price',
      'Period',
    ]);
    expect(cellsOf('API calls').slice(0, 6)).toEqual([
      '85,000 calls',
      '100,000 calls',
      '80,000 calls',
      '150,000 calls',
      '$2.00 per 10,000 calls',
      'Jun 1 – Jul 1, 2026',
    ]);
    expect(cellsOf('Storage').slice(4, 5)).toEqual(['$0.50 per GB']);
    expect(cellsOf('Users').slice(2, 5)).toEqual(['Off', '10 seats', 'Not billed']);
    expect(rowOf('API calls').getByRole('img', { name: 'Over the soft limit' })).toBeInTheDocument();
    expect(rowOf('Storage').queryByRole('img')).not.toBeInTheDocument();
    expect(rowOf('API calls').getByRole('cell', { name: /80,000 calls/ })).toContainElement(
      screen.getByRole('button', { name: 'Edit the soft limit of API calls' }),
    );
  });

  it('marks the quotas whose period has ended, the ones a reset would start again', async () => {
    vi.mocked(getUsageQuotas).mockResolvedValue([
      { ...apiCallsQuota, periodStart: '2026-05-01T00:00:00.000Z', periodEnd: '2026-06-01T00:00:00.000Z' },
      ...acmeQuotas.slice(1),
    ]);
    renderPortal('/usage/quotas');
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(cellsOf('API calls')[5]).toBe('May 1 – Jun 1, 2026Ended');
    expect(cellsOf('Storage')[5]).toBe('Jun 1 – Jul 1, 2026');
  });

  it('validates the soft limit before sending it: a whole number below the hard limit', async () => {
    vi.mocked(updateSoftLimit).mockResolvedValue({ ...apiCallsQuota, softLimit: 90_000 });
    renderPortal('/usage/quotas');
    const dialog = await openSoftLimit('API calls');
    const input = within(dialog).getByLabelText('Soft limit (calls)');
    expect(input).toHaveValue('80000');
    expect(input).toHaveAccessibleDescription(/A whole number below the hard limit of 150,000 calls\. Leave it empty to turn the alert off\./);

    await userEvent.clear(input);
    await userEvent.type(input, '12.5');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save soft limit' }));
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(within(dialog).getByText('Enter a whole number of units, like 90000, or leave it empty.')).toBeInTheDocument();

    await userEvent.clear(input);
    await userEvent.type(input, '150000');
    expect(within(dialog).getByText('The soft limit must be below the hard limit (150,000 calls).')).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save soft limit' }));
    expect(updateSoftLimit).not.toHaveBeenCalled();

    await userEvent.clear(input);
    await userEvent.type(input, '90,000');
    expect(input).toHaveAttribute('aria-invalid', 'false');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save soft limit' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(updateSoftLimit).toHaveBeenCalledWith('api_calls', 90_000);
  });

  it('turns the alert off when the soft limit is left empty', async () => {
    vi.mocked(updateSoftLimit).mockResolvedValue({ ...apiCallsQuota, softLimit: null });
    renderPortal('/usage/quotas');
    const dialog = await openSoftLimit('API calls');
    await userEvent.clear(within(dialog).getByLabelText('Soft limit (calls)'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save soft limit' }));
    await waitFor(() => expect(updateSoftLimit).toHaveBeenCalledWith('api_calls', null));
  });

  it("keeps the API's refusal in the dialog", async () => {
    vi.mocked(updateSoftLimit).mockRejectedValue(
      new ApiError('The soft limit must stay below the hard limit (150,000).', 422, {
        type: 'about:blank',
        title: 'Business rule violated',
        status: 422,
        code: 'BUSINESS_RULE',
        detail: 'The soft limit must stay below the hard limit (150,000).',
      }),
    );
    renderPortal('/usage/quotas');
    const dialog = await openSoftLimit('API calls');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save soft limit' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('The soft limit was not changed');
    expect(alert).toHaveTextContent('The soft limit must stay below the hard limit (150,000).');
  });

  it("words its actions for the organization's admins, not in operator terms (issue 17)", async () => {
    renderPortal('/usage/quotas');
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(screen.getByRole('button', { name: 'Set up quotas from plan' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Close ended periods' })).toBeEnabled();
    expect(screen.queryByRole('button', { name: /initiali[sz]e|reset/i })).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(/initiali[sz]e quotas|reset ended/i);
  });

  it('shows analysts everything read-only, with the reason, and nothing they could not do', async () => {
    signInAs('analyst');
    renderPortal('/usage/quotas');
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(screen.queryByRole('button', { name: /Edit the soft limit/ })).not.toBeInTheDocument();
    const reason = screen.getByTestId('quota-refusal');
    expect(reason).toHaveTextContent(
      'Only an admin or a higher role can change soft limits, set up quotas or close ended periods; your role is Analyst. Hard limits and overage prices come from your plan.',
    );
    for (const name of ['Set up quotas from plan', 'Close ended periods']) {
      const button = screen.getByRole('button', { name });
      expect(button).toBeDisabled();
      expect(button).toHaveAccessibleDescription(expect.stringContaining('your role is Analyst'));
    }
  });

  it('explains closing ended periods before doing it, then shows which were closed, still open and invoiced', async () => {
    vi.mocked(resetQuotas).mockResolvedValue({
      reset: ['api_calls'],
      skipped: ['storage_gb', 'users'],
      periodStart: '2026-07-01T00:00:00.000Z',
      invoiced: ['api_calls'],
      invoicePending: [],
    });
    renderPortal('/usage/quotas');
    await userEvent.click(await screen.findByRole('button', { name: 'Close ended periods' }));
    const confirm = await screen.findByRole('dialog', { name: 'Close the periods that have ended?' });
    expect(confirm).toHaveTextContent('Periods close on their own when they end');
    expect(confirm).toHaveTextContent('Quotas still inside their period are left as they are, so unbilled usage is never erased.');
    expect(resetQuotas).not.toHaveBeenCalled();

    await userEvent.click(within(confirm).getByRole('button', { name: 'Close ended periods' }));
    const done = await screen.findByRole('dialog', { name: 'Ended periods closed' });
    expect(resetQuotas).toHaveBeenCalledTimes(1);
    expect(within(done).getByTestId('reset-metrics')).toHaveTextContent('API calls: a new period started on July 1, 2026.');
    expect(within(done).getByTestId('skipped-metrics')).toHaveTextContent('Storage and Users: still inside the current period.');
    expect(within(done).getByTestId('invoiced-metrics')).toHaveTextContent('API calls: added to the next invoice.');

    await userEvent.click(within(done).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });

  it('says so when no quota had ended its period', async () => {
    vi.mocked(resetQuotas).mockResolvedValue({ reset: [], skipped: ['api_calls', 'storage_gb', 'users'], periodStart: null, invoiced: [], invoicePending: ['storage_gb'] });
    renderPortal('/usage/quotas');
    await userEvent.click(await screen.findByRole('button', { name: 'Close ended periods' }));
    await userEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Close ended periods' }));
    const done = await screen.findByRole('dialog', { name: 'Ended periods closed' });
    expect(within(done).getByTestId('reset-metrics')).toHaveTextContent('None: no quota had reached the end of its period.');
    expect(within(done).getByTestId('skipped-metrics')).toHaveTextContent('API calls, Storage, and Users: still inside the current period.');
    // An earlier close whose overage could not reach the invoice yet.
    expect(within(done).getByTestId('invoiced-metrics')).toHaveTextContent('Storage: not on the invoice yet; it is retried automatically.');
  });

  it('sets up the plan\'s quotas after a confirmation that says existing ones are kept', async () => {
    vi.mocked(initializeQuotas).mockResolvedValue({ quotasCreated: 0, planTier: 'pro' });
    renderPortal('/usage/quotas');
    await userEvent.click(await screen.findByRole('button', { name: 'Set up quotas from plan' }));
    const dialog = await screen.findByRole('dialog', { name: 'Set up the quotas of the plan?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Set up quotas' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(initializeQuotas).toHaveBeenCalledTimes(1);
    expect(await screen.findByText('Every quota of the pro plan is already set up.')).toBeInTheDocument();
  });
});
