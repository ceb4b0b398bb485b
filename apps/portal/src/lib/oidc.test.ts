import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** Records what the portal asks of oidc-client-ts; never leaves the page. */
const manager = vi.hoisted(() => ({
  settings: null as Record<string, unknown> | null,
  signinRedirect: vi.fn(),
  signoutRedirect: vi.fn(),
  signinRedirectCallback: vi.fn(),
  removeUser: vi.fn(async () => {}),
  getUser: vi.fn(),
}));

vi.mock('oidc-client-ts', () => ({
  WebStorageStateStore: class {
    constructor(readonly options: unknown) {}
  },
  UserManager: class {
    constructor(settings: Record<string, unknown>) {
      manager.settings = settings;
      return Object.assign(this, manager);
    }
  },
}));

const assign = vi.fn();

async function freshOidc() {
  vi.resetModules();
  return import('@/lib/oidc');
}

beforeEach(() => {
  manager.signinRedirect.mockImplementation(() => new Promise(() => {})); // the browser leaves
  manager.signoutRedirect.mockImplementation(() => new Promise(() => {}));
  vi.stubGlobal('location', { ...window.location, assign, pathname: '/billing', search: '?tab=invoices', origin: 'http://localhost:27100' });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('UserManager settings', () => {
  it('uses code flow against the configured issuer with the portal callback URLs', async () => {
    const oidc = await freshOidc();
    oidc.createUserManager('http://localhost:27100');
    expect(manager.settings).toMatchObject({
      authority: 'http://localhost:14000/oidc',
      client_id: 'cbp-portal',
      redirect_uri: 'http://localhost:27100/auth/callback',
      silent_redirect_uri: 'http://localhost:27100/auth/silent-callback',
      post_logout_redirect_uri: 'http://localhost:27100/login',
      response_type: 'code',
      scope: 'openid profile email',
      automaticSilentRenew: true,
    });
  });
});

describe('startLogin', () => {
  it('keeps a same-origin return path and drops anything else', async () => {
    const oidc = await freshOidc();
    void oidc.startLogin('/team');
    expect(manager.signinRedirect).toHaveBeenLastCalledWith({ state: { returnTo: '/team' } });

    const again = await freshOidc();
    void again.startLogin('//evil.example/steal');
    expect(manager.signinRedirect).toHaveBeenLastCalledWith({ state: { returnTo: undefined } });
  });

  it('sends the browser away only once when asked twice', async () => {
    const oidc = await freshOidc();
    void oidc.startLogin('/');
    void oidc.startLogin('/');
    expect(manager.signinRedirect).toHaveBeenCalledTimes(1);
    expect(oidc.isLeavingForIdentityProvider()).toBe(true);
  });
});

describe('reauthenticate (after a 401)', () => {
  it('signs in again and comes back to the page the user was on', async () => {
    const oidc = await freshOidc();
    void oidc.reauthenticate();
    void oidc.reauthenticate();
    await vi.waitFor(() => expect(manager.signinRedirect).toHaveBeenCalledTimes(1));
    expect(manager.removeUser).toHaveBeenCalledTimes(1);
    expect(manager.signinRedirect).toHaveBeenCalledWith({ state: { returnTo: '/billing?tab=invoices' } });
  });

  it('stops with an explanation instead of looping when the API rejects a brand-new session', async () => {
    const oidc = await freshOidc();
    manager.signinRedirectCallback.mockResolvedValue({ access_token: 'new' });
    await oidc.completeLogin('http://localhost:27100/auth/callback?code=1&state=2');

    await oidc.reauthenticate();
    expect(manager.signinRedirect).not.toHaveBeenCalled();
    expect(assign).toHaveBeenCalledWith(expect.stringMatching(/^\/login\?error=The%20API%20did%20not%20accept/));
  });

  it('does nothing while a sign-out is under way', async () => {
    const oidc = await freshOidc();
    void oidc.startLogout();
    await oidc.reauthenticate();
    expect(manager.removeUser).not.toHaveBeenCalled();
    expect(manager.signinRedirect).not.toHaveBeenCalled();
    expect(manager.signoutRedirect).toHaveBeenCalledTimes(1);
  });
});

describe('completeLogin', () => {
  it('exchanges a code once even if the callback page mounts twice', async () => {
    const oidc = await freshOidc();
    manager.signinRedirectCallback.mockResolvedValue({ access_token: 'new' });
    const url = 'http://localhost:27100/auth/callback?code=abc&state=xyz';
    const [first, second] = await Promise.all([oidc.completeLogin(url), oidc.completeLogin(url)]);
    expect(first).toBe(second);
    expect(manager.signinRedirectCallback).toHaveBeenCalledTimes(1);
  });
});

describe('sessions across tabs', () => {
  it('resumes the identity provider session silently, and answers null when there is none', async () => {
    const oidc = await freshOidc();
    const signinSilent = vi.fn(async () => ({ access_token: 'from-the-provider', expired: false }));
    Object.assign(manager, { signinSilent });
    await expect(oidc.resumeSession()).resolves.toMatchObject({ access_token: 'from-the-provider' });
    signinSilent.mockRejectedValueOnce(new Error('login_required'));
    await expect(oidc.resumeSession()).resolves.toBeNull();
  });

  it('signing out in one tab sends the other tabs to the sign-in page without their tokens', async () => {
    const oidc = await freshOidc();
    const stop = oidc.followSignOutElsewhere();
    // This tab signs out: the other tabs see the key change (a tab never sees its own writes).
    void oidc.startLogout();
    const value = localStorage.getItem('cbp.signedOut');
    expect(value).not.toBeNull();
    window.dispatchEvent(new StorageEvent('storage', { key: 'cbp.signedOut', newValue: value }));
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith('/login'));
    expect(manager.removeUser).toHaveBeenCalled();
    // Nor does this tab, or one opened now, sign back in silently while the provider's session may
    // still be ending (the signing-out tab is on its end-session page); a new sign-in lifts that.
    const signinSilent = vi.fn(async () => ({ access_token: 'from-the-provider', expired: false }));
    Object.assign(manager, { signinSilent });
    await expect(oidc.resumeSession()).resolves.toBeNull();
    expect(signinSilent).not.toHaveBeenCalled();
    manager.signinRedirectCallback.mockResolvedValue({ access_token: 'new' });
    await oidc.completeLogin('http://localhost:27100/auth/callback?code=again&state=s');
    expect(localStorage.getItem('cbp.signedOut')).toBeNull();
    await expect(oidc.resumeSession()).resolves.toMatchObject({ access_token: 'from-the-provider' });
    // Other keys mean nothing.
    assign.mockClear();
    window.dispatchEvent(new StorageEvent('storage', { key: 'cbp.tenantId', newValue: 'x' }));
    await Promise.resolve();
    expect(assign).not.toHaveBeenCalled();
    stop();
  });
});

describe('two-step verification (issue 15)', () => {
  const idToken = (claims: object) => `e30.${btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}.sig`;

  it('reads how this session signed in from the ID token, which oidc-client-ts leaves out of the profile', async () => {
    const oidc = await freshOidc();
    manager.getUser.mockResolvedValue({ profile: { sub: 'u' }, id_token: idToken({ sub: 'u', amr: ['pwd', 'otp'] }) });
    expect(await oidc.signInMethods()).toEqual(['pwd', 'otp']);
    manager.getUser.mockResolvedValue({ profile: { sub: 'u' }, id_token: idToken({ sub: 'u' }) });
    expect(await oidc.signInMethods()).toEqual([]);
    manager.getUser.mockResolvedValue(null);
    expect(await oidc.signInMethods()).toEqual([]);
  });

  it('signs in again with prompt=login, asking the provider to set up or turn off two-step verification, back to the page', async () => {
    const oidc = await freshOidc();
    void oidc.startSecondFactorSignIn('setup', '/settings/password');
    expect(manager.signinRedirect).toHaveBeenLastCalledWith({ state: { returnTo: '/settings/password' }, prompt: 'login', extraQueryParams: { cbp_mfa: 'setup' } });
    const again = await freshOidc();
    void again.startSecondFactorSignIn('verify', '//evil.example/');
    expect(manager.signinRedirect).toHaveBeenLastCalledWith({ state: { returnTo: undefined }, prompt: 'login' });
  });
});
