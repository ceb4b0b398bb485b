import { useEffect } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { BELL_LIMIT, NOTIFICATION_POLL_MS } from '@/components/notifications/notification-format';
import { useSession } from '@/hooks/use-session';
import { canAccess } from '@/lib/role-parser';
import {
  getNotificationSettings,
  getNotifications,
  markAllAsRead,
  markAsRead,
  updateNotificationSettings,
} from '@/services/notifications.service';
import type { NotificationListQuery, NotificationPage, NotificationSettings, NotificationSettingsPatch } from '@/types/notification';

/** Under the tenant, so a tenant switch (or any tenant-wide refresh) reloads them. */
export const notificationKeys = {
  all: (tenantId: string | null) => ['tenant', tenantId, 'notifications'] as const,
  lists: (tenantId: string | null) => ['tenant', tenantId, 'notifications', 'list'] as const,
  list: (tenantId: string | null, query: Partial<NotificationListQuery>) => ['tenant', tenantId, 'notifications', 'list', query] as const,
  settings: (tenantId: string | null) => ['tenant', tenantId, 'notifications', 'settings'] as const,
};

/**
 * Where "your notifications may have changed" comes from: a function that starts listening and
 * returns how to stop. Today a poll; the live stream (`GET /notifications/stream`, an
 * EventSource) is another such source, handed to `useNotificationUpdates` in place of the poll,
 * and nothing else changes.
 */
export type NotificationUpdateSource = (onChange: () => void) => () => void;

/**
 * Asks every `intervalMs` while the tab is visible; paused while it is hidden, and asks at once
 * on coming back when a poll was missed.
 */
export function pollingSource(intervalMs: number = NOTIFICATION_POLL_MS): NotificationUpdateSource {
  return (onChange) => {
    let timer: ReturnType<typeof setInterval> | undefined;
    let last = Date.now();
    const tick = () => {
      last = Date.now();
      onChange();
    };
    const start = () => {
      timer ??= setInterval(tick, intervalMs);
    };
    const stop = () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') {
        stop();
        return;
      }
      if (Date.now() - last >= intervalMs) tick();
      start();
    };
    if (document.visibilityState !== 'hidden') start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  };
}

const defaultSource = pollingSource();

/** Whether the user may see notifications in the selected tenant (analyst and above). */
function useNotificationsEnabled(): { tenantId: string | null; enabled: boolean } {
  const { tenantId, role } = useSession();
  return { tenantId, enabled: tenantId !== null && canAccess(role, 'notifications', 'list') };
}

/** Mounted once (by the bell): reloads every notification list whenever the source signals a change. */
export function useNotificationUpdates(source: NotificationUpdateSource = defaultSource): void {
  const queryClient = useQueryClient();
  const { tenantId, enabled } = useNotificationsEnabled();
  useEffect(() => {
    if (!enabled) return undefined;
    return source(() => {
      void queryClient.invalidateQueries({ queryKey: notificationKeys.lists(tenantId) });
    });
  }, [enabled, queryClient, source, tenantId]);
}

/** A page of the user's notifications with the total and the unread count. */
export function useNotificationList(query: Partial<NotificationListQuery>) {
  const { tenantId, enabled } = useNotificationsEnabled();
  return useQuery({
    queryKey: notificationKeys.list(tenantId, query),
    queryFn: () => getNotifications(query),
    enabled,
    placeholderData: keepPreviousData,
  });
}

/** The latest few and the unread count, for the bell. */
export function useLatestNotifications() {
  return useNotificationList({ page: 1, limit: BELL_LIMIT });
}

/** Every cached page shows the change at once; the lists are then reloaded from the API. */
function updateCachedLists(queryClient: QueryClient, tenantId: string | null, change: (page: NotificationPage) => NotificationPage) {
  queryClient.setQueriesData<NotificationPage>({ queryKey: notificationKeys.lists(tenantId) }, (page) => (page ? change(page) : page));
}

export function useMarkAsRead() {
  const queryClient = useQueryClient();
  const { tenantId } = useSession();
  return useMutation({
    mutationFn: (id: string) => markAsRead(id),
    onMutate: (id) => {
      updateCachedLists(queryClient, tenantId, (page) => {
        const target = page.data.find((item) => item.id === id);
        if (!target || target.read) return page;
        return {
          ...page,
          unread: Math.max(0, page.unread - 1),
          data: page.data.map((item) => (item.id === id ? { ...item, read: true } : item)),
        };
      });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationKeys.lists(tenantId) }),
  });
}

export function useMarkAllAsRead() {
  const queryClient = useQueryClient();
  const { tenantId } = useSession();
  return useMutation({
    mutationFn: markAllAsRead,
    onMutate: () => {
      updateCachedLists(queryClient, tenantId, (page) => ({ ...page, unread: 0, data: page.data.map((item) => ({ ...item, read: true })) }));
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationKeys.lists(tenantId) }),
  });
}

export function useNotificationSettings() {
  const { tenantId, enabled } = useNotificationsEnabled();
  return useQuery({ queryKey: notificationKeys.settings(tenantId), queryFn: getNotificationSettings, enabled });
}

export function useUpdateNotificationSettings() {
  const queryClient = useQueryClient();
  const { tenantId } = useSession();
  return useMutation({
    mutationFn: (patch: NotificationSettingsPatch) => updateNotificationSettings(patch),
    onSuccess: (saved: NotificationSettings) => {
      queryClient.setQueryData(notificationKeys.settings(tenantId), saved);
    },
  });
}
