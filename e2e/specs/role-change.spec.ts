import { expect, type Page } from '@playwright/test';
import { apiUrl, reviewScreenshot } from '../support/portal.js';
import { acme, headersOf, openTeam, test } from '../support/team.js';

/*
 * Issue 17: a role picked in the members table is only applied after a confirmation that names
 * the member, both roles and what the new role can do; cancelling leaves the role as it was,
 * and the success toast's Undo puts the previous role back. Changes Evan Engineer's role and
 * puts it back: @changes-demo-data.
 */
const roleSelect = (page: Page) => page.getByLabel(`Role of ${acme.engineer.name}`);
const dialog = (page: Page) => page.getByRole('dialog', { name: `Change ${acme.engineer.name}'s role?` });

async function reloadTeam(page: Page) {
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Team' })).toBeVisible();
  await expect(page.getByTestId('member-row').first()).toBeVisible();
}

test('a role change asks first: cancel keeps the role, confirm changes it, Undo restores it', { tag: '@changes-demo-data' }, async ({ openSession }) => {
  const owner = await openSession(acme.owner.email, { viewport: { width: 1440, height: 900 } });
  try {
    await openTeam(owner);
    await expect(roleSelect(owner)).toHaveValue('engineer');

    // Picking Admin opens the dialog; the grant of admin is marked.
    await roleSelect(owner).selectOption('admin');
    await expect(dialog(owner)).toContainText(`${acme.engineer.name} (${acme.engineer.email}) goes from Engineer to Admin.`);
    await expect(dialog(owner).getByTestId('role-change-summary')).toContainText('What an Admin can do');
    await expect(dialog(owner).getByTestId('role-change-admin-warning')).toContainText('This grants admin access');
    await reviewScreenshot(owner, { path: '/tmp/money-team-role-dialog-1440.png' });
    await dialog(owner).getByRole('button', { name: 'Keep Engineer' }).click();
    await expect(dialog(owner)).toHaveCount(0);
    await expect(roleSelect(owner)).toHaveValue('engineer');
    await reloadTeam(owner);
    await expect(roleSelect(owner)).toHaveValue('engineer');

    // Confirmed: the role changes, and stays changed after a reload.
    await roleSelect(owner).selectOption('admin');
    await dialog(owner).getByRole('button', { name: 'Make Admin' }).click();
    await expect(owner.getByText(`${acme.engineer.name} is now Admin.`)).toBeVisible();
    await expect(roleSelect(owner)).toHaveValue('admin');
    await reloadTeam(owner);
    await expect(roleSelect(owner)).toHaveValue('admin');

    // Undo on the toast restores the previous role.
    await roleSelect(owner).selectOption('analyst');
    await expect(dialog(owner).getByTestId('role-change-admin-warning')).toHaveCount(0);
    await dialog(owner).getByRole('button', { name: 'Make Analyst' }).click();
    const toast = owner.locator('[data-sonner-toast]').filter({ hasText: `${acme.engineer.name} is now Analyst.` });
    await expect(toast).toContainText('Was Admin.');
    await expect(roleSelect(owner)).toHaveValue('analyst');
    await toast.getByRole('button', { name: 'Undo' }).click();
    await expect(owner.getByText(`${acme.engineer.name} is Admin again.`)).toBeVisible();
    await expect(roleSelect(owner)).toHaveValue('admin');
    await reloadTeam(owner);
    await expect(roleSelect(owner)).toHaveValue('admin');

    // On a phone the dialog fits the screen.
    await owner.setViewportSize({ width: 390, height: 844 });
    await roleSelect(owner).selectOption('engineer');
    await expect(dialog(owner)).toBeVisible();
    await expect(dialog(owner).getByRole('button', { name: 'Make Engineer' })).toBeInViewport();
    await reviewScreenshot(owner, { path: '/tmp/money-team-role-dialog-390.png' });
    await dialog(owner).getByRole('button', { name: 'Make Engineer' }).click();
    await expect(roleSelect(owner)).toHaveValue('engineer');
  } finally {
    // Evan is an engineer again whatever happened above.
    const res = await owner.request.patch(`${apiUrl}/users/${acme.engineer.id}/role`, { headers: await headersOf(owner), data: { role: 'engineer' } });
    expect([200, 422]).toContain(res.status());
  }
});
