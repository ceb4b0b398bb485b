import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLogout } from '@refinedev/core';
import { getSelectedTenantId, setSelectedTenantId } from '@/lib/tenant';
import { forgetTenantSuspension } from '@/lib/tenant-suspension';
import { getMe } from '@/services/session.service';
import { acme, globex, meWith, membership } from '@/test/fixtures';
import { withRefusingApi } from '@/test/refusing-api';
import { renderPortal } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@refinedev/core', async (importOriginal) => {
  const actual = await importOriginal<{ useLogout: typeof useLogout }>();
  return { ...actual, useLogout: vi.fn(actual.useLogout) };
});

/** Tenants the fake API refuses as suspended, as the real guard does (by X-Tenant-Id). */
const api = withRefusingApi('TENANT_SUSPENDED', 'This organization is suspended; contact your platform administrator.', { initially: [globex.id], forget: forgetTenantSuspension });

describe('a suspended organization', () => {
  it('shows its members a full page saying so, whom to contact, a sign out and their other organizations', async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner'), membership(globex, 'analyst')));
    setSelectedTenantId(globex.id);
    renderPortal('/team');

    const page = await screen.findByTestId('tenant-suspended');
    expect(within(page).getByRole('heading', { level: 1, name: 'Globex is suspended' })).toBeInTheDocument();
    expect(page).toHaveTextContent('nobody can use it');
    expect(page).toHaveTextContent('contact your organization');
    expect(within(page).getByRole('button', { name: 'Sign out' })).toBeInTheDocument();
    // The broken pages are not shown, and no error toast per refused call.
    expect(screen.queryByRole('heading', { level: 1, name: 'Team' })).not.toBeInTheDocument();
    expect(screen.queryByText('Forbidden')).not.toBeInTheDocument();

    const others = within(page).getByRole('navigation', { name: 'Your other organizations' });
    expect(within(others).getByText('Acme Corp')).toBeInTheDocument();
    await userEvent.click(within(others).getByRole('button', { name: 'Switch to Acme Corp' }));
    await waitFor(() => expect(screen.queryByTestId('tenant-suspended')).not.toBeInTheDocument());
    expect(getSelectedTenantId()).toBe(acme.id);
  });

  it('offers no switcher to someone in that organization only, and signs them out', async () => {
    const logout = vi.fn();
    vi.mocked(useLogout).mockReturnValue({ mutate: logout, isPending: false } as unknown as ReturnType<typeof useLogout>);
    vi.mocked(getMe).mockResolvedValue(meWith(membership(globex, 'owner')));
    renderPortal('/');
    const page = await screen.findByTestId('tenant-suspended');
    expect(within(page).queryByRole('navigation', { name: 'Your other organizations' })).not.toBeInTheDocument();
    await userEvent.click(within(page).getByRole('button', { name: 'Sign out' }));
    expect(logout).toHaveBeenCalled();
  });

  it('goes back to the pages once the organization is reactivated and "Check again" is pressed', async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(globex, 'owner')));
    renderPortal('/team');
    const page = await screen.findByTestId('tenant-suspended');
    api.refused.clear();
    await userEvent.click(within(page).getByRole('button', { name: 'Check again' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Team' })).toBeInTheDocument();
    expect(screen.queryByTestId('tenant-suspended')).not.toBeInTheDocument();
  });

  it('does not affect an active organization', async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner'), membership(globex, 'analyst')));
    setSelectedTenantId(acme.id);
    renderPortal('/team');
    expect(await screen.findByRole('heading', { level: 1, name: 'Team' })).toBeInTheDocument();
    await waitFor(() => expect(api.requests.some((r) => r.endsWith(acme.id))).toBe(true));
    expect(screen.queryByTestId('tenant-suspended')).not.toBeInTheDocument();
  });
});
