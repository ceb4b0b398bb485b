import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { defaultOrganizationSettings } from '@cbp/contracts';
import { getOrganizationSettings } from '@/services/organization.service';
import { getNotifications } from '@/services/notifications.service';
import { getMe } from '@/services/session.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { oidcDouble, resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/notifications.service');
vi.mock('@/services/organization.service');

const builtinMe = () => ({ ...meWith(membership(acme, 'analyst')), identity: { provider: 'builtin' as const } });
const settings = (mfaRequired: boolean) => ({ ...defaultOrganizationSettings, allowedSignupDomains: [], mfaRequired });

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getMe).mockResolvedValue(builtinMe());
  vi.mocked(getNotifications).mockResolvedValue({ data: [], total: 0, unread: 0 });
  vi.mocked(getOrganizationSettings).mockResolvedValue(settings(false));
});

async function section() {
  renderPortal('/settings/password');
  return within(await screen.findByRole('region', { name: 'Two-step verification' }));
}

describe('two-step verification in the account settings', () => {
  it('is off after a password-only sign-in, with a button that signs in again to set it up and comes back here', async () => {
    const s = await section();
    expect(await s.findByTestId('two-step-status')).toHaveTextContent('Off');
    await userEvent.click(s.getByRole('button', { name: 'Set up two-step verification' }));
    expect(oidcDouble.startSecondFactorSignIn).toHaveBeenCalledWith('setup', '/settings/password');
    expect(s.queryByRole('button', { name: /Turn off/ })).not.toBeInTheDocument();
  });

  it('says the organization requires it when it is still off', async () => {
    vi.mocked(getOrganizationSettings).mockResolvedValue(settings(true));
    const s = await section();
    expect(await s.findByText(/Acme Corp requires two-step verification: set it up now/)).toBeInTheDocument();
  });

  it('is on after a sign-in with a code, and can be turned off (sign-in with a current code) unless the organization requires it', async () => {
    oidcDouble.signInMethods.mockResolvedValue(['pwd', 'otp']);
    const s = await section();
    expect(await s.findByTestId('two-step-status')).toHaveTextContent('On');
    await userEvent.click(s.getByRole('button', { name: 'Turn off two-step verification' }));
    expect(oidcDouble.startSecondFactorSignIn).toHaveBeenCalledWith('disable', '/settings/password');
    await userEvent.click(s.getByRole('button', { name: 'Get new recovery codes' }));
    expect(oidcDouble.startSecondFactorSignIn).toHaveBeenLastCalledWith('codes', '/settings/password');
  });

  it('cannot be turned off while the organization requires it', async () => {
    oidcDouble.signInMethods.mockResolvedValue(['pwd', 'otp']);
    vi.mocked(getOrganizationSettings).mockResolvedValue(settings(true));
    const s = await section();
    expect(await s.findByText('Acme Corp requires two-step verification, so it cannot be turned off.')).toBeInTheDocument();
    expect(s.queryByRole('button', { name: 'Turn off two-step verification' })).not.toBeInTheDocument();
  });

  it('points to the identity provider when it manages sign-in', async () => {
    vi.mocked(getMe).mockResolvedValue({ ...builtinMe(), identity: { provider: 'external', accountUrl: 'https://keycloak.example/realms/cbp/account' } });
    const s = await section();
    expect(s.getByText(/Managed by your identity provider: set up an authenticator app in its account console/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Open the account console/ })).toHaveAttribute('href', 'https://keycloak.example/realms/cbp/account');
    expect(s.queryByRole('button', { name: 'Set up two-step verification' })).not.toBeInTheDocument();
  });
});
