import { expect, request, type Page } from '@playwright/test';
import { apiUrl, seriousA11yViolations, reviewScreenshot } from '../support/portal.js';
import { headersOf, test } from '../support/team.js';

/*
 * GDPR export and deletion on the Organization page (issue 15, slice 3). Both write to Globex (an
 * archive, a scheduled deletion that is cancelled again), so they run with @changes-globex.
 */
const changesGlobex = { tag: '@changes-globex' };

async function openOrganization(page: Page) {
  await page.goto('/organization');
  await expect(page.getByRole('heading', { level: 1, name: 'Organization' })).toBeVisible();
}

async function expectAccessible(page: Page, where: string) {
  await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
  expect(await seriousA11yViolations(page), where).toEqual([]);
}

/**
 * After the deletion test, whatever happened in it (a timeout closes its page first), Globex is put
 * back through a request context of its own: 409 when it is not pending, nothing to undo.
 */
let undoDeletion: Record<string, string> | null = null;
test.afterEach(async () => {
  if (!undoDeletion) return;
  const api = await request.newContext();
  await api.post(`${apiUrl}/organization/deletion/cancel`, { headers: undoDeletion });
  await api.dispose();
  undoDeletion = null;
});

test('the owner requests an export, sees it complete and listed, and downloads it', changesGlobex, async ({ openSession }) => {
  const owner = await openSession('owner@globex.test', { viewport: { width: 1440, height: 900 } });
  await openOrganization(owner);
  const card = owner.getByRole('region', { name: 'Data export' });
  await card.getByRole('button', { name: 'Request export' }).click();
  await expect(owner.getByText('Export requested. You will be notified when it is ready.')).toBeVisible();
  const row = card.getByTestId('export-row').first();
  await expect(row.getByText('Ready')).toBeVisible({ timeout: 30_000 });
  await expect(row.getByText(/(KB|MB|B) · expires/)).toBeVisible();
  const download = owner.waitForEvent('download');
  await row.getByRole('button', { name: /Download/ }).click();
  expect((await download).suggestedFilename()).toMatch(/^organization-export-\d{4}-\d{2}-\d{2}\.zip$/);
  await expectAccessible(owner, 'organization page with exports');
  await card.scrollIntoViewIfNeeded();
  await reviewScreenshot(owner, { path: '/tmp/orgdata-export-1440.png', fullPage: true });
});

test('the owner schedules deletion with the exact name, sees the banner, and cancels it', changesGlobex, async ({ openSession }) => {
  const owner = await openSession('owner@globex.test', { viewport: { width: 1440, height: 900 } });
  undoDeletion = await headersOf(owner);
  await openOrganization(owner);
  await owner.getByRole('button', { name: 'Delete organization' }).click();
  const dialog = owner.getByRole('dialog', { name: 'Delete Globex?' });
  await expect(dialog.getByText(/30-day grace period/)).toBeVisible();
  await dialog.getByLabel(/to confirm/).fill('globex');
  await expect(dialog.getByRole('button', { name: 'Schedule deletion' })).toBeDisabled();
  await dialog.getByLabel(/to confirm/).fill('Globex');
  await expectAccessible(owner, 'delete dialog');
  await reviewScreenshot(owner, { path: '/tmp/orgdata-dialog-1440.png' });
  await dialog.getByRole('button', { name: 'Schedule deletion' }).click();
  const banner = owner.getByTestId('deletion-banner');
  await expect(banner).toContainText('This organization is scheduled for deletion on');
  await expect(owner.getByTestId('deletion-countdown')).toContainText(/\(30 days left\)/);
  await expectAccessible(owner, 'organization page pending deletion');
  await reviewScreenshot(owner, { path: '/tmp/orgdata-pending-1440.png', fullPage: true });

  // Members keep working and see the banner on any page.
  const analyst = await openSession('analyst@globex.test', { viewport: { width: 390, height: 844 } });
  await analyst.goto('/');
  await expect(analyst.getByTestId('deletion-banner')).toBeVisible();
  await expectAccessible(analyst, 'banner on a phone');
  await reviewScreenshot(analyst, { path: '/tmp/orgdata-banner-390.png', fullPage: true });

  await owner.getByRole('button', { name: 'Cancel deletion' }).click();
  await expect(owner.getByText('Deletion cancelled. The organization stays.')).toBeVisible();
  await expect(banner).toHaveCount(0);
  await expect(owner.getByRole('button', { name: 'Delete organization' })).toBeVisible();
});

test('the danger zone and the export card on a phone', changesGlobex, async ({ openSession }) => {
  const owner = await openSession('owner@globex.test', { viewport: { width: 390, height: 844 } });
  await openOrganization(owner);
  await owner.getByRole('region', { name: 'Danger zone' }).scrollIntoViewIfNeeded();
  await expect(owner.getByRole('button', { name: 'Delete organization' })).toBeVisible();
  await expectAccessible(owner, 'organization page on a phone');
  await reviewScreenshot(owner, { path: '/tmp/orgdata-page-390.png', fullPage: true });
});
