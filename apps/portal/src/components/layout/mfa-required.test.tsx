import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { forgetMfaRequired } from '@/lib/mfa-required';
import { getSelectedTenantId, setSelectedTenantId } from '@/lib/tenant';
import { getMe } from '@/services/session.service';
import { acme, globex, meWith, membership } from '@/test/fixtures';
import { oidcDouble } from '@/test/oidc-double';
import { withRefusingApi } from '@/test/refusing-api';
import { renderPortal } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');

/** Tenants whose every call the fake API refuses with 403 MFA_REQUIRED, as the real guard does for a password-only session. */
withRefusingApi('MFA_REQUIRED', 'Your organization requires two-step verification.', { initially: [acme.id], forget: forgetMfaRequired });

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
