import { expect, type Page } from '@playwright/test';
import { apiUrl, seriousA11yViolations, signIn } from '../support/portal.js';
import { acme, headersOf, invitationLinkFromOutbox, staffEmail, test, tokenOf, uniqueEmail } from '../support/team.js';

/*
 * The built-in identity provider's own pages (issue 17 item 9): "Forgot password?" end to end,
 * and every page of the provider under axe in both colour schemes (they follow the system's
 * preference). The reset is done by a person invited for the test (the demo users' passwords are
 * what every other spec signs in with); they join Acme, so the tag runs the test alone after the
 * others (playwright.config.ts) and the test removes them at the end.
 */

/** Platform staff read the newest reset mail to `to` in Acme's outbox and take the link out of it. */
async function resetLinkFromOutbox(staff: Page, to: string): Promise<string> {
  await staff.goto('/admin/outbox');
  await expect(staff.getByRole('heading', { level: 1, name: 'Outbox' })).toBeVisible();
  const mail = staff.getByTestId('outbox-row').filter({ hasText: to }).filter({ hasText: 'Reset your CBP password' }).first();
  await mail.getByRole('button', { name: /Reset your CBP password/ }).click();
  const sheet = staff.getByRole('dialog', { name: /Reset your CBP password/ });
  await expect(sheet).toContainText(`To ${to}`);
  const href = await sheet.getByTestId('outbox-body').getByRole('link', { name: /\/oidc\/account\/reset-password\?token=/ }).getAttribute('href');
  expect(href).toMatch(/^http:\/\/localhost:14000\/oidc\/account\/reset-password\?token=[\w-]{40,}$/);
  return href ?? '';
}

/** No serious or critical axe finding in the light and the dark scheme (the pages follow prefers-color-scheme). */
async function expectAccessibleInBothThemes(page: Page, where: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await seriousA11yViolations(page), `${where} (${colorScheme})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** From the portal's sign-in page to the identity provider's. */
async function openProviderSignIn(page: Page) {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/oidc\/interaction\//);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
}

test(
  'a member who forgot their password asks for a link on the sign-in page, sets a new password from the mail and signs in with it',
  { tag: '@changes-demo-data' },
  async ({ openSession }) => {
    const email = uniqueEmail('robin');
    const password = 'first-password-123';
    const newPassword = 'after-reset-456';
    const admin = await openSession(acme.admin.email);
    const adminHeaders = await headersOf(admin);
    const invited = await admin.request.post(`${apiUrl}/user-invitations`, { headers: adminHeaders, data: { email, role: 'analyst' } });
    expect(invited.status(), await invited.text()).toBeLessThan(300);
    const staff = await openSession(staffEmail);
    const link = await invitationLinkFromOutbox(staff, email);
    const accepted = await admin.request.post(`${apiUrl}/user-invitations/accept`, { data: { token: tokenOf(link), name: 'Robin Reset', password } });
    expect(accepted.status(), await accepted.text()).toBeLessThan(300);

    const page = await openSession();
    try {
      await openProviderSignIn(page);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Reset your password' })).toBeVisible();
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Check your email' })).toBeVisible();
      await expect(page.getByRole('status')).toHaveText(`If an account exists for ${email}, we sent it a link to reset the password.`);

      // The link may be opened in another browser: it needs no sign-in in progress.
      const resetLink = await resetLinkFromOutbox(staff, email);
      const other = await openSession();
      await other.goto(resetLink);
      await expect(other.getByRole('heading', { level: 1, name: 'Choose a new password' })).toBeVisible();
      await expectAccessibleInBothThemes(other, 'reset form');
      await other.getByLabel('New password', { exact: true }).fill(newPassword);
      await other.getByLabel('Confirm new password').fill('not-the-same-1');
      await other.getByRole('button', { name: 'Change password' }).click();
      await expect(other.getByLabel('Confirm new password')).toHaveAccessibleDescription('The passwords do not match');
      await expectAccessibleInBothThemes(other, 'reset form with an error');
      await other.getByLabel('New password', { exact: true }).fill(newPassword);
      await other.getByLabel('Confirm new password').fill(newPassword);
      await other.getByRole('button', { name: 'Change password' }).click();
      await expect(other.getByRole('heading', { level: 1, name: 'Password changed' })).toBeVisible();
      await expectAccessibleInBothThemes(other, 'password changed');

      // The link works once.
      await other.goto(resetLink);
      await expect(other.getByRole('heading', { level: 1, name: 'This password reset link was already used' })).toBeVisible();
      await expect(other.getByRole('link', { name: 'Ask for a new link' })).toBeVisible();
      await expectAccessibleInBothThemes(other, 'used link');

      await other.goto('/');
      await signIn(other, email, password);
      await expect(other.getByRole('alert')).toHaveText('Invalid email or password.');
      await signIn(other, email, newPassword);
      await expect(other.getByTestId('tenant-name')).toHaveText(acme.name);
      await expect(other.getByRole('button', { name: 'Account menu for Robin Reset' })).toBeVisible();
    } finally {
      const found = await admin.request.get(`${apiUrl}/users?${new URLSearchParams({ search: email })}`, { headers: adminHeaders });
      for (const member of ((await found.json()) as { data: { id: string; email: string }[] }).data.filter((m) => m.email === email)) {
        await admin.request.delete(`${apiUrl}/users/${member.id}`, { headers: adminHeaders });
      }
    }
  },
);

test('the identity provider\'s pages: sign-in, forgot password, sign-up, their errors and a bad link (axe, light and dark)', async ({ page }) => {
  // Nine pages, two themes each: three times the default timeout on a busy 2-core machine.
  test.slow();
  await openProviderSignIn(page);
  await expectAccessibleInBothThemes(page, 'sign-in');
  await page.getByLabel('Email').fill('analyst@globex.test');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
  await expect(page.getByLabel('Password')).toHaveAccessibleDescription('Invalid email or password.');
  await expectAccessibleInBothThemes(page, 'sign-in with an error');

  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Reset your password' })).toBeVisible();
  await expectAccessibleInBothThemes(page, 'forgot password');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByLabel('Email')).toHaveAccessibleDescription('Enter an email address such as name@example.com');
  await expectAccessibleInBothThemes(page, 'forgot password with an error');
  // An address without an account: the same answer, no mail.
  await page.getByLabel('Email').fill(uniqueEmail('nobody'));
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Check your email' })).toBeVisible();
  await expectAccessibleInBothThemes(page, 'reset link sent');
  await page.getByRole('link', { name: 'Back to sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();

  await page.getByRole('link', { name: 'Create an account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Create your account' })).toBeVisible();
  await expectAccessibleInBothThemes(page, 'sign-up');
  await page.getByLabel('Full name').fill('Ivy Outsider');
  await page.getByLabel('Work email').fill(uniqueEmail('ivy'));
  await page.getByLabel('Password', { exact: true }).fill('ivys-password-1');
  await page.getByLabel('Confirm password').fill('ivys-password-1');
  await page.getByRole('button', { name: 'Create account' }).click();
  // No organization verified example.com and allows it: refused, naming none.
  await expect(page.getByLabel('Work email')).toHaveAccessibleDescription(/cannot sign up here\. Ask the administrator of your organization to invite you\./);
  await expectAccessibleInBothThemes(page, 'sign-up refused');

  await page.goto(`${apiUrl}/oidc/account/reset-password?token=not-a-real-token`);
  await expect(page.getByRole('heading', { level: 1, name: 'This password reset link is not valid' })).toBeVisible();
  await expectAccessibleInBothThemes(page, 'unknown reset link');
});
