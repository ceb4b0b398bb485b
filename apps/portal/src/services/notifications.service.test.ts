import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toast } from 'sonner';
import {
  getNotificationSettings,
  getNotifications,
  markAllAsRead,
  markAsRead,
  updateNotificationSettings,
} from '@/services/notifications.service';
import { defaultSettings, notification } from '@/test/notification-fixtures';
import { answer, resetApiDouble, restoreApi, sent } from '@/test/api-double';
import { resetOidcDouble } from '@/test/oidc-double';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('sonner', () => ({ toast: { error: vi.fn(), success: vi.fn() } }));

beforeEach(() => {
  resetOidcDouble();
  resetApiDouble();
});
afterEach(() => {
  restoreApi();
});

describe('notifications.service', () => {
  it('lists with only the filters that are set and checks the answer against the contract', async () => {
    const item = notification();
    answer({ data: [item], total: 1, unread: 1 });
    await expect(getNotifications({ page: 2, limit: 20, read: 'false', type: 'payment.failed' })).resolves.toEqual({
      data: [item],
      total: 1,
      unread: 1,
    });
    expect(sent[0]?.method).toBe('get');
    expect(sent[0]?.url).toBe('/notifications');
    expect(sent[0]?.params).toEqual({ page: 2, limit: 20, read: 'false', type: 'payment.failed' });

    answer({ data: [item], total: 1, unread: 1 });
    await getNotifications({ page: 1, limit: 8, read: undefined });
    expect(sent[1]?.params).toEqual({ page: 1, limit: 8 });

    answer({ data: [{ ...item, severity: 'fatal' }], total: 1, unread: 1 });
    await expect(getNotifications({ page: 1 })).rejects.toThrow('The server sent GET /notifications in an unexpected shape.');
  });

  it('marks one read by id and all read, with the calls the contract names', async () => {
    const item = notification();
    answer(null, 204);
    await markAsRead(item.id);
    expect(sent[0]?.method).toBe('patch');
    expect(sent[0]?.url).toBe(`/notifications/${item.id}/read`);

    answer({ updated: 3, unread: 0 });
    await expect(markAllAsRead()).resolves.toEqual({ updated: 3, unread: 0 });
    expect(sent[1]?.method).toBe('post');
    expect(sent[1]?.url).toBe('/notifications/read-all');
  });

  it('reads the settings and sends only the given patch', async () => {
    const settings = defaultSettings();
    answer(settings);
    await expect(getNotificationSettings()).resolves.toEqual(settings);
    expect(sent[0]?.url).toBe('/notifications/settings');

    const saved = { ...settings, digest: true };
    answer(saved);
    await expect(updateNotificationSettings({ types: { 'payment.failed': { email: false } }, digest: true })).resolves.toEqual(saved);
    expect(sent[1]?.method).toBe('patch');
    expect(sent[1]?.url).toBe('/notifications/settings');
    expect(JSON.parse(String(sent[1]?.data))).toEqual({ types: { 'payment.failed': { email: false } }, digest: true });
  });

  it('never toasts a failed read (the bell polls in the background); a refused mark is toasted', async () => {
    answer({ type: 'about:blank', title: 'Service unavailable', status: 503, code: 'SERVICE_UNAVAILABLE' }, 503);
    await expect(getNotifications({ page: 1 })).rejects.toMatchObject({ statusCode: 503 });
    await expect(getNotificationSettings()).rejects.toMatchObject({ statusCode: 503 });
    expect(toast.error).not.toHaveBeenCalled();

    answer({ type: 'about:blank', title: 'Not found', status: 404, code: 'NOT_FOUND', detail: 'No such notification.' }, 404);
    await expect(markAsRead(notification().id)).rejects.toMatchObject({ statusCode: 404 });
    expect(toast.error).toHaveBeenCalledTimes(1);
    expect(vi.mocked(toast.error).mock.calls[0]?.[0]).toBe('Not found');
  });
});
