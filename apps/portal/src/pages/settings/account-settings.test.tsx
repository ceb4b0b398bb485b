import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { UserSession } from '@cbp/contracts';
import { ApiError } from '@/lib/axios';
import { THEME_STORAGE_KEY } from '@/lib/theme';
import { changePassword, endSession, getSessions, updateMe } from '@/services/account.service';
import { getNotifications } from '@/services/notifications.service';
import { getMe } from '@/services/session.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/notifications.service');
vi.mock('@/services/account.service');

const builtinMe = () => ({ ...meWith(membership(acme, 'analyst')), identity: { provider: 'builtin' as const } });

const refusal = (status: number, code: string, path: string, message: string) =>
  new ApiError(message, status, { type: 'about:blank', title: 'Refused', status, code, detail: message, errors: [{ path, message }] });
const validation = (path: string, message: string) => refusal(400, 'VALIDATION_FAILED', path, message);

const sessions: UserSession[] = [
  {
    id: 'uid-here',
    userAgent: 'Firefox',
    device: 'Firefox on Linux',
    ipAddress: '198.51.100.7',
    createdAt: '2026-12-01T09:00:00.000Z',
    lastSeenAt: '2026-12-04T09:00:00.000Z',
    current: true,
  },
  {
    id: 'uid-phone',
    userAgent: 'Safari',
    device: 'Safari on iOS',
    ipAddress: '203.0.113.9',
    createdAt: '2026-11-20T09:00:00.000Z',
    lastSeenAt: '2026-12-03T09:00:00.000Z',
    current: false,
  },
  {
    id: 'uid-office',
    userAgent: 'Chrome',
    device: 'Chrome on Windows',
    ipAddress: '192.0.2.4',
    createdAt: '2026-11-10T09:00:00.000Z',
    lastSeenAt: '2026-12-02T09:00:00.000Z',
    current: false,
  },
];

beforeEach(() => {
  resetOidcDouble();
  window.localStorage.removeItem(THEME_STORAGE_KEY);
  vi.mocked(getMe).mockResolvedValue(builtinMe());
  vi.mocked(getNotifications).mockResolvedValue({ data: [], total: 0, unread: 0 });
  vi.mocked(updateMe).mockImplementation(async ({ name }) => ({ ...builtinMe(), user: { ...builtinMe().user, name } }));
  vi.mocked(changePassword).mockResolvedValue({ endedSessions: 2 });
  vi.mocked(getSessions).mockResolvedValue(sessions);
  vi.mocked(endSession).mockResolvedValue(undefined);
});

describe('/settings tabs', () => {
  it('lists Profile, Password, Appearance, Sessions and Notifications; /settings still opens Notifications', async () => {
    const { currentUrl } = renderPortal('/settings');
    const tabs = await screen.findByRole('navigation', { name: 'Settings' });
    expect(within(tabs).getAllByRole('link').map((l) => l.textContent)).toEqual(['Profile', 'Password', 'Appearance', 'Sessions', 'Notifications']);
    await waitFor(() => expect(currentUrl()).toBe('/settings/notifications'));
  });
});

describe('/settings/profile', () => {
  it('shows the email read-only and previews the initials of the name being typed', async () => {
    const user = userEvent.setup();
    renderPortal('/settings/profile');
    const name = await screen.findByRole('textbox', { name: 'Name' });
    expect(name).toHaveValue('Ada Lovelace');
    expect(screen.getByRole('textbox', { name: 'Email' })).toHaveAttribute('readonly');
    expect(screen.getByTestId('avatar-preview')).toHaveTextContent('AL');
    await user.clear(name);
    await user.type(name, 'Grace Brewster Hopper');
    expect(screen.getByTestId('avatar-preview')).toHaveTextContent('GH');
  });

  it('refuses an empty name without calling the API', async () => {
    const user = userEvent.setup();
    renderPortal('/settings/profile');
    const name = await screen.findByRole('textbox', { name: 'Name' });
    await user.clear(name);
    await user.type(name, '   ');
    await user.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByText('Enter your name')).toBeInTheDocument();
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(updateMe).not.toHaveBeenCalled();
  });

  it('saves the name, confirms with a toast and shows it in the account menu', async () => {
    const user = userEvent.setup();
    renderPortal('/settings/profile');
    const name = await screen.findByRole('textbox', { name: 'Name' });
    await user.clear(name);
    await user.type(name, 'Ada King');
    await user.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByText('Profile saved.')).toBeInTheDocument();
    expect(updateMe).toHaveBeenCalledWith({ name: 'Ada King' });
    expect(await screen.findByRole('button', { name: 'Account menu for Ada King' })).toBeInTheDocument();
  });

  it("shows the API's refusal on the name field", async () => {
    vi.mocked(updateMe).mockRejectedValue(validation('body.name', 'Too long for a name'));
    const user = userEvent.setup();
    renderPortal('/settings/profile');
    const name = await screen.findByRole('textbox', { name: 'Name' });
    await user.type(name, ' Byron');
    await user.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByText('Too long for a name')).toBeInTheDocument();
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name.getAttribute('aria-describedby')).toContain('profile-name-error');
  });
});

