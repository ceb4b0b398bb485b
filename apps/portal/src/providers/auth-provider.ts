import type { AuthProvider } from '@refinedev/core';
import type { QueryClient } from '@tanstack/react-query';
import { ApiError, errorMessage } from '@/lib/axios';
import { getUserManager, isLeavingForIdentityProvider, resumeSession, startLogin, startLogout } from '@/lib/oidc';
import { currentMembership, meQuery } from '@/lib/session';
import { getSelectedTenantId } from '@/lib/tenant';

export interface LoginParams {
  /** Path to open after the identity provider sends the user back. */
  returnTo?: string | null;
}

/** The identity Refine's `useGetIdentity` returns. */
export interface PortalIdentity {
  id: string;
  name: string;
  email: string;
  role: string | null;
  tenantName: string | null;
}

function statusOf(error: unknown): number | null {
  if (error instanceof ApiError) return error.statusCode;
  if (error && typeof error === 'object' && 'statusCode' in error && typeof error.statusCode === 'number') {
    return error.statusCode;
  }
  return null;
}

/** Refine's AuthProvider over oidc-client-ts (authorization code + PKCE against the API's issuer). */
export function createAuthProvider(queryClient: QueryClient): AuthProvider {
  return {
    login: async (params?: LoginParams) => {
      try {
        await startLogin(params?.returnTo);
        return { success: true };
      } catch (error) {
        return {
          success: false,
          error: new Error(`Could not reach the sign-in service: ${errorMessage(error)}`),
        };
      }
    },

    logout: async () => {
      const manager = getUserManager();
      try {
        await startLogout();
        return { success: true };
      } catch {
        // The identity provider is unreachable: end the session here at least.
        await manager.removeUser();
        queryClient.clear();
        return { success: true, redirectTo: '/login' };
      }
    },

    check: async () => {
      const user = await getUserManager().getUser();
      if (user && !user.expired) return { authenticated: true };
      // This tab's refresh token, or the identity provider's session (a new tab, a deep link).
      if (await resumeSession()) return { authenticated: true };
      return { authenticated: false, redirectTo: '/login' };
    },

    getIdentity: async (): Promise<PortalIdentity> => {
      const me = await queryClient.fetchQuery(meQuery);
      const membership = currentMembership(me, getSelectedTenantId());
      return {
        id: me.user.id,
        name: me.user.name,
        email: me.user.email,
        role: membership?.role ?? null,
        tenantName: membership?.name ?? null,
      };
    },

    getPermissions: async () => {
      const me = await queryClient.fetchQuery(meQuery);
      return currentMembership(me, getSelectedTenantId())?.role ?? null;
    },

    onError: async (error: unknown) => {
      // platformApi already started a new sign-in (or a sign-out is under way); a logout now would race it.
      if (statusOf(error) === 401 && !isLeavingForIdentityProvider()) {
        return { logout: true, redirectTo: '/login', error: error instanceof Error ? error : undefined };
      }
      return {};
    },
  };
}
