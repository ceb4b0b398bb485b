import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ChangePasswordBody, UpdateMeBody } from '@cbp/contracts';
import { meQuery } from '@/lib/session';
import { changePassword, endSession, getSessions, updateMe } from '@/services/account.service';

export const accountKeys = { sessions: ['me', 'sessions'] as const };

/** Saves the profile; /me (header, menu) shows the new name at once. */
export function useUpdateProfile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateMeBody) => updateMe(body),
    onSuccess: (me) => queryClient.setQueryData(meQuery.queryKey, me),
  });
}

export function useChangePassword() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ChangePasswordBody) => changePassword(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: accountKeys.sessions }),
  });
}

export function useSessions(enabled = true) {
  return useQuery({ queryKey: accountKeys.sessions, queryFn: getSessions, enabled });
}

/** Ends sessions one after another (several for "sign out other sessions"). */
export function useEndSessions() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (ids: readonly string[]) => {
      for (const id of ids) await endSession(id);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: accountKeys.sessions }),
  });
}
