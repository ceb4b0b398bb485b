import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { getMe } from '@/services/session.service';
import { getUsageQuotas, getUsageStatus, getUsageTrend } from '@/services/usage.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { acmeQuotas, monthlyTrend } from '@/test/usage-fixtures';
import type { TrendPoint } from '@/types/usage';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/usage.service');

const dailyTrend: TrendPoint[] = [
  { period: '2026-06-01', quantity: 4_000, eventCount: 120 },
  { period: '2026-06-02', quantity: 6_500, eventCount: 171 },
  { period: '2026-06-03', quantity: 0, eventCount: 0 },
];

/** Answers like the API: as many months as asked for, ending with the current one; or the days of the period. */
function serveTrends() {
  vi.mocked(getUsageTrend).mockImplementation(async ({ metricType, months, granularity }) => {
    if (granularity === 'day') return dailyTrend;
    const points = metricType === 'api_calls' ? monthlyTrend : monthlyTrend.map((p) => ({ ...p, quantity: Math.round(p.quantity / 10_000) }));
    return points.slice(-months);
  });
}

const rowTexts = () =>
  within(screen.getByTestId('usage-trend-table'))
    .getAllByRole('row')
    .map((row) => [...row.querySelectorAll('th, td')].map((c) => c.textContent));

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'analyst')));
  vi.mocked(getUsageStatus).mockResolvedValue([]);
  vi.mocked(getUsageQuotas).mockResolvedValue(acmeQuotas);
  serveTrends();
});

describe('/usage/trends', () => {
  it('charts the last 6 months of the first metric, named and summed up for screen readers', async () => {
    renderPortal('/usage/trends');

    expect(await screen.findByRole('heading', { level: 1, name: 'Usage trends' })).toBeInTheDocument();
    const chart = await screen.findByRole('figure', { name: 'API calls, last 6 months' });
    expect(chart).toHaveAccessibleDescription(
      'Highest month: May 2026 with 120,000 calls. Hard limit 150,000 calls per period. Soft limit 80,000 calls.',
    );
    expect(getUsageTrend).toHaveBeenCalledWith({ metricType: 'api_calls', months: 6, granularity: 'month' });
    expect(screen.getByLabelText('Metric')).toHaveValue('api_calls');
    expect(screen.getByLabelText('Range')).toHaveValue('6');
    expect(screen.getByRole('button', { name: 'Chart' })).toHaveAttribute('aria-pressed', 'true');
  });

  it('keeps the range, the metric and the table view in the URL', async () => {
    const { currentUrl } = renderPortal('/usage/trends');
    await screen.findByRole('figure', { name: 'API calls, last 6 months' });

    await userEvent.selectOptions(screen.getByLabelText('Range'), '12');
    await waitFor(() => expect(currentUrl()).toBe('/usage/trends?range=12'));
    expect(getUsageTrend).toHaveBeenLastCalledWith({ metricType: 'api_calls', months: 12, granularity: 'month' });

    await userEvent.selectOptions(screen.getByLabelText('Metric'), 'Storage');
    await waitFor(() => expect(currentUrl()).toBe('/usage/trends?metric=storage_gb&range=12'));
    expect(await screen.findByRole('figure', { name: 'Storage, last 12 months' })).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Table' }));
    await waitFor(() => expect(currentUrl()).toBe('/usage/trends?metric=storage_gb&range=12&show=table'));

    await userEvent.selectOptions(screen.getByLabelText('Range'), 'daily');
    await waitFor(() => expect(currentUrl()).toBe('/usage/trends?metric=storage_gb&range=daily&show=table'));
    expect(getUsageTrend).toHaveBeenLastCalledWith({ metricType: 'storage_gb', months: 1, granularity: 'day' });
  });

  it('opens on the range and view of a shared link', async () => {
    renderPortal('/usage/trends?range=3&show=table');
    await screen.findByTestId('usage-trend-table');
    expect(screen.getByLabelText('Range')).toHaveValue('3');
    expect(screen.getByRole('button', { name: 'Table' })).toHaveAttribute('aria-pressed', 'true');
    expect(getUsageTrend).toHaveBeenCalledWith({ metricType: 'api_calls', months: 3, granularity: 'month' });
    expect(screen.getAllByTestId('trend-row')).toHaveLength(3);
  });

  it('shows in the table the same numbers the chart is drawn from, with totals', async () => {
    renderPortal('/usage/trends?show=table');
    await screen.findByTestId('usage-trend-table');
    expect(screen.getByRole('table', { name: 'API calls, last 6 months' })).toBeInTheDocument();
    expect(rowTexts()).toEqual([
      ['Month', 'Quantity (calls)', 'Events'],
      ['Jan 2026', '52,000', '1,410'],
      ['Feb 2026', '61,500', '1,702'],
      ['Mar 2026', '58,250', '1,655'],
      ['Apr 2026', '64,000', '1,877'],
      ['May 2026', '120,000', '3,120'],
      ['Jun 2026', '85,000', '2,004'],
      ['Total', '440,750', '11,768'],
    ]);
  });

  it('tables the days of the current period with their running total', async () => {
    renderPortal('/usage/trends?range=daily&show=table');
    await screen.findByTestId('usage-trend-table');
    expect(rowTexts()).toEqual([
      ['Day', 'Quantity (calls)', 'Events', 'Period total (calls)'],
      ['Jun 1', '4,000', '120', '4,000'],
      ['Jun 2', '6,500', '171', '10,500'],
      ['Jun 3', '0', '0', '10,500'],
      ['Total', '10,500', '291', ''],
    ]);
    expect(screen.getByTestId('trend-description')).toHaveTextContent(
      '10,500 calls so far this period; busiest day Jun 2 with 6,500 calls. Hard limit 150,000 calls per period.',
    );
  });
});
