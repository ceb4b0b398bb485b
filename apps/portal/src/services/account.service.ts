import { ChangePasswordResult, Me, UserSessionList, type ChangePasswordBody, type UpdateMeBody, type UserSession } from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';

/*
 * The signed-in user's own account (not tenant-scoped): profile, password, sessions. The forms
 * show their own errors (on the fields, or above the form), so their calls are `silent`.
 */

export async function updateMe(body: UpdateMeBody): Promise<Me> {
  const { data } = await platformApi.patch<unknown>('/me', body, { tenantScoped: false, silent: true });
  return parseResponse(Me, data, 'PATCH /me');
}

export async function changePassword(body: ChangePasswordBody): Promise<ChangePasswordResult> {
  const { data } = await platformApi.post<unknown>('/me/password', body, { tenantScoped: false, silent: true });
  return parseResponse(ChangePasswordResult, data, 'POST /me/password');
}

export async function getSessions(): Promise<UserSession[]> {
  const { data } = await platformApi.get<unknown>('/me/sessions', { tenantScoped: false });
  return parseResponse(UserSessionList, data, 'GET /me/sessions').data;
}

export async function endSession(id: string): Promise<void> {
  await platformApi.delete(`/me/sessions/${encodeURIComponent(id)}`, { tenantScoped: false });
}
