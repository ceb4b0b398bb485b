import { vi } from 'vitest';

/** A signed-in oidc-client-ts user, as much of it as the portal reads. */
export const signedInUser = { access_token: 'test-access-token', expired: false, refresh_token: undefined, state: undefined };

export const userManagerDouble = {
  getUser: vi.fn(async (): Promise<typeof signedInUser | null> => signedInUser),
  removeUser: vi.fn(async () => {}),
  signoutRedirect: vi.fn(async () => {}),
  signinSilent: vi.fn(async () => null),
  signinSilentCallback: vi.fn(async () => {}),
};

/**
 * Stands in for `@/lib/oidc` so no test talks to an identity provider. Use with
 * `vi.mock('@/lib/oidc', async (orig) => ({ ...(await orig()), ...(await import('@/test/oidc-double')).oidcDouble }))`.
 */
export const oidcDouble = {
  getUserManager: () => userManagerDouble,
  getAccessToken: vi.fn(async (): Promise<string | null> => signedInUser.access_token),
  startLogin: vi.fn(async (_returnTo?: string | null) => {}),
  startLogout: vi.fn(async () => {}),
  reauthenticate: vi.fn(async () => {}),
  isLeavingForIdentityProvider: vi.fn(() => false),
  /** No session at the identity provider to resume, unless a test says so. */
  resumeSession: vi.fn(async (): Promise<typeof signedInUser | null> => null),
  followSignOutElsewhere: vi.fn(() => () => {}),
  /** Two-step verification (issue 15): the sign-in that asks for a code, and how this session signed in. */
  startSecondFactorSignIn: vi.fn(async (_step: 'verify' | 'setup' | 'disable' | 'codes', _returnTo?: string | null) => {}),
  signInMethods: vi.fn(async (): Promise<string[]> => ['pwd']),
};

export function resetOidcDouble(): void {
  userManagerDouble.getUser.mockImplementation(async () => signedInUser);
  userManagerDouble.signoutRedirect.mockImplementation(async () => {});
  oidcDouble.startLogout.mockImplementation(async () => {});
  oidcDouble.getAccessToken.mockImplementation(async () => signedInUser.access_token);
  oidcDouble.isLeavingForIdentityProvider.mockImplementation(() => false);
  oidcDouble.resumeSession.mockImplementation(async () => null);
  oidcDouble.startSecondFactorSignIn.mockImplementation(async () => {});
  oidcDouble.signInMethods.mockImplementation(async () => ['pwd']);
}
