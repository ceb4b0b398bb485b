import { expect, type Page } from '@playwright/test';
import { apiUrl, seriousA11yViolations, reviewScreenshot } from '../support/portal.js';
import { acme, staffEmail, test } from '../support/team.js';

/*
 * Issue 16: platform staff assign and revoke identity (realm) roles on /admin/roles, with a
 * confirmation each time; tenant members see no tab and get the no-access page. Gives Evan
 * Engineer super_admin and takes it back: @changes-demo-data.
 */
const staffToken = (page: Page) =>
  page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith('oidc.user:'));
    return key ? ((JSON.parse(sessionStorage.getItem(key) ?? 'null') as { access_token?: string } | null)?.access_token ?? '') : '';
  });

async function openRoles(page: Page) {
  await page.getByRole('link', { name: 'Admin' }).first().click();
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Identity roles' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Identity roles' })).toBeVisible();
}

test('staff assign a realm role to engineer@acme.test and revoke it, each after a confirmation', { tag: '@changes-demo-data' }, async ({ openSession }) => {
  const staff = await openSession(staffEmail, { viewport: { width: 1440, height: 900 } });
  try {
    await openRoles(staff);
    await expect(staff.getByTestId('realm-role-row').filter({ hasText: 'super_admin' })).toContainText('Platform staff: staff console and every tenant');

    await staff.getByLabel('Email').fill(acme.engineer.email);
    await staff.getByRole('button', { name: 'Find user' }).click();
    const card = staff.getByTestId('user-roles');
    await expect(card).toContainText(acme.engineer.name);
    await expect(card.getByTestId('user-roles-empty')).toBeVisible();
    expect(await seriousA11yViolations(staff)).toEqual([]);
    await reviewScreenshot(staff, { path: '/tmp/roles-1440.png', fullPage: true });

    await card.getByLabel('Role to assign').selectOption({ label: 'super_admin' });
    await card.getByRole('button', { name: 'Assign role' }).click();
    const assign = staff.getByRole('dialog', { name: 'Assign super_admin?' });
    await expect(assign).toContainText('platform staff access');
    expect(await seriousA11yViolations(staff)).toEqual([]);
    await reviewScreenshot(staff, { path: '/tmp/roles-dialog-1440.png' });
    await assign.getByRole('button', { name: 'Assign role' }).click();
    await expect(staff.getByText(`super_admin assigned to ${acme.engineer.email}`)).toBeVisible();
    await expect(card.getByTestId('user-role')).toContainText('super_admin');

    // Listed after a reload too (it is the identity provider's state, not the page's).
    await staff.reload();
    await expect(staff.getByRole('heading', { level: 1, name: 'Identity roles' })).toBeVisible();
    await staff.getByLabel('Email').fill(acme.engineer.email);
    await staff.getByRole('button', { name: 'Find user' }).click();
    await expect(card.getByTestId('user-role')).toContainText('super_admin');

    await staff.setViewportSize({ width: 390, height: 844 });
    await card.getByRole('button', { name: `Revoke super_admin from ${acme.engineer.email}` }).click();
    const revoke = staff.getByRole('dialog', { name: 'Revoke super_admin?' });
    await expect(revoke.getByRole('button', { name: 'Revoke role' })).toBeInViewport();
    await reviewScreenshot(staff, { path: '/tmp/roles-dialog-390.png' });
    await revoke.getByRole('button', { name: 'Revoke role' }).click();
    await expect(staff.getByText(`super_admin revoked from ${acme.engineer.email}`)).toBeVisible();
    await expect(card.getByTestId('user-roles-empty')).toBeVisible();
    await reviewScreenshot(staff, { path: '/tmp/roles-390.png', fullPage: true });
  } finally {
    // Evan holds no realm role whatever happened above.
    const res = await staff.request.delete(`${apiUrl}/keycloak/roles/cbp/users/${acme.engineer.id}/roles?roleId=super_admin`, {
      headers: { authorization: `Bearer ${await staffToken(staff)}` },
    });
    expect(res.status()).toBe(200);
  }
});

test('tenant owners see no Identity roles tab and get the no-access page on its URL', { tag: '@changes-demo-data' }, async ({ openSession }) => {
  const owner = await openSession(acme.owner.email);
  await owner.getByRole('link', { name: 'Admin' }).first().click();
  await expect(owner.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  await expect(owner.getByRole('link', { name: 'Identity roles' })).toHaveCount(0);
  await owner.goto('/admin/roles');
  await expect(owner.getByRole('heading', { name: "You don't have access to this page" })).toBeVisible();
  await expect(owner.getByTestId('realm-role-row')).toHaveCount(0);
});
