import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/axios';
import { setSelectedTenantId } from '@/lib/tenant';
import { createAuthProvider } from '@/providers/auth-provider';
import { getMe } from '@/services/session.service';
import { acme, globex, meWith, membership } from '@/test/fixtures';
import { oidcDouble, resetOidcDouble, signedInUser, userManagerDouble } from '@/test/oidc-double';
import { createTestQueryClient } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');

const provider = () => createAuthProvider(createTestQueryClient());

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner'), membership(globex, 'analyst')));
});

describe('check', () => {
  it('is authenticated with a user whose token has not expired', async () => {
    await expect(provider().check()).resolves.toEqual({ authenticated: true });
  });

  it('sends people without a user, and no session at the identity provider, to /login', async () => {
    userManagerDouble.getUser.mockResolvedValue(null);
    await expect(provider().check()).resolves.toEqual({ authenticated: false, redirectTo: '/login' });
    expect(oidcDouble.resumeSession).toHaveBeenCalledOnce();
  });

  it("signs a new tab in from the identity provider's session, without the sign-in page", async () => {
    userManagerDouble.getUser.mockResolvedValue(null);
    oidcDouble.resumeSession.mockResolvedValue(signedInUser);
    await expect(provider().check()).resolves.toEqual({ authenticated: true });
  });

  it('sends people whose token expired to /login', async () => {
    userManagerDouble.getUser.mockResolvedValue({ ...signedInUser, expired: true });
    await expect(provider().check()).resolves.toEqual({ authenticated: false, redirectTo: '/login' });
  });
});

describe('identity and permissions', () => {
  it('come from /me and the selected tenant', async () => {
    const auth = provider();
    setSelectedTenantId(globex.id);
    await expect(auth.getPermissions?.()).resolves.toBe('analyst');
    await expect(auth.getIdentity?.()).resolves.toMatchObject({
      name: 'Ada Lovelace',
      email: 'ada@acme.test',
      role: 'analyst',
      tenantName: 'Globex',
    });
    setSelectedTenantId(acme.id);
    await expect(auth.getPermissions?.()).resolves.toBe('owner');
  });
});

describe('login and logout', () => {
  it('login redirects to the identity provider with the page to come back to', async () => {
    await expect(provider().login({ returnTo: '/billing' })).resolves.toEqual({ success: true });
    expect(oidcDouble.startLogin).toHaveBeenCalledWith('/billing');
  });

  it('login reports an unreachable identity provider', async () => {
    oidcDouble.startLogin.mockRejectedValueOnce(new Error('Failed to fetch'));
    const result = await provider().login({});
    expect(result.success).toBe(false);
    expect(result.error?.message).toContain('Could not reach the sign-in service');
  });

  it('logout signs out at the identity provider', async () => {
    await expect(provider().logout({})).resolves.toEqual({ success: true });
    expect(oidcDouble.startLogout).toHaveBeenCalledTimes(1);
    expect(userManagerDouble.removeUser).not.toHaveBeenCalled();
  });

  it('logout ends the session locally and goes to /login when the provider cannot be reached', async () => {
    oidcDouble.startLogout.mockRejectedValueOnce(new Error('Failed to fetch'));
    await expect(provider().logout({})).resolves.toEqual({ success: true, redirectTo: '/login' });
    expect(userManagerDouble.removeUser).toHaveBeenCalled();
  });
});

describe('onError', () => {
  it('logs out on 401', async () => {
    await expect(provider().onError(new ApiError('Expired', 401))).resolves.toMatchObject({
      logout: true,
      redirectTo: '/login',
    });
  });

  it('leaves a 401 alone while a new sign-in is already under way', async () => {
    oidcDouble.isLeavingForIdentityProvider.mockReturnValue(true);
    await expect(provider().onError(new ApiError('Expired', 401))).resolves.toEqual({});
  });

  it('does not log out on other errors', async () => {
    await expect(provider().onError(new ApiError('Forbidden', 403))).resolves.toEqual({});
  });
});
