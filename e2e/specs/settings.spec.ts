import { expect, type Page } from '@playwright/test';
import { apiUrl, seriousA11yViolations, signIn, signOut } from '../support/portal.js';
import { acme, headersOf, invitationLinkFromOutbox, staffEmail, test, tokenOf, uniqueEmail } from '../support/team.js';

/*
 * The user's own settings (issue 14): profile, password, appearance, sessions. The name and
 * password changes are made by a person invited for the test (the demo users' passwords are
 * what every other spec signs in with); they join Acme, so the tag runs the test alone after the
 * others (playwright.config.ts) and the test removes them at the end.
 */

async function openSettings(page: Page, tab: string) {
  await page.getByRole('button', { name: /^Account menu for / }).click();
  await page.getByRole('menuitem', { name: 'Settings' }).click();
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: tab }).click();
  await expect(page.getByRole('heading', { level: 2, name: tab })).toBeVisible();
}

test(
  'a member changes their name and password, then signs in with the new password (the old one is refused)',
  { tag: '@changes-demo-data' },
  async ({ openSession }) => {
    const email = uniqueEmail('sasha');
    const password = 'first-password-123';
    const newPassword = 'second-password-456';
    const admin = await openSession(acme.admin.email);
    const adminHeaders = await headersOf(admin);
    const invited = await admin.request.post(`${apiUrl}/user-invitations`, { headers: adminHeaders, data: { email, role: 'analyst' } });
    expect(invited.status(), await invited.text()).toBeLessThan(300);
    const link = await invitationLinkFromOutbox(await openSession(staffEmail), email);
    const accepted = await admin.request.post(`${apiUrl}/user-invitations/accept`, { data: { token: tokenOf(link), name: 'Sasha Settings', password } });
    expect(accepted.status(), await accepted.text()).toBeLessThan(300);

    const page = await openSession();
    try {
      await signIn(page, email, password);
      await expect(page.getByTestId('tenant-name')).toHaveText(acme.name);

      await openSettings(page, 'Profile');
      await expect(page.getByLabel('Email')).toHaveValue(email);
      await page.getByLabel('Name').fill('Sasha Q. Settings');
      await page.getByRole('button', { name: 'Save profile' }).click();
      await expect(page.getByText('Profile saved.')).toBeVisible();
      await expect(page.getByRole('button', { name: 'Account menu for Sasha Q. Settings' })).toBeVisible();

      await openSettings(page, 'Password');
      await page.getByLabel('Current password').fill('not-my-password');
      await page.getByLabel('New password', { exact: true }).fill(newPassword);
      await page.getByLabel('Confirm new password').fill(newPassword);
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect(page.getByText('The current password is not correct')).toBeVisible();
      await page.getByLabel('Current password').fill(password);
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect(page.getByText(/^Password changed\./)).toBeVisible();
      await expect(page.getByLabel('Current password')).toHaveValue('');

      await signOut(page, 'Sasha Q. Settings');
      await signIn(page, email, password);
      await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
      await signIn(page, email, newPassword);
      await expect(page.getByTestId('tenant-name')).toHaveText(acme.name);
      await expect(page.getByRole('button', { name: 'Account menu for Sasha Q. Settings' })).toBeVisible();
    } finally {
      const found = await admin.request.get(`${apiUrl}/users?${new URLSearchParams({ search: email })}`, { headers: adminHeaders });
      for (const member of ((await found.json()) as { data: { id: string; email: string }[] }).data.filter((m) => m.email === email)) {
        await admin.request.delete(`${apiUrl}/users/${member.id}`, { headers: adminHeaders });
      }
    }
  },
);

test.describe('accessibility (axe: no serious or critical violation)', () => {
  for (const tab of ['Profile', 'Password', 'Appearance', 'Sessions', 'Notifications']) {
    test(`settings: ${tab}`, async ({ page }) => {
      await signIn(page, 'analyst@globex.test');
      await expect(page.getByTestId('tenant-name')).toHaveText('Globex');
      await openSettings(page, tab);
      if (tab === 'Sessions') await expect(page.getByText('This device')).toBeVisible();
      expect(await seriousA11yViolations(page)).toEqual([]);
    });
  }
});
