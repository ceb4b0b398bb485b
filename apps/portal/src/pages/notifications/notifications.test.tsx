import { beforeEach, describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getNotifications, markAllAsRead, markAsRead } from '@/services/notifications.service';
import { getMe } from '@/services/session.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { notification } from '@/test/notification-fixtures';
import { EventSourceDouble } from '@/test/event-source-double';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import type { Notification, NotificationListQuery } from '@/types/notification';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/notifications.service');

const now = new Date();
const quota = notification({}, now);
const payment = notification(
  { type: 'payment.failed', title: 'Payment failed', body: 'The card ending 4242 was declined.', severity: 'critical', link: '/team' },
  now,
);
const invoice = notification(
  { type: 'invoice.issued', title: 'Invoice INV-0042 is ready', body: 'Invoice INV-0042 was issued.', severity: 'info', link: '/billing/invoices', read: true },
  now,
);

/** A fake API over `items`: filters, pages, and marks as the real one would. */
function serve(items: Notification[]) {
  let store = items.map((item) => ({ ...item }));
  vi.mocked(getNotifications).mockImplementation(async ({ page = 1, limit = 20, read, type }: Partial<NotificationListQuery>) => {
    const matching = store.filter((item) => (read === undefined || String(item.read) === read) && (!type || item.type === type));
    return { data: matching.slice((page - 1) * limit, page * limit), total: matching.length, unread: store.filter((item) => !item.read).length };
  });
  vi.mocked(markAsRead).mockImplementation(async (id) => {
    store = store.map((item) => (item.id === id ? { ...item, read: true } : item));
  });
  vi.mocked(markAllAsRead).mockImplementation(async () => {
    const updated = store.filter((item) => !item.read).length;
    store = store.map((item) => ({ ...item, read: true }));
    return { updated, unread: 0 };
  });
}

/** The page's calls (the bell in the header asks with limit 8). */
const pageQueries = () => vi.mocked(getNotifications).mock.calls.map(([query]) => query).filter((query) => query.limit === 20);
const items = () => screen.getAllByTestId('notification-item');

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'analyst')));
  serve([quota, payment, invoice]);
});

