import { useEffect } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { EventSource, type EventSourceFetchInit } from 'eventsource';
import { toast } from 'sonner';
import { NotificationStreamEvent, notificationStreamEventName } from '@cbp/contracts';
import { BELL_LIMIT, NOTIFICATION_POLL_MS } from '@/components/notifications/notification-format';
import { useSession } from '@/hooks/use-session';
import { config } from '@/lib/config';
import { getAccessToken } from '@/lib/oidc';
import { canAccess } from '@/lib/role-parser';
import { getSelectedTenantId } from '@/lib/tenant';
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
 * returns how to stop. `onChange`: reload the lists; `onNotification`: one new notification
 * arrived (the stream says which, so the bell shows it at once). This file is the only place
 * that knows the transport: the live stream (`streamSource`), with a slow poll only while the
 * stream is down.
 */
export type NotificationUpdateSource = (onChange: () => void, onNotification?: (event: NotificationStreamEvent) => void) => () => void;

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

/** The poll while the stream is down (slow: the stream is the way, this only bridges an outage). */
export const STREAM_FALLBACK_POLL_MS = 60_000;
/** Reconnection backoff after a stream error: doubling from the first, capped, with jitter. */
export const STREAM_RETRY_FIRST_MS = 1_000;
export const STREAM_RETRY_MAX_MS = 60_000;

/** The wait before reconnection attempt `attempt` (1, 2, …): half fixed, half random, so tabs never reconnect in step. */
export function streamRetryDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(STREAM_RETRY_MAX_MS, STREAM_RETRY_FIRST_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * The live stream `GET /notifications/stream` (Server-Sent Events) through the `eventsource`
 * package, whose `fetch` option lets us send the Bearer token and `X-Tenant-Id` (a browser
 * EventSource cannot). On an error the connection is closed and opened again after a backoff
 * with jitter (resuming with `Last-Event-ID`, so nothing is missed or repeated); meanwhile a
 * slow poll keeps the bell roughly current. Every (re)connection reloads the lists once.
 */
export function streamSource({
  url = `${config.apiUrl}/notifications/stream`,
  fallbackPollMs = STREAM_FALLBACK_POLL_MS,
  random = Math.random,
}: { url?: string; fallbackPollMs?: number; random?: () => number } = {}): NotificationUpdateSource {
  return (onChange, onNotification) => {
    let source: EventSource | null = null;
    let stopped = false;
    let failures = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let stopPoll: (() => void) | null = null;
    /** The last event id received: sent as Last-Event-ID when a new connection resumes. */
    let lastEventId: string | null = null;
    // Each connection asks for a fresh token (it may have been renewed) and the selected tenant.
    const authorizedFetch = async (input: string | URL, init: EventSourceFetchInit) => {
      const headers = new Headers(init.headers);
      const token = await getAccessToken();
      if (token) headers.set('Authorization', `Bearer ${token}`);
      const tenantId = getSelectedTenantId();
      if (tenantId) headers.set('X-Tenant-Id', tenantId);
      if (lastEventId && !headers.has('Last-Event-ID')) headers.set('Last-Event-ID', lastEventId);
      return fetch(input, { ...init, headers });
    };
    const connect = () => {
      if (stopped) return;
      const current = new EventSource(url, { fetch: authorizedFetch });
      source = current;
      current.addEventListener('open', () => {
        failures = 0;
        stopPoll?.();
        stopPoll = null;
        // Whatever changed while not connected (read elsewhere, a gap before the first event).
        onChange();
      });
      current.addEventListener(notificationStreamEventName, (event) => {
        const message = event as MessageEvent<string>;
        if (message.lastEventId) lastEventId = message.lastEventId;
        let data: unknown;
        try {
          data = JSON.parse(message.data);
        } catch {
          data = null;
        }
        const parsed = NotificationStreamEvent.safeParse(data);
        if (parsed.success) onNotification?.(parsed.data);
        onChange();
      });
      current.addEventListener('error', () => {
        // Our backoff, not the package's fixed interval: close, poll slowly, try again later.
        current.close();
        if (source !== current || stopped) return;
        source = null;
        failures += 1;
        stopPoll ??= pollingSource(fallbackPollMs)(onChange);
        clearTimeout(retryTimer);
        retryTimer = setTimeout(connect, streamRetryDelay(failures, random));
      });
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retryTimer);
      source?.close();
      source = null;
      stopPoll?.();
      stopPoll = null;
    };
  };
}

const defaultSource = streamSource();

/** Whether the user may see notifications in the selected tenant (analyst and above). */
function useNotificationsEnabled(): { tenantId: string | null; enabled: boolean } {
  const { tenantId, role } = useSession();
  return { tenantId, enabled: tenantId !== null && canAccess(role, 'notifications', 'list') };
}

/**
 * Mounted once (by the bell): a new notification shows at once in the bell's list and every
 * unread count (critical ones also as a toast); the lists are then reloaded from the API.
 */
export function useNotificationUpdates(source: NotificationUpdateSource = defaultSource): void {
  const queryClient = useQueryClient();
  const { tenantId, enabled } = useNotificationsEnabled();
  useEffect(() => {
    if (!enabled) return undefined;
    return source(
      () => {
        void queryClient.invalidateQueries({ queryKey: notificationKeys.lists(tenantId) });
      },
      ({ notification, unread }) => {
        updateCachedLists(queryClient, tenantId, (page) => ({ ...page, unread }));
        queryClient.setQueryData<NotificationPage>(notificationKeys.list(tenantId, { page: 1, limit: BELL_LIMIT }), (page) =>
          page && !page.data.some((item) => item.id === notification.id)
            ? { ...page, unread, total: page.total + 1, data: [notification, ...page.data].slice(0, BELL_LIMIT) }
            : page,
        );
        if (notification.severity === 'critical') {
          toast.error(notification.title, { id: `notification-${notification.id}`, description: notification.body });
        }
      },
    );
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
