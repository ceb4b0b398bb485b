import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

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

export async function signOut(page: Page, userName: string) {
  await page.getByRole('button', { name: `Account menu for ${userName}` }).click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  // The identity provider asks before ending its session.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

/** Serious and critical accessibility violations on the page as it is now. */
export async function seriousA11yViolations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
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
