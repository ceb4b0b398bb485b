import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getNotificationSettings, getNotifications, updateNotificationSettings } from '@/services/notifications.service';
import { getMe } from '@/services/session.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { defaultSettings } from '@/test/notification-fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import type { NotificationSettings, NotificationSettingsPatch } from '@/types/notification';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/notifications.service');

/** Applies a patch as the API does: what is left out stays. */
function applied(settings: NotificationSettings, patch: NotificationSettingsPatch): NotificationSettings {
  const types = { ...settings.types } as Record<string, { inApp: boolean; email: boolean }>;
  for (const [type, change] of Object.entries(patch.types ?? {})) types[type] = { ...types[type]!, ...change };
  return {
    channels: { ...settings.channels, ...patch.channels },
    types: types as NotificationSettings['types'],
    digest: patch.digest ?? settings.digest,
  };
}

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'analyst')));
  vi.mocked(getNotifications).mockResolvedValue({ data: [], total: 0, unread: 0 });
  vi.mocked(getNotificationSettings).mockResolvedValue(defaultSettings());
  vi.mocked(updateNotificationSettings).mockImplementation(async (patch) => applied(defaultSettings(), patch));
});

describe('/settings/notifications', () => {
  it('is reached from the user menu: Settings opens the Notifications tab', async () => {
    const user = userEvent.setup();
    const { currentUrl } = renderPortal('/');
    await user.click(await screen.findByRole('button', { name: 'Account menu for Ada Lovelace' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Settings' }));

    await waitFor(() => expect(currentUrl()).toBe('/settings/notifications'));
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeInTheDocument();
    const tabs = screen.getByRole('navigation', { name: 'Settings' });
    expect(within(tabs).getByRole('link', { name: 'Notifications' })).toHaveAttribute('aria-current', 'page');
    expect(await screen.findByRole('heading', { level: 2, name: 'Notifications' })).toBeInTheDocument();
  });

  it('shows every type as a row with an In-app and an Email choice, as the API answered', async () => {
    renderPortal('/settings/notifications');
    const table = await screen.findByRole('table', { name: 'Notification types' });
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Type', 'In-app', 'Email']);
    expect(within(table).getAllByTestId('settings-type-row')).toHaveLength(Object.keys(defaultSettings().types).length);
    expect(within(table).getByRole('rowheader', { name: /Payment failed/ })).toHaveTextContent('An invoice could not be paid');
    expect(screen.getByRole('checkbox', { name: 'Payment failed: Email' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'New invoice: Email' })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'New invoice: In-app' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Daily digest email' })).not.toBeChecked();
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
  });

  it('saves only what changed with one PATCH, and confirms with a toast', async () => {
    const user = userEvent.setup();
    renderPortal('/settings/notifications');
    await screen.findByRole('table', { name: 'Notification types' });

    await user.click(screen.getByRole('checkbox', { name: 'Usage above the soft limit: Email' }));
    await user.click(screen.getByRole('checkbox', { name: 'New invoice: Email' }));
    await user.click(screen.getByRole('checkbox', { name: 'Daily digest email' }));
    expect(screen.getByText('Unsaved changes')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Save' }));

    await waitFor(() => expect(updateNotificationSettings).toHaveBeenCalledTimes(1));
    expect(updateNotificationSettings).toHaveBeenCalledWith({
      types: { 'quota.soft_limit_crossed': { email: false }, 'invoice.issued': { email: true } },
      digest: true,
    });
    expect(await screen.findByText('Notification settings saved.')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled());
    expect(screen.getByRole('checkbox', { name: 'Usage above the soft limit: Email' })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Daily digest email' })).toBeChecked();
  });

  it('turning a channel off sends the channel and disables its column', async () => {
    const user = userEvent.setup();
    renderPortal('/settings/notifications');
    await screen.findByRole('table', { name: 'Notification types' });

    await user.click(screen.getByRole('checkbox', { name: 'Email notifications' }));
    expect(screen.getByRole('checkbox', { name: 'Payment failed: Email' })).toBeDisabled();
    expect(screen.getByRole('checkbox', { name: 'Payment failed: In-app' })).toBeEnabled();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(updateNotificationSettings).toHaveBeenCalledWith({ channels: { email: false } }));
  });

  it('shows the API\'s field errors next to the form and keeps the changes', async () => {
    vi.mocked(updateNotificationSettings).mockRejectedValue(
      new ApiError('The request is not valid.', 400, {
        type: 'about:blank',
        title: 'Validation failed',
        status: 400,
        code: 'VALIDATION_ERROR',
        detail: 'The request is not valid.',
        errors: [{ path: 'body.types.payment.failed.email', message: 'Payment failures are always emailed to owners.' }],
      }),
    );
    const user = userEvent.setup();
    renderPortal('/settings/notifications');
    await screen.findByRole('table', { name: 'Notification types' });

    await user.click(screen.getByRole('checkbox', { name: 'Payment failed: Email' }));
    await user.click(screen.getByRole('button', { name: 'Save' }));

    const alert = await screen.findByTestId('settings-error');
    expect(alert).toHaveTextContent('Validation failed');
    expect(alert).toHaveTextContent('types.payment.failed.email: Payment failures are always emailed to owners.');
    const box = screen.getByRole('checkbox', { name: 'Payment failed: Email' });
    expect(box).toHaveAttribute('aria-invalid', 'true');
    expect(box).toHaveAccessibleDescription('Payment failures are always emailed to owners.');
    expect(box).not.toBeChecked();
    expect(screen.getByRole('button', { name: 'Save' })).toBeEnabled();
  });

  it('shows a failed load with a retry', async () => {
    vi.mocked(getNotificationSettings).mockRejectedValueOnce(new ApiError('The settings service is unavailable.', 503));
    const user = userEvent.setup();
    renderPortal('/settings/notifications');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load your notification settings");
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('table', { name: 'Notification types' })).toBeInTheDocument();
  });
});
