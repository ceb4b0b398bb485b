import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getCurrentTenant, getMe, getPlans } from '@/services/session.service';
import { acme, meWith, membership, proPlan, starterPlan } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'admin')));
  vi.mocked(getCurrentTenant).mockResolvedValue(acme);
  vi.mocked(getPlans).mockResolvedValue([starterPlan, proPlan]);
});

describe('dashboard', () => {
  it("shows the tenant, its plan with price, and the caller's role", async () => {
    renderPortal('/');

    expect(await screen.findByRole('heading', { level: 1, name: 'Dashboard' })).toBeInTheDocument();
    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Acme Corp');
    expect(screen.getByTestId('tenant-slug')).toHaveTextContent('acme');
    expect(screen.getByTestId('tenant-status')).toHaveTextContent('Active');
    expect(await screen.findByTestId('plan-name')).toHaveTextContent('Pro');
    expect(screen.getByTestId('plan-price')).toHaveTextContent('$49.00 per month');
    expect(screen.getByTestId('user-role')).toHaveTextContent('Admin');
    expect(document.title).toBe('Dashboard · CBP Portal');
  });

  it('says plainly when the tenant has no plan', async () => {
    vi.mocked(getCurrentTenant).mockResolvedValue({ ...acme, planId: null });
    renderPortal('/');
    expect(await screen.findByTestId('plan-name')).toHaveTextContent('No plan');
  });

  it('shows loading placeholders until the tenant arrives', async () => {
    let release: (value: typeof acme) => void = () => {};
    vi.mocked(getCurrentTenant).mockReturnValue(new Promise((resolve) => (release = resolve)));
    renderPortal('/');

    expect(await screen.findByText('Loading your organization…')).toBeInTheDocument();
    expect(screen.queryByTestId('tenant-name')).not.toBeInTheDocument();
    release(acme);
    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Acme Corp');
  });

  it('shows the error with a retry that recovers', async () => {
    vi.mocked(getCurrentTenant).mockRejectedValueOnce(
      new ApiError('The tenant service is restarting.', 503, {
        type: 'about:blank',
        title: 'Service unavailable',
        status: 503,
        detail: 'The tenant service is restarting.',
        code: 'SERVICE_UNAVAILABLE',
      }),
    );
    renderPortal('/');

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load your organization");
    expect(alert).toHaveTextContent('The tenant service is restarting.');

    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Acme Corp');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
