import AxeBuilder from '@axe-core/playwright';
import { expect, type Cookie, type Page } from '@playwright/test';

export const demoPassword = 'demo1234!';

/** Signs in through the portal's login page and the identity provider's real login form. */
export async function signIn(page: Page, email: string, password = demoPassword) {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/oidc\/interaction\//);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The demo tenant each demo user lands in after signing in (staff land in Acme). */
export const tenantOf = (email: string) => (email.endsWith('@globex.test') ? 'Globex' : 'Acme Corp');

/** A signed-in session of a demo user: the identity provider's cookies and the portal's tokens. */
interface SavedSession {
  cookies: Cookie[];
  /** sessionStorage of the portal origin: the OIDC user (tokens valid for an hour). */
  session: Record<string, string>;
  /** localStorage of the portal origin: the chosen tenant. */
  local: Record<string, string>;
}

/** Sessions signed in by this worker, per email (a worker runs for minutes; tokens last an hour). */
const savedSessions = new Map<string, SavedSession>();
const portalOrigin = 'http://localhost:27100';

/**
 * `page` signed in as the demo user `email`, landing on the dashboard of their tenant. The first
 * time in a worker this goes through the real sign-in form (`signIn`); after that the page's
 * browser context gets that session's cookies and tokens, as a second tab of the same browser
 * would, which costs one page load instead of the identity provider's round trips. Specs about
 * signing in or out themselves use `signIn`.
 */
export async function signedIn(page: Page, email: string) {
  const saved = savedSessions.get(email);
  if (!saved) {
    await signIn(page, email);
    await expect(page.getByTestId('tenant-name')).toHaveText(tenantOf(email));
    const captured = await page.evaluate(() => {
      const pick = (store: Storage, wanted: (key: string) => boolean) =>
        Object.fromEntries(Object.keys(store).filter(wanted).map((key) => [key, store.getItem(key) ?? '']));
      return { session: pick(sessionStorage, (key) => key.startsWith('oidc.user:')), local: pick(localStorage, (key) => key === 'cbp.tenantId') };
    });
    savedSessions.set(email, { cookies: await page.context().cookies(), ...captured });
    return;
  }
  const context = page.context();
  await context.addCookies(saved.cookies);
  await context.addInitScript(
    ({ origin, session, local }) => {
      // Once per tab: a sign-out later in the test stays signed out.
      if (window.location.origin !== origin || sessionStorage.getItem('e2e.seeded')) return;
      for (const [key, value] of Object.entries(session)) sessionStorage.setItem(key, value);
      for (const [key, value] of Object.entries(local)) if (localStorage.getItem(key) === null) localStorage.setItem(key, value);
      sessionStorage.setItem('e2e.seeded', '1');
    },
    { origin: portalOrigin, session: saved.session, local: saved.local },
  );
  await page.goto('/');
  await expect(page.getByTestId('tenant-name')).toHaveText(tenantOf(email));
}

export async function signOut(page: Page, userName: string) {
  await page.getByRole('button', { name: `Account menu for ${userName}` }).click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  // The identity provider asks before ending its session.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

/**
 * Serious and critical accessibility violations on the page as it is now. Legacy mode runs
 * `axe.run` in the page itself (same-origin frames included): the default mode finishes every
 * analysis in a new blank tab, which doubled the cost of each check (about 3 s on the CI
 * machine) and the portal has no cross-origin frames with the local gateway.
 */
export async function seriousA11yViolations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).setLegacyMode().analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
}

export const apiUrl = 'http://localhost:14000';

/** The signed-in user's token and tenant, to call the API directly as the portal does (test set-up and clean-up). */
export async function apiHeaders(page: Page): Promise<Record<string, string> | null> {
  const auth = await page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith('oidc.user:'));
    const user = key ? (JSON.parse(sessionStorage.getItem(key) ?? 'null') as { access_token?: string } | null) : null;
    return { token: user?.access_token ?? null, tenantId: localStorage.getItem('cbp.tenantId') };
  });
  return auth.token && auth.tenantId ? { Authorization: `Bearer ${auth.token}`, 'X-Tenant-Id': auth.tenantId } : null;
}

/**
 * A screenshot for people to look at (under /tmp), taken on a developer's run and skipped when
 * `CI` is set: nobody opens them there, and each full-page capture costs the browser a repaint.
 */
export async function reviewScreenshot(page: Page, options: Parameters<Page['screenshot']>[0]): Promise<void> {
  if (process.env.CI) return;
  await page.screenshot(options);
}