describe('/notifications', () => {
  it('shows a new notification as it arrives over the live stream, without a reload', async () => {
    EventSourceDouble.reset();
    renderPortal('/notifications');
    await waitFor(() => expect(items()).toHaveLength(3));
    const stream = EventSourceDouble.latest();
    act(() => stream.open());
    const arrived = notification({ title: 'Usage above the soft limit (api_calls)', createdAt: new Date().toISOString() }, now);
    serve([arrived, quota, payment, invoice]);
    act(() => stream.notify({ notification: arrived, unread: 3 }, '7'));
    await waitFor(() => expect(items()).toHaveLength(4));
    expect(items()[0]).toHaveTextContent('Usage above the soft limit (api_calls)');
  });

  it('lists an analyst\'s notifications newest first with severity, title, body, type, time and unread state', async () => {
    renderPortal('/notifications');
    expect(await screen.findByRole('heading', { level: 1, name: 'Notifications' })).toBeInTheDocument();
    await waitFor(() => expect(items()).toHaveLength(3));
    expect(screen.getByTestId('notification-count-summary')).toHaveTextContent('3 notifications · 2 unread');

    const first = within(items()[0] as HTMLElement);
    expect(first.getByText('Warning:')).toBeInTheDocument();
    expect(first.getByRole('link', { name: 'Usage above the soft limit' })).toHaveAttribute('href', '/usage/quotas');
    expect(first.getByText('API calls are at 85% of the hard limit.')).toBeInTheDocument();
    expect(first.getByText('Unread')).toBeInTheDocument();
    // The type is named when the title does not already say it.
    expect(items()[0]).not.toHaveTextContent('·');
    expect(items()[0]).toHaveTextContent('1 minute ago');
    expect(items()[1]).toHaveTextContent('Payment failed');
    expect(within(items()[2] as HTMLElement).getByText(/^New invoice ·/)).toHaveTextContent('New invoice · 1 minute ago');
    expect(within(items()[2] as HTMLElement).queryByText('Unread')).not.toBeInTheDocument();
    expect(within(items()[2] as HTMLElement).queryByRole('button', { name: /mark/i })).not.toBeInTheDocument();
    expect(pageQueries()[0]).toEqual({ page: 1, limit: 20 });
  });

  it('keeps the All/Unread choice and the type in the URL, asks the API for them, and opens a shared URL with them', async () => {
    const user = userEvent.setup();
    const { currentUrl, unmount } = renderPortal('/notifications');
    await waitFor(() => expect(items()).toHaveLength(3));

    await user.selectOptions(screen.getByLabelText('Show'), 'unread');
    await waitFor(() => expect(currentUrl()).toBe('/notifications?show=unread'));
    await waitFor(() => expect(items()).toHaveLength(2));
    expect(pageQueries().at(-1)).toEqual({ page: 1, limit: 20, read: 'false' });

    await user.selectOptions(screen.getByLabelText('Type'), 'payment.failed');
    await waitFor(() => expect(currentUrl()).toBe('/notifications?show=unread&type=payment.failed'));
    await waitFor(() => expect(items()).toHaveLength(1));
    expect(pageQueries().at(-1)).toEqual({ page: 1, limit: 20, read: 'false', type: 'payment.failed' });

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(currentUrl()).toBe('/notifications'));
    await waitFor(() => expect(items()).toHaveLength(3));
    unmount();

    renderPortal('/notifications?show=read&type=invoice.issued');
    await waitFor(() => expect(items()).toHaveLength(1));
    expect(screen.getByLabelText('Show')).toHaveValue('read');
    expect(screen.getByLabelText('Type')).toHaveValue('invoice.issued');
  });

  it('marks one as read, and following a notification\'s link marks it read too', async () => {
    const user = userEvent.setup();
    const { currentUrl } = renderPortal('/notifications');
    await waitFor(() => expect(items()).toHaveLength(3));

    await user.click(screen.getByRole('button', { name: 'Mark “Usage above the soft limit” as read' }));
    expect(markAsRead).toHaveBeenCalledWith(quota.id);
    await waitFor(() => expect(within(items()[0] as HTMLElement).queryByText('Unread')).not.toBeInTheDocument());
    await waitFor(() => expect(screen.getByTestId('notification-count-summary')).toHaveTextContent('3 notifications · 1 unread'));
    expect(await screen.findByRole('button', { name: 'Notifications, 1 unread' })).toBeInTheDocument();

    await user.click(screen.getByRole('link', { name: 'Payment failed' }));
    await waitFor(() => expect(currentUrl()).toBe('/team'));
    expect(markAsRead).toHaveBeenCalledWith(payment.id);
    expect(await screen.findByRole('button', { name: 'Notifications, none unread' })).toBeInTheDocument();
  });

  it('marks all as read', async () => {
    const user = userEvent.setup();
    renderPortal('/notifications');
    await waitFor(() => expect(items()).toHaveLength(3));

    await user.click(screen.getByRole('button', { name: 'Mark all read' }));
    expect(markAllAsRead).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.getByTestId('notification-count-summary')).toHaveTextContent('3 notifications · 0 unread'));
    expect(screen.queryByText('Unread')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Mark all read' })).toBeDisabled();
  });

  it('pages through a long list', async () => {
    const many = Array.from({ length: 25 }, (_, index) => notification({ title: `Notice ${index + 1}` }, now));
    serve(many);
    const user = userEvent.setup();
    const { currentUrl } = renderPortal('/notifications');
    await waitFor(() => expect(items()).toHaveLength(20));
    expect(screen.getByTestId('page-indicator')).toHaveTextContent('Page 1 of 2');

    await user.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(currentUrl()).toBe('/notifications?page=2'));
    await waitFor(() => expect(items()).toHaveLength(5));
    expect(items()[0]).toHaveTextContent('Notice 21');
  });

  it('says when there is nothing, or nothing matching, and shows a failed load with a retry', async () => {
    serve([invoice]);
    const user = userEvent.setup();
    const { unmount } = renderPortal('/notifications?show=unread');
    expect(await screen.findByTestId('notifications-empty')).toHaveTextContent('No notifications match these filters');
    await user.click(within(screen.getByTestId('notifications-empty')).getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(items()).toHaveLength(1));
    unmount();

    serve([]);
    const second = renderPortal('/notifications');
    expect(await screen.findByTestId('notifications-empty')).toHaveTextContent('No notifications yet');
    second.unmount();

    vi.mocked(getNotifications).mockRejectedValue(new ApiError('The notification service is unavailable.', 503));
    renderPortal('/notifications');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load your notifications");
    expect(alert).toHaveTextContent('The notification service is unavailable.');
    serve([quota]);
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(items()).toHaveLength(1));
  });
});
