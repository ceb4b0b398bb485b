import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import { config } from '@/lib/config';

/** Where the portal asks to come back after sign-in (kept in the OIDC `state`). */
export interface SigninState {
  returnTo?: string;
}

const SIGNED_IN_AT_KEY = 'cbp.signedInAt';
/** localStorage: written on sign-out so the browser's other tabs leave too (`followSignOutElsewhere`). */
const SIGNED_OUT_KEY = 'cbp.signedOut';
/**
 * After a sign-out (in any tab) no tab resumes the provider's session silently for this long:
 * the signing-out tab is still on its way to the provider's end-session page (which asks to
 * confirm), so that session may live a little longer, and a tab that resumed it would sign the
 * user straight back in. A completed sign-in clears the mark.
 */
const NO_RESUME_AFTER_SIGN_OUT_MS = 60_000;
/** A 401 this soon after a completed sign-in means the API rejects our tokens: don't loop. */
const REDIRECT_LOOP_WINDOW_MS = 15_000;

let userManager: UserManager | null = null;
let leavingForIdentityProvider = false;
const completedCallbacks = new Map<string, Promise<User>>();

export function createUserManager(origin: string = window.location.origin): UserManager {
  return new UserManager({
    authority: config.oidcIssuer,
    client_id: config.oidcClientId,
    redirect_uri: `${origin}/auth/callback`,
    post_logout_redirect_uri: `${origin}/login`,
    silent_redirect_uri: `${origin}/auth/silent-callback`,
    response_type: 'code',
    scope: 'openid profile email',
    automaticSilentRenew: true,
    // A provider that does not answer a silent sign-in soon is treated as "no session".
    silentRequestTimeoutInSeconds: 5,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

export function getUserManager(): UserManager {
  userManager ??= createUserManager();
  return userManager;
}

/** The current access token, or null when nobody is signed in or the token expired. */
export async function getAccessToken(): Promise<string | null> {
  const user = await getUserManager().getUser();
  return user && !user.expired ? user.access_token : null;
}

/** Only same-origin paths are accepted as a place to return to after sign-in. */
export function safeReturnPath(value: unknown): string | null {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : null;
}

/** True while the browser is on its way to the identity provider (sign-in or sign-out). */
export function isLeavingForIdentityProvider(): boolean {
  return leavingForIdentityProvider;
}

/** Runs one trip to the identity provider at a time; the promise settles only if the user comes back with "Back". */
async function leaveForIdentityProvider(navigate: () => Promise<void>): Promise<void> {
  if (leavingForIdentityProvider) return;
  leavingForIdentityProvider = true;
  try {
    await navigate();
  } finally {
    leavingForIdentityProvider = false;
  }
}

/** Sends the browser to the identity provider's sign-in. */
export function startLogin(returnTo?: string | null): Promise<void> {
  return leaveForIdentityProvider(() => redirectToIdentityProvider(returnTo));
}

/**
 * Ends the session at the identity provider, which sends the browser back to /login.
 * Requests that fail with 401 meanwhile (the local user is already gone) start no new sign-in.
 */
export function startLogout(): Promise<void> {
  sessionStorage.removeItem(SIGNED_IN_AT_KEY);
  localStorage.setItem(SIGNED_OUT_KEY, String(Date.now()));
  return leaveForIdentityProvider(() => getUserManager().signoutRedirect());
}

function redirectToIdentityProvider(returnTo?: string | null): Promise<void> {
  const state: SigninState = { returnTo: safeReturnPath(returnTo) ?? undefined };
  return getUserManager().signinRedirect({ state });
}

/** What a sign-in started from the portal asks the built-in provider to do about two-step verification. */
export type SecondFactorStep = 'verify' | 'setup' | 'disable' | 'codes';

/**
 * A fresh sign-in (`prompt=login`: the password again) that ends with a second factor: `verify`
 * asks for the authenticator code (or sets it up when the organization requires it), `setup`,
 * `disable` and `codes` ask the built-in provider to set it up, turn it off or give new recovery
 * codes (its `cbp_mfa` parameter; an external provider ignores it). The provider sends the browser back to `returnTo`.
 */
export function startSecondFactorSignIn(step: SecondFactorStep, returnTo?: string | null): Promise<void> {
  const state: SigninState = { returnTo: safeReturnPath(returnTo) ?? undefined };
  return leaveForIdentityProvider(() =>
    getUserManager().signinRedirect({ state, prompt: 'login', ...(step === 'verify' ? {} : { extraQueryParams: { cbp_mfa: step } }) }),
  );
}

/**
 * How this session's sign-in was made, from the ID token's `amr` (RFC 8176): the built-in
 * provider says `["pwd", "otp"]` after an authenticator or recovery code, and asks for one at
 * every sign-in of an account that has two-step verification on.
 */
export async function signInMethods(): Promise<string[]> {
  const user = await getUserManager().getUser();
  // oidc-client-ts leaves `amr` out of `profile` (a protocol claim): read it from the ID token itself.
  const amr: unknown = user?.profile?.amr ?? idTokenClaim(user?.id_token, 'amr');
  return Array.isArray(amr) ? amr.filter((m): m is string => typeof m === 'string') : [];
}

/** A claim of a JWT's payload, unverified: the ID token came from the provider's token endpoint, and this only informs the settings page (the API checks access tokens). */
function idTokenClaim(token: string | undefined, claim: string): unknown {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const claims: unknown = JSON.parse(json);
    return claims !== null && typeof claims === 'object' ? (claims as Record<string, unknown>)[claim] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Completes the code + PKCE exchange on /auth/callback. Memoised per URL because
 * React's development double-mount would otherwise spend the one-time code twice.
 */
export function completeLogin(url: string = window.location.href): Promise<User> {
  let pending = completedCallbacks.get(url);
  if (!pending) {
    pending = getUserManager()
      .signinRedirectCallback(url)
      .then((user) => {
        sessionStorage.setItem(SIGNED_IN_AT_KEY, String(Date.now()));
        localStorage.removeItem(SIGNED_OUT_KEY);
        return user;
      });
    completedCallbacks.set(url, pending);
  }
  return pending;
}

/** The API answered 401: the session is gone. Sign in again, unless that just happened. */
export function reauthenticate(): Promise<void> {
  // The flag is set synchronously, so concurrent 401s (and Refine's onError) see one re-login under way.
  return leaveForIdentityProvider(async () => {
    await getUserManager().removeUser();
    const signedInAt = Number(sessionStorage.getItem(SIGNED_IN_AT_KEY) ?? 0);
    if (Date.now() - signedInAt < REDIRECT_LOOP_WINDOW_MS) {
      sessionStorage.removeItem(SIGNED_IN_AT_KEY);
      const error = 'The API did not accept your new session. Try again, or contact support if this continues.';
      window.location.assign(`/login?error=${encodeURIComponent(error)}`);
      return;
    }
    await redirectToIdentityProvider(window.location.pathname + window.location.search);
  });
}

/**
 * Signs this tab in without a click when the browser is signed in at the identity provider: a
 * new tab or a deep link of a signed-in user (issue #17). `signinSilent` uses this tab's refresh
 * token if it has one, otherwise asks the provider in a hidden iframe with `prompt=none`. Tokens
 * stay per tab (sessionStorage); what tabs share is the provider's session cookie, which sign-out
 * ends. Null when there is no session to resume (or the provider does not answer in time).
 */
export async function resumeSession(): Promise<User | null> {
  const signedOutAt = Number(localStorage.getItem(SIGNED_OUT_KEY) ?? 0);
  if (Date.now() - signedOutAt < NO_RESUME_AFTER_SIGN_OUT_MS) return null;
  try {
    const user = await getUserManager().signinSilent();
    return user && !user.expired ? user : null;
  } catch {
    return null;
  }
}

/**
 * Sign-out ends the session everywhere: when another tab of this browser signs out, this one
 * drops its tokens and shows the sign-in page. Returns the function that stops listening.
 */
export function followSignOutElsewhere(): () => void {
  const onStorage = (event: StorageEvent) => {
    if (event.key !== SIGNED_OUT_KEY || !event.newValue) return;
    void getUserManager()
      .removeUser()
      .then(() => window.location.assign('/login'));
  };
  window.addEventListener('storage', onStorage);
  return () => window.removeEventListener('storage', onStorage);
}
