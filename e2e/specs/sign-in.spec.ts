import { expect, test } from '@playwright/test';
import { reviewScreenshot, seriousA11yViolations, signedIn, signIn, signOut } from '../support/portal.js';

const people = [
  { email: 'analyst@acme.test', name: 'Alice Analyst', tenant: 'Acme Corp', plan: 'Pro', role: 'Analyst' },
  { email: 'engineer@acme.test', name: 'Evan Engineer', tenant: 'Acme Corp', plan: 'Pro', role: 'Engineer' },
  { email: 'admin@acme.test', name: 'Adele Admin', tenant: 'Acme Corp', plan: 'Pro', role: 'Admin' },
  { email: 'owner@acme.test', name: 'Olivia Owner', tenant: 'Acme Corp', plan: 'Pro', role: 'Owner' },
  { email: 'owner@globex.test', name: 'Gus Owner', tenant: 'Globex', plan: 'Starter', role: 'Owner' },
  { email: 'analyst@globex.test', name: 'Greta Analyst', tenant: 'Globex', plan: 'Starter', role: 'Analyst' },
  { email: 'staff@cbp.test', name: 'Sam Staff', tenant: 'Acme Corp', plan: 'Pro', role: 'Platform staff' },
];

for (const person of people) {
  test(`${person.email} signs in, sees ${person.tenant} on plan ${person.plan} as ${person.role}, and signs out`, async ({ page }) => {
    await signIn(page, person.email);
    await expect(page.getByTestId('tenant-name')).toHaveText(person.tenant);
    await expect(page.getByTestId('plan-name')).toHaveText(person.plan);
    await expect(page.getByTestId('user-role')).toHaveText(person.role);
    await signOut(page, person.name);
    // Signed out for real: the dashboard sends us back to the login page.
    await page.goto('/');
    await expect(page).toHaveURL(/\/login/);
  });
}

test('a wrong password is refused on the login form and signs nobody in', async ({ page }) => {
  await signIn(page, 'owner@acme.test', 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
  await expect(page).toHaveURL(/\/oidc\/interaction\//);
});

test('an analyst opening the admin area gets a clear 403 view', async ({ page }) => {
  await signIn(page, 'analyst@acme.test');
  await expect(page.getByTestId('tenant-name')).toHaveText('Acme Corp');
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: /don.t have access/i })).toBeVisible();
  await expect(page.getByTestId('required-role')).toHaveText(/admin/i);
});

test('platform staff switch between tenants', async ({ page }) => {
  await signIn(page, 'staff@cbp.test');
  await expect(page.getByTestId('tenant-name')).toHaveText('Acme Corp');
  await page.getByRole('button', { name: /Switch organization/ }).click();
  await page.getByRole('menuitemradio', { name: /Globex/ }).click();
  await expect(page.getByTestId('tenant-name')).toHaveText('Globex');
  await expect(page.getByTestId('plan-name')).toHaveText('Starter');
});

test.describe('accessibility (axe: no serious or critical violation)', () => {
  test('portal login page', async ({ page }) => {
    await page.goto('/login');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  test('identity provider login page', async ({ page }) => {
    await page.goto('/login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByLabel('Email')).toBeVisible();
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  test('dashboard, light and dark', async ({ page }) => {
    await signIn(page, 'owner@acme.test');
    await expect(page.getByTestId('plan-name')).toHaveText('Pro');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: /Switch to dark mode/ }).click();
    await expect(page.locator('html')).toHaveClass(/dark/);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });
});

test('a new tab of a signed-in browser opens a deep link without the sign-in page; signing out in one tab signs every tab out', async ({ page }) => {
  await signIn(page, 'engineer@acme.test');
  await expect(page.getByTestId('tenant-name')).toHaveText('Acme Corp');
  // A second tab (same browser: the identity provider's session cookie, not this tab's tokens).
  const tab = await page.context().newPage();
  await tab.goto('/billing/invoices');
  await expect(tab.getByRole('heading', { level: 1, name: 'Invoices' })).toBeVisible();
  await expect(tab).toHaveURL(/\/billing\/invoices$/);
  await expect(tab.getByRole('button', { name: 'Account menu for Evan Engineer' })).toBeVisible();

  await signOut(page, 'Evan Engineer');
  // The other tab leaves too, and a tab opened now finds no session to resume.
  await expect(tab).toHaveURL(/\/login/);
  const later = await page.context().newPage();
  await later.goto('/billing/invoices');
  await expect(later).toHaveURL(/\/login/);
});

test('reloading any page draws that page: a detail page with its id, and a settings page inside its section', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signedIn(page, 'owner@acme.test');
  await page.goto('/billing/invoices');
  await page.getByRole('link', { name: 'ACME-0006', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Invoice ACME-0006' })).toBeVisible();
  // Full page loads: the shell preloads the page's own code with the app's (src/page-loaders.ts).
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Invoice ACME-0006' })).toBeVisible();
  await expect(page.getByTestId('invoice-line').first()).toBeVisible();
  await reviewScreenshot(page, { path: 'test-results/reload-invoice-detail.png' });
  await page.goto('/settings/profile');
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Name' })).toBeVisible();
  await reviewScreenshot(page, { path: 'test-results/reload-settings-profile.png' });
});
