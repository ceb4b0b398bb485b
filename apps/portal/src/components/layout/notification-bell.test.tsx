import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { STREAM_FALLBACK_POLL_MS } from '@/hooks/use-notifications';
import { getNotifications, markAllAsRead, markAsRead } from '@/services/notifications.service';
import { acme } from '@/test/fixtures';
import { notification } from '@/test/notification-fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { EventSourceDouble } from '@/test/event-source-double';
import { renderPortal } from '@/test/render-portal';
import type { Notification } from '@/types/notification';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/notifications.service');


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
  EventSourceDouble.reset();
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

  it('shows a notification from the live stream at once, in the badge and the menu, without a reload or a poll', async () => {
    const user = userEvent.setup();
    renderPortal('/');
    await screen.findByRole('button', { name: 'Notifications, 2 unread' });
    const stream = EventSourceDouble.latest();
    expect(stream.url).toMatch(/\/notifications\/stream$/);
    stream.open();
    // The reload the event also asks for never answers here: what shows came with the event.
    vi.mocked(getNotifications).mockReturnValue(new Promise(() => {}));
    const warning = notification({ title: 'Usage above the soft limit (storage)', body: 'Storage is at 81% of its hard limit.' }, now);
    act(() => stream.notify({ notification: warning, unread: 3 }, '41'));

    const bell = await screen.findByRole('button', { name: 'Notifications, 3 unread' });
    expect(screen.getByTestId('notification-count')).toHaveTextContent('3');
    await user.click(bell);
    const menu = await screen.findByRole('menu', { name: 'Notifications' });
    expect(within(menu).getAllByTestId('bell-item')[0]).toHaveTextContent('Usage above the soft limit (storage)');
    // Not critical: no toast.
    expect(screen.queryByText('Storage is at 81% of its hard limit.', { selector: '[data-sonner-toast] *' })).not.toBeInTheDocument();
  });

  it('toasts critical notifications as they arrive', async () => {
    renderPortal('/');
    await screen.findByRole('button', { name: 'Notifications, 2 unread' });
    const stream = EventSourceDouble.latest();
    stream.open();
    const critical = notification({ type: 'quota.hard_limit_crossed', title: 'Usage reached the hard limit', body: 'API calls are blocked until the period ends.', severity: 'critical' }, now);
    act(() => stream.notify({ notification: critical, unread: 3 }, '42'));
    const toast = await screen.findByText('API calls are blocked until the period ends.');
    expect(toast.closest('[data-sonner-toast]')).toHaveTextContent('Usage reached the hard limit');
  });

  it('connects with the token and the tenant, and resumes after the last event it received', async () => {
    renderPortal('/');
    await screen.findByRole('button', { name: 'Notifications, 2 unread' });
    const first = EventSourceDouble.latest();
    const headers = await first.requestHeaders();
    expect(headers.get('Authorization')).toMatch(/^Bearer \S+/);
    expect(headers.get('X-Tenant-Id')).toBe(acme.id);
    expect(headers.get('Last-Event-ID')).toBeNull();

    first.open();
    act(() => first.notify({ notification: notification({}, now), unread: 3 }, '57'));
    vi.useFakeTimers({ shouldAdvanceTime: true });
    act(() => first.fail());
    await act(() => vi.advanceTimersByTimeAsync(1_100));
    const second = EventSourceDouble.latest();
    expect(second).not.toBe(first);
    expect(first.readyState).toBe(first.CLOSED);
    expect((await second.requestHeaders()).get('Last-Event-ID')).toBe('57');
  });

  it('while the stream is down: reconnects with growing, jittered waits and polls slowly; once back, the poll stops', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderPortal('/');
    await screen.findByRole('button', { name: 'Notifications, 2 unread' });
    const first = EventSourceDouble.latest();
    first.open();
    const calls = () => vi.mocked(getNotifications).mock.calls.length;
    await waitFor(() => expect(calls()).toBeGreaterThanOrEqual(2)); // the first load, and the reload on connecting

    // The API stays unreachable for two minutes: every attempt fails at once.
    const failing = () => {
      const latest = EventSourceDouble.latest();
      if (latest.readyState !== latest.CLOSED) act(() => latest.fail());
    };
    failing();
    const before = calls();
    for (let second = 0; second < 120; second += 1) {
      await act(() => vi.advanceTimersByTimeAsync(1_000));
      failing();
    }
    // Backoff 1 s, 2 s, 4 s … (capped at 60 s, each between half and all of it): a handful of attempts, not one a second.
    const attempts = EventSourceDouble.instances.length - 1;
    expect(attempts).toBeGreaterThanOrEqual(4);
    expect(attempts).toBeLessThanOrEqual(8);
    // Meanwhile the slow poll (once a minute) kept the bell current.
    expect(calls() - before).toBeGreaterThanOrEqual(1);
    expect(calls() - before).toBeLessThanOrEqual(3);

    // The stream is back: one reload, and no more polling.
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    const back = EventSourceDouble.latest();
    expect(back.readyState).not.toBe(back.CLOSED);
    act(() => back.open());
    await waitFor(() => expect(calls()).toBeGreaterThan(0));
    const afterOpen = calls();
    await act(() => vi.advanceTimersByTimeAsync(STREAM_FALLBACK_POLL_MS * 3));
    expect(calls()).toBeLessThanOrEqual(afterOpen + 1);
    expect(EventSourceDouble.instances.filter((s) => s.readyState !== s.CLOSED)).toHaveLength(1);
  });

  it('closes its stream when the bell goes away (sign-out, no access)', async () => {
    const view = renderPortal('/');
    await screen.findByRole('button', { name: 'Notifications, 2 unread' });
    const stream = EventSourceDouble.latest();
    view.unmount();
    expect(stream.readyState).toBe(stream.CLOSED);
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
