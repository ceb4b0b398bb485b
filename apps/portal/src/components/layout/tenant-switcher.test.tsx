import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { getSelectedTenantId, TENANT_STORAGE_KEY } from '@/lib/tenant';
import { getCurrentTenant, getMe, getPlans } from '@/services/session.service';
import { acme, globex, meWith, membership, proPlan, starterPlan } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');

beforeEach(() => {
  resetOidcDouble();
  // The fake API answers for whichever tenant the portal selected, as X-Tenant-Id would.
  vi.mocked(getCurrentTenant).mockImplementation(async () => (getSelectedTenantId() === globex.id ? globex : acme));
  vi.mocked(getPlans).mockResolvedValue([proPlan, starterPlan]);
});

describe('tenant switcher', () => {
  it('is not offered to someone in a single tenant', async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner')));
    renderPortal('/');

    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Acme Corp');
    expect(screen.queryByRole('button', { name: /switch organization/i })).not.toBeInTheDocument();
    expect(localStorage.getItem(TENANT_STORAGE_KEY)).toBe(acme.id);
  });

  it('switches tenant, stores the choice and reloads the data and role', async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner'), membership(globex, 'analyst')));
    renderPortal('/');

    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Acme Corp');
    expect(screen.getByTestId('user-role')).toHaveTextContent('Owner');

    await userEvent.click(screen.getByRole('button', { name: 'Switch organization (current: Acme Corp)' }));
    await userEvent.click(await screen.findByRole('menuitemradio', { name: /Globex/ }));

    expect(localStorage.getItem(TENANT_STORAGE_KEY)).toBe(globex.id);
    expect(await screen.findByRole('button', { name: 'Switch organization (current: Globex)' })).toBeInTheDocument();
    expect(await screen.findByText('Globex', { selector: '[data-testid="tenant-name"]' })).toBeInTheDocument();
    expect(await screen.findByText('Starter', { selector: '[data-testid="plan-name"]' })).toBeInTheDocument();
    expect(screen.getByTestId('user-role')).toHaveTextContent('Analyst');
  });

  it('starts in the tenant chosen last time', async () => {
    localStorage.setItem(TENANT_STORAGE_KEY, globex.id);
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner'), membership(globex, 'analyst')));
    renderPortal('/');
    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Globex');
  });

  it('falls back to the first tenant when the stored one is no longer a membership', async () => {
    localStorage.setItem(TENANT_STORAGE_KEY, 'a-tenant-you-left');
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner'), membership(globex, 'analyst')));
    renderPortal('/');
    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Acme Corp');
    expect(localStorage.getItem(TENANT_STORAGE_KEY)).toBe(acme.id);
  });
});
