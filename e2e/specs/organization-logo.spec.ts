import { expect, type Page } from '@playwright/test';
import sharp from 'sharp';
import { apiUrl, seriousA11yViolations, reviewScreenshot } from '../support/portal.js';
import { headersOf, test } from '../support/team.js';

/*
 * The organization logo (issue 15, acceptance 3): an admin uploads a real PNG (made here with
 * sharp), previews it, saves it and sees it in the header; a text file named .png is refused with
 * the API's sentence. It changes Globex's logo, so it runs with the specs that change Globex
 * (@changes-globex) and removes the logo at the end.
 */
const changesGlobex = { tag: '@changes-globex' };

async function openOrganization(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organization' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Organization' })).toBeVisible();
}

const logoCard = (page: Page) => page.locator('section', { has: page.getByRole('heading', { name: 'Logo', exact: true }) });

test('the owner uploads a PNG logo and sees it in the header; a text file named .png is refused', changesGlobex, async ({ openSession }) => {
  const admin = await openSession('owner@globex.test');
  try {
    await openOrganization(admin);
    const header = admin.getByRole('banner');
    await expect(header.getByTestId('header-initials')).toBeVisible();
    const card = logoCard(admin);

    // A text file that claims to be a PNG: the API checks the content and says so.
    await card.getByLabel('Choose an image').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all\n'.repeat(20)) });
    await card.getByRole('button', { name: 'Save logo' }).click();
    await expect(card.getByTestId('logo-error')).toContainText('The file is not a PNG, JPEG or WebP image');
    await card.getByRole('button', { name: 'Cancel' }).click();

    const png = await sharp({ create: { width: 480, height: 240, channels: 4, background: { r: 37, g: 99, b: 235, alpha: 1 } } })
      .composite([{ input: Buffer.from('<svg width="480" height="240"><circle cx="240" cy="120" r="90" fill="#fbbf24"/></svg>'), top: 0, left: 0 }])
      .png()
      .toBuffer();
    await card.getByLabel('Choose an image').setInputFiles({ name: 'globex-logo.png', mimeType: 'image/png', buffer: png });
    await expect(card.getByRole('img', { name: 'Preview of the new logo' })).toBeVisible();
    await card.getByRole('button', { name: 'Save logo' }).click();
    await expect(admin.getByText('Logo saved.')).toBeVisible();
    const headerLogo = header.getByTestId('header-logo');
    await expect(headerLogo).toBeVisible();
    // The header image really loaded (a decoded 256x256 thumbnail from the API).
    await expect.poll(() => headerLogo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(256);
    await expect(card.getByRole('img', { name: 'Current logo' })).toBeVisible();

    for (const colorScheme of ['light', 'dark'] as const) {
      await admin.emulateMedia({ colorScheme });
      await admin.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
      expect(await seriousA11yViolations(admin), `organization page with a logo (${colorScheme})`).toEqual([]);
    }
    await admin.emulateMedia({ colorScheme: 'light' });
    await admin.setViewportSize({ width: 1440, height: 900 });
    await card.scrollIntoViewIfNeeded();
    await reviewScreenshot(admin, { path: '/tmp/logo-1440x900.png' });
    await admin.setViewportSize({ width: 390, height: 844 });
    await card.scrollIntoViewIfNeeded();
    await reviewScreenshot(admin, { path: '/tmp/logo-390x844.png' });

    // Removing asks first, then the header falls back to the initials.
    await card.getByRole('button', { name: 'Remove logo' }).click();
    await admin.getByRole('dialog', { name: 'Remove the logo?' }).getByRole('button', { name: 'Remove logo' }).click();
    await expect(header.getByTestId('header-initials')).toBeVisible();
  } finally {
    // Put the demo data back whatever happened (404 when already removed).
    const res = await admin.request.delete(`${apiUrl}/organization/logo`, { headers: await headersOf(admin) });
    expect([204, 404]).toContain(res.status());
  }
});
