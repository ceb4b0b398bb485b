import { mkdirSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { seriousA11yViolations, reviewScreenshot } from '../support/portal.js';
import { staffEmail, test } from '../support/team.js';

/*
 * Issue 16, staff mode: platform staff inside Acme see a persistent banner on every page (light
 * and dark, desktop and phone); Acme's owner sees no banner and finds the staff visit in Acme's
 * own audit log. Only reads the demo data (the visit entry is written whenever staff enter Acme,
 * by any spec), so it runs with the parallel specs. Screenshots into /tmp/shots-B/.
 */
const shots = '/tmp/shots-B';
mkdirSync(shots, { recursive: true });

const banner = (page: Page) => page.getByTestId('staff-banner');

/** Light then dark: no serious or critical axe violation; a screenshot of each. */
async function expectAccessible(page: Page, name: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'dark') await expect(page.locator('html')).toHaveClass(/\bdark\b/);
    else await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
    await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
    expect(await seriousA11yViolations(page), `${name} (${colorScheme})`).toEqual([]);
    const width = page.viewportSize()?.width ?? 0;
    await reviewScreenshot(page, { path: `${shots}/${name}-${width}-${colorScheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 390, height: 844 },
]) {
  test(`staff acting in Acme see the staff banner on every page (${viewport.width}px)`, async ({ openSession }) => {
    test.slow(); // four axe passes, six pages and their screenshots on a busy 2-core machine
    const staff = await openSession(staffEmail, { viewport });
    await expect(banner(staff)).toHaveText(/You are acting in Acme Corp as platform staff\./);
    await expect(banner(staff)).toHaveAttribute('role', 'status');
    await expectAccessible(staff, 'staff-dashboard');

    for (const [path, heading] of [
      ['/team', 'Team'],
      ['/organization', 'Organization'],
      ['/billing', 'Billing'],
      ['/usage', 'Usage'],
      ['/settings/profile', 'Settings'],
    ] as const) {
      await staff.goto(path);
      await expect(staff.getByRole('heading', { level: 1, name: heading })).toBeVisible();
      await expect(banner(staff), path).toBeVisible();
      await expect(banner(staff)).toContainText('Acme Corp');
      // Staff are never told they are an owner.
      await expect(staff.getByText(/as an owner|you are an owner/i)).toHaveCount(0);
    }
    await staff.goto('/organization');
    await expect(staff.getByTestId('export-staff-note')).toBeVisible();
    await expectAccessible(staff, 'staff-organization');
  });
}

test("Acme's owner sees no banner, and finds the staff visit in Acme's audit log", async ({ openSession }) => {
  test.slow(); // two people's sessions and two axe passes
  // Staff enter Acme (at least once: the visit is recorded at most every 30 minutes).
  const staff = await openSession(staffEmail);
  await expect(banner(staff)).toBeVisible();

  const owner = await openSession('owner@acme.test', { viewport: { width: 1440, height: 900 } });
  await expect(owner.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(banner(owner)).toHaveCount(0);
  await owner.goto('/admin/audit-logs?action=staff.accessed');
  await expect(owner.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  const rows = owner.getByTestId('audit-log-row');
  await expect(rows.first()).toContainText('Platform staff accessed the organization');
  await expect(rows.filter({ hasText: staffEmail }).first()).toBeVisible();
  await expect(owner.getByLabel('Action', { exact: true })).toHaveValue('staff.accessed');
  await expectAccessible(owner, 'owner-audit-staff-accessed');
});
