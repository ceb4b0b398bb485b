import { expect, type Page } from '@playwright/test';
import { apiUrl, seriousA11yViolations, reviewScreenshot } from '../support/portal.js';
import { headersOf, test } from '../support/team.js';

/*
 * The Organization page (issue 15, slice 1: profile, settings, verified domains). Reading runs in
 * parallel with the other specs; editing the profile and adding a domain write to Globex (and
 * its audit trail), so those tests are tagged @changes-globex (one at a time, after the readers,
 * beside the specs that change Acme) and put back what they changed.
 */
const changesGlobex = { tag: '@changes-globex' };

async function openOrganization(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organization' }).click();
  await expect(page).toHaveURL(/\/organization$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Organization' })).toBeVisible();
  await expect(page.getByRole('form', { name: 'Organization profile' })).toBeVisible();
}

/** Light then dark: no serious or critical axe violation; screenshots at the current viewport. */
async function expectAccessible(page: Page, where: string, screenshot?: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'dark') await expect(page.locator('html')).toHaveClass(/\bdark\b/);
    else await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
    await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
    expect(await seriousA11yViolations(page), `${where} (${colorScheme})`).toEqual([]);
    if (screenshot) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await reviewScreenshot(page, { path: `/tmp/org-${screenshot}-${colorScheme}.png`, fullPage: true });
    }
  }
}

test('an analyst sees the profile and settings read-only, with a note, and no domain actions', async ({ openSession }) => {
  const analyst = await openSession('analyst@acme.test');
  await openOrganization(analyst);
  const profile = analyst.getByRole('form', { name: 'Organization profile' });
  await expect(profile.getByLabel('Organization name')).toHaveValue('Acme Corp');
  await expect(profile.getByLabel('Organization name')).toBeDisabled();
  await expect(profile.getByRole('button', { name: 'Save profile' })).toHaveCount(0);
  await expect(analyst.getByText('Only admins and owners can change the profile. You can read it.')).toBeVisible();
  await expect(analyst.getByRole('form', { name: 'Organization settings' }).getByLabel(/^Timezone/)).toBeDisabled();
  await expect(analyst.getByRole('button', { name: 'Add domain' })).toHaveCount(0);
  // The API refuses as the page says.
  const refused = await analyst.request.patch(`${apiUrl}/organization`, { headers: await headersOf(analyst), data: { legalName: 'Nope' } });
  expect(refused.status()).toBe(403);
  await expectAccessible(analyst, 'organization page as analyst');
});

test('the owner edits the profile and sees it saved after a reload', changesGlobex, async ({ openSession }) => {
  const admin = await openSession('owner@globex.test');
  await openOrganization(admin);
  const profile = admin.getByRole('form', { name: 'Organization profile' });
  const original = await profile.getByLabel(/^Legal name/).inputValue();
  try {
    await profile.getByLabel(/^Legal name/).fill('Globex Corporation GmbH');
    await profile.getByLabel('Billing email').fill('not-an-email');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await expect(profile.getByText('Billing email must be an email address.')).toBeVisible();
    await profile.getByLabel('Billing email').fill('billing@globex.example');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await expect(admin.getByText('Organization profile saved.')).toBeVisible();
    await admin.reload();
    await expect(admin.getByRole('form', { name: 'Organization profile' }).getByLabel(/^Legal name/)).toHaveValue('Globex Corporation GmbH');
    await expect(admin.getByRole('form', { name: 'Organization profile' }).getByLabel('Billing email')).toHaveValue('billing@globex.example');
  } finally {
    await admin.request.patch(`${apiUrl}/organization`, { headers: await headersOf(admin), data: { legalName: original || null, billingEmail: null } });
  }
});

test('adding a domain shows its TXT record; verifying explains what DNS answered', changesGlobex, async ({ openSession }) => {
  const admin = await openSession('owner@globex.test', { viewport: { width: 1440, height: 900 } });
  await openOrganization(admin);
  const name = `e2e-${Date.now()}.example`;
  await admin.getByRole('button', { name: 'Add domain' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Add a domain' });
  await dialog.getByLabel('Domain', { exact: true }).fill(`https://${name.toUpperCase()}/path`);
  await dialog.getByRole('button', { name: 'Add domain' }).click();
  const added = admin.getByRole('dialog', { name: `Verify ${name}` });
  await expect(added.getByTestId('txt-name')).toHaveText(`_cbp-verification.${name}`);
  await expect(added.getByTestId('txt-value')).toHaveText(/^cbp-verify-[0-9a-f]{40}$/);
  await expectAccessible(admin, 'add domain dialog with its TXT record');
  await added.getByRole('button', { name: 'Done' }).click();
  const row = admin.getByTestId('domain-row').filter({ hasText: name });
  await expect(row.getByTestId('domain-status')).toHaveText('Pending');
  await expect(row.getByTestId('txt-name')).toHaveText(`_cbp-verification.${name}`);
  // Nobody publishes this record: the lookup (the system's resolver here) finds nothing.
  await row.getByRole('button', { name: /Verify now/ }).click();
  await expect(row.getByText('Not verified yet')).toBeVisible({ timeout: 15_000 });
  await expect(row.getByTestId('domain-status')).toHaveText('Pending');
  await expectAccessible(admin, 'organization page as admin', 'page-1440');
  await admin.setViewportSize({ width: 390, height: 844 });
  await expectAccessible(admin, 'organization page on a phone', 'page-390');
  await admin.setViewportSize({ width: 1440, height: 900 });
  // Remove it again (after asking).
  await row.getByRole('button', { name: /Remove/ }).click();
  await admin.getByRole('dialog', { name: `Remove ${name}?` }).getByRole('button', { name: 'Remove domain' }).click();
  await expect(admin.getByText(`${name} was removed.`)).toBeVisible();
  await expect(admin.getByTestId('domain-row').filter({ hasText: name })).toHaveCount(0);
});
