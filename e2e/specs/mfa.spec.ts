import { createHmac } from 'node:crypto';
import { expect, type Page } from '@playwright/test';
import { apiUrl, reviewScreenshot, seriousA11yViolations, signIn } from '../support/portal.js';
import { acme, headersOf, invitationLinkFromOutbox, staffEmail, test, tokenOf, uniqueEmail } from '../support/team.js';

/*
 * Two-step verification end to end (issue 15): a member sets it up from Settings > Password at
 * the built-in provider (QR code, key as text, first code, recovery codes), signs in with a code,
 * and turns it off again. The member is invited for the test (the demo users keep signing in
 * without a code); they join Acme, so the tag runs the test alone after the others, and the test
 * removes them at the end.
 */

/** RFC 6238 (SHA-1, 6 digits, 30 s) for the code an authenticator app would show at `at`. */
function totp(base32: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/\s/g, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

async function expectAccessibleInBothThemes(page: Page, where: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await seriousA11yViolations(page), `${where} (${colorScheme})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The provider's sign-in form after a button in the portal sent the browser there (prompt=login). */
async function passwordAgain(page: Page, email: string, password: string) {
  await expect(page).toHaveURL(/\/oidc\/interaction\//);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test(
  'a member sets up two-step verification from their settings, signs in with a code, and turns it off again',
  { tag: '@changes-demo-data' },
  async ({ openSession }) => {
    test.slow();
    const email = uniqueEmail('tess');
    const password = 'two-steps-password-1';
    const admin = await openSession(acme.admin.email);
    const adminHeaders = await headersOf(admin);
    const invited = await admin.request.post(`${apiUrl}/user-invitations`, { headers: adminHeaders, data: { email, role: 'analyst' } });
    expect(invited.status(), await invited.text()).toBeLessThan(300);
    const staff = await openSession(staffEmail);
    const link = await invitationLinkFromOutbox(staff, email);
    const accepted = await admin.request.post(`${apiUrl}/user-invitations/accept`, { data: { token: tokenOf(link), name: 'Tess Twostep', password } });
    expect(accepted.status(), await accepted.text()).toBeLessThan(300);

    const page = await openSession();
    try {
      await signIn(page, email, password);
      await expect(page.getByTestId('tenant-name')).toHaveText(acme.name);
      await page.goto('/settings/password');
      const section = page.getByRole('region', { name: 'Two-step verification' });
      await expect(section.getByTestId('two-step-status')).toHaveText('Off');
      await section.getByRole('button', { name: 'Set up two-step verification' }).click();

      await passwordAgain(page, email, password);
      await expect(page.getByRole('heading', { level: 1, name: 'Set up two-step verification' })).toBeVisible();
      await expect(page.getByRole('img', { name: /QR code/ })).toBeVisible();
      await expectAccessibleInBothThemes(page, 'enrolment');
      await reviewScreenshot(page, { path: '/tmp/mfa-enrol-1440.png', fullPage: true });
      const secret = (await page.locator('#secret').textContent()) ?? '';
      await page.getByLabel('Authentication code').fill('000000' === totp(secret) ? '111111' : '000000');
      await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
      await expect(page.getByLabel('Authentication code')).toHaveAccessibleDescription(/That code is not right/);
      await expectAccessibleInBothThemes(page, 'enrolment with a wrong code');
      const enrolledAt = Date.now();
      await page.getByLabel('Authentication code').fill(totp(secret, enrolledAt));
      await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Save your recovery codes' })).toBeVisible();
      await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
      await expectAccessibleInBothThemes(page, 'recovery codes');
      await reviewScreenshot(page, { path: '/tmp/mfa-codes-1440.png', fullPage: true });
      await page.getByRole('button', { name: 'I saved my codes, continue' }).click();
      await expect(page).toHaveURL(/\/settings\/password$/);
      await expect(page.getByRole('region', { name: 'Two-step verification' }).getByTestId('two-step-status')).toHaveText('On');
      await reviewScreenshot(page, { path: '/tmp/mfa-settings-on-1440.png', fullPage: true });

      // Turning it off asks for the password and a code again (not the enrolment's: a code works once).
      await page.getByRole('button', { name: 'Turn off two-step verification' }).click();
      await passwordAgain(page, email, password);
      await expect(page.getByRole('heading', { level: 1, name: 'Turn off two-step verification' })).toBeVisible();
      await expectAccessibleInBothThemes(page, 'code');
      // A later step than the enrolment's (the next one while it is still current; the app's current one after that).
      await page.getByLabel('Authentication code').fill(totp(secret, Math.max(Date.now(), (Math.floor(enrolledAt / 30_000) + 1) * 30_000)));
      await page.getByRole('button', { name: 'Turn off' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Two-step verification is off' })).toBeVisible();
      await page.getByRole('button', { name: 'Continue to the portal' }).click();
      await expect(page).toHaveURL(/\/settings\/password$/);
      await expect(page.getByRole('region', { name: 'Two-step verification' }).getByTestId('two-step-status')).toHaveText('Off');
    } finally {
      const found = await admin.request.get(`${apiUrl}/users?${new URLSearchParams({ search: email })}`, { headers: adminHeaders });
      for (const member of ((await found.json()) as { data: { id: string; email: string }[] }).data.filter((m) => m.email === email)) {
        await admin.request.delete(`${apiUrl}/users/${member.id}`, { headers: adminHeaders });
      }
    }
  },
);
