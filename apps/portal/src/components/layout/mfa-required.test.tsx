import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AxiosError, AxiosHeaders, type AxiosAdapter } from 'axios';
import { platformApi } from '@/lib/axios';
import { forgetMfaRequired } from '@/lib/mfa-required';
import { getSelectedTenantId, setSelectedTenantId } from '@/lib/tenant';
import { getCurrentTenant, getMe, getPlans } from '@/services/session.service';
import { acme, globex, meWith, membership, proPlan } from '@/test/fixtures';
import { oidcDouble, resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');

const originalAdapter = platformApi.defaults.adapter;
/** Tenants whose every call the fake API refuses with 403 MFA_REQUIRED, as the real guard does for a password-only session. */
let requiring = new Set<string>([acme.id]);

const api: AxiosAdapter = async (config) => {
  const tenant = String(config.headers.get('X-Tenant-Id') ?? '');
  if (requiring.has(tenant)) {
    const body = { type: 'about:blank', title: 'Forbidden', status: 403, code: 'MFA_REQUIRED', detail: 'Your organization requires two-step verification.' };
    throw new AxiosError('Request failed with status code 403', AxiosError.ERR_BAD_REQUEST, config, null, {
      data: body,
      status: 403,
      statusText: 'Forbidden',
      headers: new AxiosHeaders({ 'content-type': 'application/problem+json' }),
      config,
    });
  }
  throw new AxiosError('No API in tests', AxiosError.ERR_NETWORK, config);
};

beforeEach(() => {
  resetOidcDouble();
  requiring = new Set([acme.id]);
  forgetMfaRequired(acme.id);
  forgetMfaRequired(globex.id);
  platformApi.defaults.adapter = api;
  vi.mocked(getCurrentTenant).mockImplementation(async () => (getSelectedTenantId() === globex.id ? globex : acme));
  vi.mocked(getPlans).mockResolvedValue([proPlan]);
});
afterEach(() => {
  platformApi.defaults.adapter = originalAdapter;
});

describe('an organization that requires two-step verification, seen from a password-only session', () => {
  it('shows a full page saying so, with a button that signs in again asking for the code and back to the same page', async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'analyst')));
    setSelectedTenantId(acme.id);
    renderPortal('/team');

    const page = await screen.findByTestId('mfa-required');
    expect(within(page).getByRole('heading', { level: 1, name: 'Your organization requires two-step verification' })).toBeInTheDocument();
    expect(page).toHaveTextContent('Acme Corp asks every member to sign in with a code from an authenticator app');
    expect(page).toHaveTextContent('set up an authenticator app');
    // The refused pages are not shown, and no error toast per refused call.
    expect(screen.queryByRole('heading', { level: 1, name: 'Team' })).not.toBeInTheDocument();
    expect(screen.queryByText('Forbidden')).not.toBeInTheDocument();

    await userEvent.click(within(page).getByRole('button', { name: 'Sign in with two-step verification' }));
    expect(oidcDouble.startSecondFactorSignIn).toHaveBeenCalledWith('verify', '/team');
  });

  it('offers the other organizations, which do not require it', async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner'), membership(globex, 'analyst')));
    setSelectedTenantId(acme.id);
    renderPortal('/team');
    const page = await screen.findByTestId('mfa-required');
    const others = within(page).getByRole('navigation', { name: 'Your other organizations' });
    await userEvent.click(within(others).getByRole('button', { name: 'Switch to Globex' }));
    await waitFor(() => expect(screen.queryByTestId('mfa-required')).not.toBeInTheDocument());
    expect(getSelectedTenantId()).toBe(globex.id);
  });
});
