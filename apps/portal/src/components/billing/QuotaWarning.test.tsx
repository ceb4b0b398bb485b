import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getMe } from '@/services/session.service';
import { getUsageStatus } from '@/services/usage.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { storageStatus, usageStatus, usersStatus } from '@/test/usage-fixtures';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/usage.service');

const apiCallsOverSoft = usageStatus('api_calls', { currentUsage: 85_000, includedQuantity: 100_000, softLimit: 80_000, hardLimit: 150_000 });
const storageOverHard = usageStatus('storage_gb', { currentUsage: 21, includedQuantity: 10, softLimit: 15, hardLimit: 20 });
const storageOverSoft = usageStatus('storage_gb', { currentUsage: 16, includedQuantity: 10, softLimit: 15, hardLimit: 20 });
const usersOverSoft = usageStatus('users', { currentUsage: 9, includedQuantity: 10, softLimit: 8, hardLimit: 10 });
const apiCallsFine = usageStatus('api_calls', { currentUsage: 1_000, includedQuantity: 100_000, softLimit: 80_000, hardLimit: 150_000 });

/** A page that asks nothing of the API itself (the portal's 404), so the banner is the only usage call. */
async function openQuietPage() {
  const view = renderPortal('/no/such/page');
  expect(await screen.findByRole('heading', { level: 1, name: 'Page not found' })).toBeInTheDocument();
  await waitFor(() => expect(getUsageStatus).toHaveBeenCalled());
  return view;
}

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'analyst')));
});

describe('QuotaWarning', () => {
  it('warns in amber, in a polite live region, when a metric is over its soft limit, with a link to the usage dashboard', async () => {
    vi.mocked(getUsageStatus).mockResolvedValue([apiCallsOverSoft, storageStatus, usersStatus]);
    await openQuietPage();

    const banner = await screen.findByTestId('quota-warning-warning');
    expect(banner).toHaveTextContent('Soft limit passed: API calls is over its soft limit. View usage');
    expect(banner).toHaveClass('bg-amber-50');
    expect(within(banner).getByRole('link', { name: 'View usage' })).toHaveAttribute('href', '/usage');
    expect(banner.closest('[aria-live]')).toHaveAttribute('aria-live', 'polite');
    expect(screen.queryByTestId('quota-warning-critical')).not.toBeInTheDocument();
  });

  it('raises a red critical banner for a metric over its hard limit, apart from the soft-limit warnings', async () => {
    vi.mocked(getUsageStatus).mockResolvedValue([apiCallsOverSoft, storageOverHard, usersOverSoft]);
    await openQuietPage();

    const critical = await screen.findByTestId('quota-warning-critical');
    expect(critical).toHaveTextContent('Hard limit reached: Storage is over its hard limit.');
    expect(critical).toHaveClass('bg-red-50');
    expect(screen.getByTestId('quota-warning-warning')).toHaveTextContent('API calls and Users are over their soft limits.');
    expect(screen.getByTestId('quota-warning-warning')).not.toHaveTextContent('Storage');
  });

  it('shows nothing when every metric is within its limits', async () => {
    vi.mocked(getUsageStatus).mockResolvedValue([apiCallsFine, storageStatus, usersStatus]);
    await openQuietPage();
    expect(screen.getByTestId('quota-warnings')).toBeEmptyDOMElement();
  });

  it('stays out of the way when the status cannot be loaded', async () => {
    vi.mocked(getUsageStatus).mockRejectedValue(new ApiError('The request failed (HTTP 500).', 500));
    await openQuietPage();
    expect(screen.getByTestId('quota-warnings')).toBeEmptyDOMElement();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  });

  it('can be dismissed for the session, per metric and severity', async () => {
    vi.mocked(getUsageStatus).mockResolvedValue([apiCallsOverSoft, storageStatus, usersStatus]);
    const first = await openQuietPage();
    const banner = await screen.findByTestId('quota-warning-warning');
    await userEvent.click(within(banner).getByRole('button', { name: 'Dismiss: soft limit passed for API calls' }));
    expect(screen.queryByTestId('quota-warning-warning')).not.toBeInTheDocument();
    first.unmount();

    // Later in the same session: API calls stays dismissed; Storage crossing its soft limit is news.
    vi.mocked(getUsageStatus).mockResolvedValue([apiCallsOverSoft, storageOverSoft, usersStatus]);
    await openQuietPage();
    expect(await screen.findByTestId('quota-warning-warning')).toHaveTextContent('Storage is over its soft limit.');
    expect(screen.getByTestId('quota-warning-warning')).not.toHaveTextContent('API calls');
  });

  it('shows a dismissed soft-limit warning again when the same metric reaches its hard limit', async () => {
    vi.mocked(getUsageStatus).mockResolvedValue([storageOverSoft]);
    const first = await openQuietPage();
    await userEvent.click(within(await screen.findByTestId('quota-warning-warning')).getByRole('button', { name: /Dismiss/ }));
    first.unmount();

    vi.mocked(getUsageStatus).mockResolvedValue([storageOverHard]);
    await openQuietPage();
    expect(await screen.findByTestId('quota-warning-critical')).toHaveTextContent('Storage is over its hard limit.');
  });
});