describe('/settings/password', () => {
  async function fill(current: string, next: string, confirm: string) {
    const user = userEvent.setup();
    renderPortal('/settings/password');
    if (current) await user.type(await screen.findByLabelText('Current password'), current);
    if (next) await user.type(await screen.findByLabelText('New password'), next);
    if (confirm) await user.type(await screen.findByLabelText('Confirm new password'), confirm);
    await user.click(await screen.findByRole('button', { name: 'Change password' }));
    return user;
  }

  it('checks the fields in the browser: required, length, confirmation', async () => {
    await fill('', 'short', 'short');
    expect(await screen.findByText('Enter your current password')).toBeInTheDocument();
    expect(screen.getByText('Use at least 10 characters')).toBeInTheDocument();
    expect(screen.getByLabelText('Current password')).toHaveFocus();
    expect(changePassword).not.toHaveBeenCalled();
  });

  it('refuses a confirmation that does not match', async () => {
    await fill('demo1234!', 'a-long-new-secret', 'a-long-new-secreT');
    expect(await screen.findByText('The passwords do not match')).toBeInTheDocument();
    expect(screen.getByLabelText('Confirm new password')).toHaveAttribute('aria-invalid', 'true');
    expect(changePassword).not.toHaveBeenCalled();
  });

  it('shows a wrong current password on its field', async () => {
    vi.mocked(changePassword).mockRejectedValue(refusal(403, 'CURRENT_PASSWORD_INCORRECT', 'body.currentPassword', 'The current password is not correct'));
    await fill('wrong-one', 'a-long-new-secret', 'a-long-new-secret');
    expect(await screen.findByText('The current password is not correct')).toBeInTheDocument();
    expect(screen.getByLabelText('Current password')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('changes the password, clears the form and says how many sessions were signed out', async () => {
    await fill('demo1234!', 'a-long-new-secret', 'a-long-new-secret');
    expect(await screen.findByText('Password changed. 2 other sessions were signed out.')).toBeInTheDocument();
    expect(changePassword).toHaveBeenCalledWith({ currentPassword: 'demo1234!', newPassword: 'a-long-new-secret' });
    expect(screen.getByLabelText('Current password')).toHaveValue('');
  });

  it("with an external identity provider, links to its account console instead of a form", async () => {
    vi.mocked(getMe).mockResolvedValue({ ...builtinMe(), identity: { provider: 'external', accountUrl: 'https://sso.example.test/realms/cbp/account' } });
    renderPortal('/settings/password');
    const link = await screen.findByRole('link', { name: /Open the account console/ });
    expect(link).toHaveAttribute('href', 'https://sso.example.test/realms/cbp/account');
    expect(screen.queryByLabelText('Current password')).not.toBeInTheDocument();
  });
});

describe('/settings/appearance', () => {
  it('switches between light, dark and the system theme', async () => {
    const user = userEvent.setup();
    renderPortal('/settings/appearance');
    expect(await screen.findByRole('radio', { name: /System/ })).toBeChecked();
    await user.click(screen.getByRole('radio', { name: /Dark/ }));
    expect(document.documentElement).toHaveClass('dark');
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');
    await user.click(screen.getByRole('radio', { name: /System/ }));
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBeNull();
    expect(screen.getByRole('radio', { name: /System/ })).toBeChecked();
  });
});

describe('/settings/sessions', () => {
  it('lists the sessions with this device marked, and signs out the others after confirmation', async () => {
    const user = userEvent.setup();
    renderPortal('/settings/sessions');
    const list = await screen.findByRole('list', { name: 'Sessions' });
    const rows = within(list).getAllByTestId('session-row');
    expect(rows).toHaveLength(3);
    expect(within(rows[0]!).getByText('This device')).toBeInTheDocument();
    expect(within(rows[0]!).queryByRole('button', { name: /Sign out/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Sign out other sessions' }));
    const dialog = await screen.findByRole('dialog', { name: 'Sign out other sessions?' });
    expect(dialog).toHaveTextContent('Your 2 other sessions will have to sign in again');
    expect(endSession).not.toHaveBeenCalled();
    vi.mocked(getSessions).mockResolvedValue(sessions.slice(0, 1));
    await user.click(within(dialog).getByRole('button', { name: 'Sign out others' }));
    expect(await screen.findByText('Your other sessions were signed out.')).toBeInTheDocument();
    expect(vi.mocked(endSession).mock.calls.map(([id]) => id)).toEqual(['uid-phone', 'uid-office']);
    await waitFor(() => expect(within(screen.getByRole('list', { name: 'Sessions' })).getAllByTestId('session-row')).toHaveLength(1));
  });
});
