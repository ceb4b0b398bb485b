import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getUsageAnalytics, getUsagePeriods, getUsageStatus, getUsageSummaries, initializeQuotas } from '@/services/usage.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { acmeStatus, aprilSummaries, currentAnalytics, juneSummaries, mayAnalytics, maySummaries, metricAnalytics, periodEnd, periodStart, usageStatus } from '@/test/usage-fixtures';
import type { UsageAnalytics, UsagePeriod } from '@/types/usage';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/usage.service');

const allSummaries = [...juneSummaries, ...maySummaries, ...aprilSummaries];

/** What GET /usage/periods answers: June open, May and April closed, March and February from the usage history only. */
const period = (billingPeriod: string, start: string, end: string, state: Partial<UsagePeriod> = {}): UsagePeriod => ({
  billingPeriod,
  periodStart: start,
  periodEnd: end,
  current: false,
  closed: false,
  ...state,
});
const allPeriods: UsagePeriod[] = [
  period('2026-06', periodStart, periodEnd, { current: true }),
  period('2026-05', '2026-05-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z', { closed: true }),
  period('2026-04', '2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z', { closed: true }),
  period('2026-03', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'),
  period('2026-02', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'),
];
/** March 2026, before CBP closed periods: API calls from the rollup only. */
const marchAnalytics: UsageAnalytics = {
  period: '2026-03',
  periodStart: '2026-03-01T00:00:00.000Z',
  periodEnd: '2026-04-01T00:00:00.000Z',
  metrics: [metricAnalytics('api_calls', 905_000, 100_000, 0), metricAnalytics('storage_gb', 0, 0, 0)],
  totalOverageAmount: 0,
  currency: 'usd',
  projected: null,
};


const card = (name: string) => {
  const found = screen.getAllByTestId('usage-metric-card').find((c) => within(c).queryByRole('heading', { name }));
  if (!found) throw new Error(`No card for ${name}`);
  return within(found);
};
const field = (cardName: string, testId: string) => card(cardName).getByTestId(testId);

beforeEach(() => {
  resetOidcDouble();
  signInAs('analyst');
  vi.mocked(getUsageStatus).mockResolvedValue(acmeStatus);
  vi.mocked(getUsageAnalytics).mockImplementation(async (period) => (period === '2026-05' ? mayAnalytics : period === '2026-03' ? marchAnalytics : currentAnalytics));
  vi.mocked(getUsagePeriods).mockResolvedValue(allPeriods);
  vi.mocked(getUsageSummaries).mockImplementation(async (period) => allSummaries.filter((s) => !period || s.billingPeriod === period));
});

describe('/usage (dashboard)', () => {
  it('shows one card per metric with usage against the included quantity and the soft and hard limits', async () => {
    renderPortal('/usage');

    expect(await screen.findByRole('heading', { level: 1, name: 'Usage' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId('usage-metric-card')).toHaveLength(3));
    expect(screen.getAllByTestId('usage-metric-card').map((c) => within(c).getByRole('heading').textContent)).toEqual([
      'API calls',
      'Storage',
      'Users',
    ]);
    expect(field('API calls', 'usage-used')).toHaveTextContent('85,000 calls');
    expect(card('API calls').getByText('of 150,000 calls (hard limit)')).toBeInTheDocument();
    expect(field('API calls', 'soft-limit')).toHaveTextContent('80,000 calls');
    expect(field('API calls', 'hard-limit')).toHaveTextContent('150,000 calls');
    const meter = card('API calls').getByRole('meter', { name: 'API calls usage' });
    expect(meter).toHaveAttribute('aria-valuenow', '85000');
    expect(meter).toHaveAttribute('aria-valuemax', '150000');
    expect(meter).toHaveAttribute(
      'aria-valuetext',
      '85,000 calls used, included 100,000 calls, soft limit 80,000 calls, hard limit 150,000 calls',
    );
    expect(field('Users', 'soft-limit')).toHaveTextContent('Off');
    expect(field('Users', 'usage-used')).toHaveTextContent('4 seats');
    expect(screen.getByTestId('period-dates')).toHaveTextContent('Jun 1 – Jul 1, 2026');
  });

  it('flags the card over its soft limit, the one at 80 % of it as approaching, and the rest as within limits', async () => {
    renderPortal('/usage');
    await waitFor(() => expect(screen.getAllByTestId('usage-metric-card')).toHaveLength(3));
    expect(field('API calls', 'usage-level')).toHaveTextContent('Over soft limit');
    // 12 GB of a 15 GB soft limit: 80 %.
    expect(field('Storage', 'usage-level')).toHaveTextContent('Approaching limit');
    expect(field('Users', 'usage-level')).toHaveTextContent('Within limits');
  });

  it('counts a metric without a soft limit as approaching from 80 % of what the plan includes', async () => {
    vi.mocked(getUsageStatus).mockResolvedValue([usageStatus('users', { currentUsage: 8, includedQuantity: 10, softLimit: null, hardLimit: 20 })]);
    renderPortal('/usage');
    expect(await screen.findByTestId('usage-level')).toHaveTextContent('Approaching limit');
  });

  it('shows the overage so far and the projected overage at the end of the period', async () => {
    renderPortal('/usage');
    await waitFor(() => expect(field('Storage', 'overage')).toHaveTextContent('$1.00'));
    expect(field('Storage', 'overage')).toHaveTextContent('2 GB over');
    expect(field('API calls', 'overage')).toHaveTextContent('$0.00');
    expect(field('API calls', 'projected')).toHaveTextContent('212,500 calls');
    expect(field('API calls', 'projected')).toHaveTextContent('$24.00 overage');
    expect(field('Users', 'projected')).toHaveTextContent('No overage expected');
    expect(screen.getByTestId('overage-total')).toHaveTextContent('$1.00');
    expect(screen.getByTestId('projected-total')).toHaveTextContent('$26.00');
    expect(screen.getByText('40%')).toBeInTheDocument();
  });

  it('shows a closed period from its frozen summaries, chosen with the period selector and kept in the URL', async () => {
    const { currentUrl } = renderPortal('/usage');
    const select = await screen.findByLabelText('Billing period');
    await waitFor(() => expect(within(select).getAllByRole('option')).toHaveLength(5));
    expect(within(select).getAllByRole('option').map((o) => o.textContent?.replace(/\s+/g, ' '))).toEqual([
      'Current period',
      'May 2026 (May 1 – Jun 1, 2026)',
      'April 2026 (Apr 1 – May 1, 2026)',
      'March 2026 (Mar 1 – Apr 1, 2026)',
      'February 2026 (Feb 1 – Mar 1, 2026)',
    ]);

    await userEvent.selectOptions(select, '2026-05');
    await waitFor(() => expect(currentUrl()).toBe('/usage?period=2026-05'));
    await waitFor(() => expect(field('API calls', 'usage-used')).toHaveTextContent('120,000 calls'));
    expect(getUsageSummaries).toHaveBeenCalledWith('2026-05');
    expect(screen.getAllByTestId('usage-metric-card')).toHaveLength(2);
    expect(field('API calls', 'usage-level')).toHaveTextContent('Closed');
    expect(field('API calls', 'overage')).toHaveTextContent('$4.00');
    expect(field('API calls', 'overage')).toHaveTextContent('20,000 calls over');
    expect(field('API calls', 'overage-billing')).toHaveTextContent('Added to the next invoice');
    expect(card('Storage').queryByTestId('overage-billing')).not.toBeInTheDocument();
    expect(card('API calls').queryByTestId('projected')).not.toBeInTheDocument();
    expect(card('API calls').getByText('3,120')).toBeInTheDocument();
    expect(screen.getByTestId('overage-total')).toHaveTextContent('$4.00');
    expect(screen.getByText('Closed and billed')).toBeInTheDocument();

    await userEvent.selectOptions(select, '');
    await waitFor(() => expect(currentUrl()).toBe('/usage'));
    await waitFor(() => expect(field('API calls', 'usage-used')).toHaveTextContent('85,000 calls'));
  });

  it('offers the past periods known only from the usage history, and shows what was used in them', async () => {
    const { currentUrl } = renderPortal('/usage');
    const select = await screen.findByLabelText('Billing period');
    await waitFor(() => expect(within(select).getAllByRole('option')).toHaveLength(5));
    await userEvent.selectOptions(select, '2026-03');
    await waitFor(() => expect(currentUrl()).toBe('/usage?period=2026-03'));
    const usage = await screen.findByTestId('history-usage');
    expect(usage).toHaveTextContent('API calls');
    expect(usage).toHaveTextContent('905,000 calls');
    // Metrics without usage in that period are not listed.
    expect(usage).not.toHaveTextContent('Storage');
    expect(screen.queryByTestId('usage-empty')).not.toBeInTheDocument();
    expect(screen.getByTestId('period-dates')).toHaveTextContent('Mar 1 – Apr 1, 2026');
    expect(screen.getByRole('link', { name: /invoice/ })).toHaveAttribute('href', '/billing/invoices');
  });

  it('gives analysts no admin actions: no quota management link and, without quotas, the reason instead of Initialize', async () => {
    renderPortal('/usage');
    await waitFor(() => expect(screen.getAllByTestId('usage-metric-card')).toHaveLength(3));
    expect(screen.queryByRole('link', { name: 'Manage quotas' })).not.toBeInTheDocument();
    expect(within(screen.getByRole('navigation', { name: 'Usage' })).getAllByRole('link').map((l) => l.textContent)).toEqual([
      'Dashboard',
      'Trends',
      'Quotas',
    ]);
  });

  it('tells analysts who can initialize quotas when there are none yet', async () => {
    vi.mocked(getUsageStatus).mockResolvedValue([]);
    renderPortal('/usage');
    expect(await screen.findByRole('heading', { name: 'No quotas yet' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Set up quotas from plan' })).not.toBeInTheDocument();
    expect(screen.getByTestId('initialize-refusal')).toHaveTextContent(
      'Only an admin or a higher role can set up quotas; your role is Analyst. Ask an admin of Acme Corp to set them up.',
    );
  });

  it('lets an admin initialize quotas from the empty state, after confirming', async () => {
    signInAs('admin');
    vi.mocked(getUsageStatus).mockResolvedValueOnce([]).mockResolvedValue(acmeStatus);
    vi.mocked(initializeQuotas).mockResolvedValue({ quotasCreated: 3, planTier: 'pro' });
    renderPortal('/usage');

    await userEvent.click(await screen.findByRole('button', { name: 'Set up quotas from plan' }));
    const dialog = await screen.findByRole('dialog', { name: 'Set up the quotas of the plan?' });
    expect(dialog).toHaveTextContent('Quotas that already exist, and the usage counted against them, are left as they are.');
    expect(initializeQuotas).not.toHaveBeenCalled();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Set up quotas' }));

    await waitFor(() => expect(screen.getAllByTestId('usage-metric-card')).toHaveLength(3));
    expect(initializeQuotas).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Manage quotas' })).toHaveAttribute('href', '/usage/quotas');
  });

  it('shows an error with a retry when the usage cannot be loaded', async () => {
    vi.mocked(getUsageStatus).mockRejectedValue(new ApiError('Cannot reach the CBP API. Check your connection and try again.', 0));
    renderPortal('/usage');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load your usage");
    expect(alert).toHaveTextContent('Cannot reach the CBP API.');
    expect(screen.queryByTestId('usage-metric-card')).not.toBeInTheDocument();

    vi.mocked(getUsageStatus).mockResolvedValue(acmeStatus);

    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.getAllByTestId('usage-metric-card')).toHaveLength(3));
  });

  it('keeps the cards when only overage and projections fail, and says so', async () => {
    vi.mocked(getUsageAnalytics).mockRejectedValue(new ApiError('The request failed (HTTP 500).', 500));
    renderPortal('/usage');
    expect(await screen.findByText("We couldn't load overage and projections")).toBeInTheDocument();
    expect(field('API calls', 'usage-used')).toHaveTextContent('85,000 calls');
    expect(field('API calls', 'overage')).toHaveTextContent('Unavailable');
    expect(field('API calls', 'projected')).toHaveTextContent('Unavailable');
  });
});
