import { mkdirSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { seriousA11yViolations, reviewScreenshot } from '../support/portal.js';
import { acme, staffEmail, test } from '../support/team.js';

/*
 * Issue 16, staff console: platform staff open /admin/tenants, search, create a NEW organization
 * (a unique slug per run; Acme and Globex are never suspended here: other specs use them in
 * parallel), see it in the list, suspend it with a reason and reactivate it, each after a
 * confirmation. Tenant owners see no Tenants tab. Screenshots into /tmp/shots-A/.
 */
const shots = '/tmp/shots-A';
mkdirSync(shots, { recursive: true });

/** Light then dark: no serious or critical axe violation; a screenshot of each. */
async function expectAccessible(page: Page, where: string, name: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'dark') await expect(page.locator('html')).toHaveClass(/\bdark\b/);
    else await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
    await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
    expect(await seriousA11yViolations(page), `${where} (${colorScheme})`).toEqual([]);
    const width = page.viewportSize()?.width ?? 0;
    await reviewScreenshot(page, { path: `${shots}/${name}-${width}-${colorScheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function openTenants(page: Page) {
  await page.getByRole('link', { name: 'Admin' }).first().click();
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Tenants' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Tenants' })).toBeVisible();
  await expect(page.getByTestId('admin-tenant-row').first()).toBeVisible();
}

test('staff search the console, create an organization, then suspend it with a reason and reactivate it', async ({ openSession }) => {
  test.slow();
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const name = `E2E Org ${suffix}`;
  const slug = `e2e-org-${suffix}`;
  const staff = await openSession(staffEmail, { viewport: { width: 1440, height: 900 } });
  await openTenants(staff);
  await expectAccessible(staff, 'tenant list', 'list');

  // Search: the URL keeps it, only matching rows remain.
  await staff.getByLabel('Search').fill('globex');
  await expect(staff).toHaveURL(/search=globex/);
  await expect(staff.getByTestId('admin-tenant-row')).toHaveCount(1);
  await expect(staff.getByTestId('admin-tenant-row')).toContainText('Globex');
  await staff.getByLabel('Search').fill('');
  await expect(staff.getByTestId('admin-tenant-row').filter({ hasText: acme.name })).toBeVisible();

  // Create: the form's field errors first, then the organization and its provisioning workflow.
  await staff.getByRole('button', { name: 'Create organization' }).click();
  const dialog = staff.getByRole('dialog', { name: 'Create organization' });
  await dialog.getByLabel('Organization name').fill(name);
  await dialog.getByLabel('Slug').fill('Not A Slug');
  await dialog.getByRole('button', { name: 'Create organization' }).click();
  await expect(dialog.getByLabel('Slug')).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.getByLabel("Owner's email")).toHaveAttribute('aria-invalid', 'true');
  await dialog.getByLabel('Slug').fill(slug);
  await dialog.getByLabel('Plan').selectOption('starter');
  await dialog.getByLabel("Owner's email").fill(`owner-${suffix}@example.com`);
  await expect(dialog.getByText('Lower-case letters, digits and single hyphens')).toHaveCount(0);
  expect(await seriousA11yViolations(staff), 'create dialog').toEqual([]);
  await reviewScreenshot(staff, { path: `${shots}/create-dialog-1440.png` });
  await dialog.getByRole('button', { name: 'Create organization' }).click();
  await expect(dialog.getByTestId('tenant-created')).toContainText(`${name} was created`);
  await expect(dialog.getByRole('link', { name: 'Follow the provisioning workflow' })).toHaveAttribute('href', /^\/workflows\/.+/);
  await dialog.getByRole('button', { name: 'Done' }).click();

  // In the list (search by its slug), then its detail page.
  await staff.getByLabel('Search').fill(slug);
  const row = staff.getByTestId('admin-tenant-row');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(name);
  await expect(row).toContainText('Active');
  await row.getByRole('link', { name }).click();
  await expect(staff.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(staff.getByTestId('tenant-status')).toHaveText('Active');
  // Provisioning invites the owner: the pending invitation shows up.
  await expect(async () => {
    await staff.reload();
    await expect(staff.getByText('the owner invitation is pending')).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expectAccessible(staff, 'tenant detail', 'detail');

  // Suspend with a reason, after a confirmation.
  await staff.getByRole('button', { name: 'Suspend' }).click();
  const suspend = staff.getByRole('dialog', { name: `Suspend ${name}?` });
  await suspend.getByLabel('Reason').fill('E2E: unpaid invoices');
  expect(await seriousA11yViolations(staff), 'suspend dialog').toEqual([]);
  await reviewScreenshot(staff, { path: `${shots}/suspend-dialog-1440.png` });
  await suspend.getByRole('button', { name: 'Suspend organization' }).click();
  await expect(staff.getByTestId('suspension')).toContainText('Reason: E2E: unpaid invoices');
  await expect(staff.getByTestId('tenant-status')).toHaveText('Suspended');
  await expectAccessible(staff, 'suspended tenant detail', 'detail-suspended');

  // Phone width: the reactivation dialog fits.
  await staff.setViewportSize({ width: 390, height: 844 });
  await staff.getByRole('button', { name: 'Reactivate' }).click();
  const reactivate = staff.getByRole('dialog', { name: `Reactivate ${name}?` });
  await expect(reactivate.getByRole('button', { name: 'Reactivate organization' })).toBeInViewport();
  await reviewScreenshot(staff, { path: `${shots}/reactivate-dialog-390.png` });
  await reactivate.getByRole('button', { name: 'Reactivate organization' }).click();
  await expect(staff.getByTestId('tenant-status')).toHaveText('Active');
  await expect(staff.getByTestId('suspension')).toHaveCount(0);
  await expectAccessible(staff, 'tenant detail (phone)', 'detail');

  await staff.getByRole('link', { name: 'All organizations' }).click();
  await expect(staff.getByRole('heading', { level: 1, name: 'Tenants' })).toBeVisible();
  await expect(staff.getByTestId('admin-tenant-row').first()).toBeVisible();
  await expectAccessible(staff, 'tenant list (phone)', 'list');
});

test('tenant owners see no Tenants tab and get the no-access page on its URL', async ({ openSession }) => {
  const owner = await openSession(acme.owner.email);
  await owner.getByRole('link', { name: 'Admin' }).first().click();
  await expect(owner.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  await expect(owner.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Tenants' })).toHaveCount(0);
  await owner.goto('/admin/tenants');
  await expect(owner.getByRole('heading', { name: "You don't have access to this page" })).toBeVisible();
  await expect(owner.getByTestId('admin-tenant-row')).toHaveCount(0);
});
