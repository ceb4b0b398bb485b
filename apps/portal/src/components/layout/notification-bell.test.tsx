import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { NOTIFICATION_POLL_MS } from '@/components/notifications/notification-format';
import { getNotifications, markAllAsRead, markAsRead } from '@/services/notifications.service';
import { getMe } from '@/services/session.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { notification } from '@/test/notification-fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import type { Notification } from '@/types/notification';
import type { Role } from '@/types/session';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/notifications.service');

function signInAs(role: Role) {
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, role)));
}

/** The API's answer: these notifications, and the unread count (of these unless told). */
function serve(items: Notification[], unread = items.filter((item) => !item.read).length) {
  vi.mocked(getNotifications).mockResolvedValue({ data: items, total: items.length, unread });
}

const now = new Date();
const quota = notification({}, now);
const invoice = notification(
  { type: 'invoice.issued', title: 'New invoice', body: 'Invoice INV-0042 for $49.00 was issued.', severity: 'info', link: '/billing/invoices', read: true, createdAt: new Date(now.getTime() - 3 * 3_600_000).toISOString() },
  now,
);
const payment = notification(
  { type: 'payment.failed', title: 'Payment failed', body: 'The card ending 4242 was declined.', severity: 'critical', link: '/team' },
  now,
);

beforeEach(() => {
  resetOidcDouble();
  signInAs('admin');
  serve([quota, payment, invoice]);
  vi.mocked(markAsRead).mockResolvedValue(undefined);
  vi.mocked(markAllAsRead).mockResolvedValue({ updated: 2, unread: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('notification bell', () => {
  it('shows the unread count in its badge and its accessible name, 99+ above 99, for every role', async () => {
    signInAs('analyst');
    const first = renderPortal('/');
    expect(await screen.findByRole('button', { name: 'Notifications, 2 unread' })).toBeInTheDocument();
    expect(screen.getByTestId('notification-count')).toHaveTextContent('2');
    expect(getNotifications).toHaveBeenCalledWith({ page: 1, limit: 8 });
    first.unmount();

    serve([quota], 120);
    const second = renderPortal('/');
    expect(await screen.findByRole('button', { name: 'Notifications, 99+ unread' })).toBeInTheDocument();
    expect(screen.getByTestId('notification-count')).toHaveTextContent('99+');
    second.unmount();

    serve([invoice]);
    renderPortal('/');
    expect(await screen.findByRole('button', { name: 'Notifications, none unread' })).toBeInTheDocument();
    expect(screen.queryByTestId('notification-count')).not.toBeInTheDocument();
  });

  it('opens a menu of the latest with severity, title, relative time and unread dot; Escape closes it and focus returns', async () => {
    const user = userEvent.setup();
    renderPortal('/');
    const bell = await screen.findByRole('button', { name: 'Notifications, 2 unread' });
    await user.click(bell);

    const menu = await screen.findByRole('menu', { name: 'Notifications' });
    const items = within(menu).getAllByTestId('bell-item');
    expect(items).toHaveLength(3);
    expect(items[0]).toHaveTextContent('Warning:');
    expect(items[0]).toHaveTextContent('Usage above the soft limit');
    expect(items[0]).toHaveTextContent('1 minute ago');
    expect(within(items[0] as HTMLElement).getByTestId('unread-dot')).toHaveTextContent('Unread');
    expect(items[1]).toHaveTextContent('Critical:');
    expect(items[2]).toHaveTextContent('Info:');
    expect(items[2]).toHaveTextContent('3 hours ago');
    expect(within(items[2] as HTMLElement).queryByTestId('unread-dot')).not.toBeInTheDocument();
    expect(within(menu).getByRole('menuitem', { name: 'View all notifications' })).toHaveAttribute('href', '/notifications');

    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('menu')).not.toBeInTheDocument());
    expect(bell).toHaveFocus();
  });

  it('"Mark all read" clears the count and the dots, and keeps the menu open', async () => {
    const user = userEvent.setup();
    renderPortal('/');
    await user.click(await screen.findByRole('button', { name: 'Notifications, 2 unread' }));
    const menu = await screen.findByRole('menu', { name: 'Notifications' });
    expect(within(menu).getAllByTestId('unread-dot')).toHaveLength(2);

    serve([quota, payment, invoice].map((item) => ({ ...item, read: true })));
    await user.click(within(menu).getByRole('menuitem', { name: 'Mark all read' }));

    expect(markAllAsRead).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole('button', { name: 'Notifications, none unread' })).toBeInTheDocument();
    expect(screen.queryByTestId('notification-count')).not.toBeInTheDocument();
    expect(screen.getByRole('menu', { name: 'Notifications' })).toBeInTheDocument();
    expect(within(menu).queryAllByTestId('unread-dot')).toHaveLength(0);
    expect(within(menu).getByRole('menuitem', { name: 'Mark all read' })).toHaveAttribute('aria-disabled', 'true');
  });

  it('choosing a notification follows its link and marks it read', async () => {
    const user = userEvent.setup();
    const { currentUrl } = renderPortal('/');
    await user.click(await screen.findByRole('button', { name: 'Notifications, 2 unread' }));
    const menu = await screen.findByRole('menu', { name: 'Notifications' });

    await user.click(within(menu).getAllByTestId('bell-item')[1] as HTMLElement);

    await waitFor(() => expect(currentUrl()).toBe('/team'));
    expect(markAsRead).toHaveBeenCalledWith(payment.id);
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
  });

  it('says when there is nothing, and "View all" opens the notifications page', async () => {
    serve([]);
    const user = userEvent.setup();
    const { currentUrl } = renderPortal('/');
    await user.click(await screen.findByRole('button', { name: 'Notifications, none unread' }));
    expect(await screen.findByTestId('bell-empty')).toHaveTextContent("You're all caught up");

    await user.click(screen.getByRole('menuitem', { name: 'View all notifications' }));
    await waitFor(() => expect(currentUrl()).toBe('/notifications'));
    expect(await screen.findByRole('heading', { level: 1, name: 'Notifications' })).toBeInTheDocument();
  });

  it('asks again every 30 s while the tab is visible, not while it is hidden, and at once on coming back', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let visibility: DocumentVisibilityState = 'visible';
    const spy = vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
    try {
      renderPortal('/');
      await screen.findByRole('button', { name: 'Notifications, 2 unread' });
      const before = vi.mocked(getNotifications).mock.calls.length;

      // A new warning arrives; the next poll shows it without a reload.
      serve([notification({ title: 'Usage reached the hard limit', severity: 'critical' }, now), quota, payment, invoice]);
      await act(() => vi.advanceTimersByTimeAsync(NOTIFICATION_POLL_MS + 100));
      await waitFor(() => expect(vi.mocked(getNotifications).mock.calls.length).toBe(before + 1));
      expect(await screen.findByRole('button', { name: 'Notifications, 3 unread' })).toBeInTheDocument();

      visibility = 'hidden';
      document.dispatchEvent(new Event('visibilitychange'));
      await act(() => vi.advanceTimersByTimeAsync(NOTIFICATION_POLL_MS * 3));
      expect(vi.mocked(getNotifications).mock.calls.length).toBe(before + 1);

      visibility = 'visible';
      document.dispatchEvent(new Event('visibilitychange'));
      await waitFor(() => expect(vi.mocked(getNotifications).mock.calls.length).toBe(before + 2));
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps quiet when the count cannot be loaded: the bell stays, without a count', async () => {
    vi.mocked(getNotifications).mockRejectedValue(new Error('Cannot reach the CBP API. Check your connection and try again.'));
    const user = userEvent.setup();
    renderPortal('/');
    const bell = await screen.findByRole('button', { name: 'Notifications' });
    expect(screen.queryByTestId('notification-count')).not.toBeInTheDocument();
    await user.click(bell);
    const menu = await screen.findByRole('menu', { name: 'Notifications' });
    expect(within(menu).getByRole('alert')).toHaveTextContent("We couldn't load your notifications.");
  });
});
