import { NotificationPage, NotificationReadAllResult, NotificationSettings } from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';
import type { NotificationListQuery, NotificationSettingsPatch } from '@/types/notification';

/*
 * The signed-in user's own notifications in the selected tenant (analyst and above). Reads are
 * `silent`: the bell polls in the background and must never toast, and the pages show their
 * errors in place. Marking is not silent (a refusal is toasted with the API's sentence); saving
 * the settings is silent because the settings page shows field errors next to the fields.
 */

export type { NotificationPage, NotificationReadAllResult, NotificationSettings, NotificationSettingsPatch };

/** Only the filters that are set, so the request (and the cache key) stays minimal. */
function paramsOf(query: Partial<NotificationListQuery>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as Record<string, string | number>;
}

/** A page of notifications, newest first, with the total matching and the user's unread count. */
export async function getNotifications(query: Partial<NotificationListQuery>): Promise<NotificationPage> {
  const { data } = await platformApi.get<unknown>('/notifications', { params: paramsOf(query), silent: true });
  return parseResponse(NotificationPage, data, 'GET /notifications');
}

/** Marks one of the user's notifications read (404 when unknown or someone else's). */
export async function markAsRead(id: string): Promise<void> {
  await platformApi.patch<unknown>(`/notifications/${encodeURIComponent(id)}/read`);
}

/** Marks every notification of the user read; how many changed. */
export async function markAllAsRead(): Promise<NotificationReadAllResult> {
  const { data } = await platformApi.post<unknown>('/notifications/read-all');
  return parseResponse(NotificationReadAllResult, data, 'POST /notifications/read-all');
}

/** The user's channels, per-type choices and daily digest. */
export async function getNotificationSettings(): Promise<NotificationSettings> {
  const { data } = await platformApi.get<unknown>('/notifications/settings', { silent: true });
  return parseResponse(NotificationSettings, data, 'GET /notifications/settings');
}

/** Changes only what `patch` names; answers with the settings as saved. */
export async function updateNotificationSettings(patch: NotificationSettingsPatch): Promise<NotificationSettings> {
  const { data } = await platformApi.patch<unknown>('/notifications/settings', patch, { silent: true });
  return parseResponse(NotificationSettings, data, 'PATCH /notifications/settings');
}
