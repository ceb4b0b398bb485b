import { expect, type Page } from '@playwright/test';
import { apiUrl, seriousA11yViolations } from '../support/portal.js';
import { acme, headersOf, test } from '../support/team.js';

/*
 * The notification center (issue 14, portal slice 1): the bell in the header, its dropdown, the
 * notifications page with its filters in the URL, and the user's notification settings. Every
 * member (analyst and up) has all three. Settings changes are put back at the end.
 */

/** Light then dark: no serious or critical axe violation; a screenshot of each into /tmp/nt-<name>-<scheme>.png. */
async function expectAccessible(page: Page, where: string, screenshot: string, fullPage = false) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'dark') await expect(page.locator('html')).toHaveClass(/\bdark\b/);
    else await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
    await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
    expect(await seriousA11yViolations(page), `${where} (${colorScheme})`).toEqual([]);
    await page.screenshot({ path: `/tmp/nt-${screenshot}-${colorScheme}.png`, fullPage });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const bellOf = (page: Page) => page.getByRole('button', { name: /^Notifications(, .+ unread)?$/ });

test('an admin opens the bell, the notifications page with filters in the URL, and the notification settings', async ({ openSession }) => {
  test.slow();
  const admin = await openSession(acme.admin.email);
  const bell = bellOf(admin);
  await expect(bell).toBeVisible();

  await bell.click();
  const menu = admin.getByRole('menu', { name: 'Notifications' });
  await expect(menu).toBeVisible();
  await expect(menu.getByRole('menuitem', { name: 'Mark all read' })).toBeVisible();
  await expectAccessible(admin, 'bell dropdown', 'bell');
  await admin.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(bell).toBeFocused();

  await bell.click();
  await admin.getByRole('menuitem', { name: 'View all notifications' }).click();
  await expect(admin).toHaveURL(/\/notifications$/);
  await expect(admin.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  await expect(admin.getByTestId('notification-count-summary')).toContainText('unread');
  await admin.getByLabel('Show').selectOption('unread');
  await expect(admin).toHaveURL(/\/notifications\?show=unread$/);
  await admin.getByLabel('Type').selectOption('payment.failed');
  await expect(admin).toHaveURL(/\/notifications\?show=unread&type=payment\.failed$/);
  await expect(admin.getByTestId('notification-count-summary')).toBeVisible();
  await admin.getByRole('search', { name: 'Notification filters' }).getByRole('button', { name: 'Clear filters' }).click();
  await expect(admin).toHaveURL(/\/notifications$/);
  await expectAccessible(admin, 'notifications page', 'page');

  await admin.getByRole('link', { name: 'Settings' }).click();
  await expect(admin).toHaveURL(/\/settings\/notifications$/);
  await expect(admin.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  const table = admin.getByRole('table', { name: 'Notification types' });
  await expect(table).toBeVisible();
  await expectAccessible(admin, 'notification settings', 'settings', true);

  // A change is saved, survives a reload, and is put back.
  const digest = admin.getByRole('checkbox', { name: 'Daily digest email' });
  const before = await digest.isChecked();
  await digest.setChecked(!before);
  await admin.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Notification settings saved.')).toBeVisible();
  await admin.reload();
  await expect(admin.getByRole('checkbox', { name: 'Daily digest email' })).toBeChecked({ checked: !before });
  await admin.getByRole('checkbox', { name: 'Daily digest email' }).setChecked(before);
  await admin.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Notification settings saved.').first()).toBeVisible();
});

test('an analyst has the bell, the notifications page and the settings too', async ({ openSession }) => {
  const analyst = await openSession(acme.analyst.email);
  await expect(bellOf(analyst)).toBeVisible();
  await analyst.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click();
  await expect(analyst.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  await expect(analyst.getByTestId('notification-count-summary')).toBeVisible();
  expect(await seriousA11yViolations(analyst)).toEqual([]);

  await analyst.getByRole('button', { name: `Account menu for ${acme.analyst.name}` }).click();
  await analyst.getByRole('menuitem', { name: 'Settings' }).click();
  await expect(analyst).toHaveURL(/\/settings\/notifications$/);
  await expect(analyst.getByRole('table', { name: 'Notification types' })).toBeVisible();
  expect(await seriousA11yViolations(analyst)).toEqual([]);
});

test("the owner's new API key notifies the admin: the bell counts it, choosing it opens API keys and marks it read", async ({ openSession }) => {
  test.slow();
  const owner = await openSession(acme.owner.email);
  const admin = await openSession(acme.admin.email);
  const analyst = await openSession(acme.analyst.email);
  const name = `e2e-notify-${Date.now().toString(36)}`;
  // The one who acts is not told about it; the other admins and owners are.
  const created = await owner.request.post(`${apiUrl}/api-keys`, { headers: await headersOf(owner), data: { name } });
  expect(created.status(), await created.text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  try {
    // Until the live stream, the bell asks every 30 s; the page asks on load.
    await admin.goto('/notifications?show=unread&type=api_key.created');
    const item = admin.getByTestId('notification-item').filter({ hasText: name });
    await expect(async () => {
      await admin.reload();
      await expect(item).toBeVisible({ timeout: 5_000 });
    }).toPass({ timeout: 30_000 });
    await expect(item).toContainText('API key created');
    await expect(item).toContainText('Unread');
    await expect(bellOf(admin)).toHaveAccessibleName(/^Notifications, \d+ unread$/);
    await expect(admin.getByTestId('notification-count')).toBeVisible();
    await expectAccessible(admin, 'notifications page with an unread one', 'page-unread');

    await bellOf(admin).click();
    const entry = admin.getByRole('menu', { name: 'Notifications' }).getByTestId('bell-item').filter({ hasText: name });
    await expect(entry).toBeVisible();
    await expect(entry).toContainText('Unread');
    await expectAccessible(admin, 'bell dropdown with an unread one', 'bell-unread');
    await entry.click();
    await expect(admin).toHaveURL(/\/usage\/api-keys$/);
    await admin.goto('/notifications?type=api_key.created');
    await expect(admin.getByTestId('notification-item').filter({ hasText: name })).not.toContainText('Unread');

    // Analysts are not told about API keys.
    await analyst.goto('/notifications?type=api_key.created');
    await expect(analyst.getByTestId('notification-count-summary')).toBeVisible();
    await expect(analyst.getByTestId('notification-item').filter({ hasText: name })).toHaveCount(0);
  } finally {
    await owner.request.delete(`${apiUrl}/api-keys/${id}`, { headers: await headersOf(owner) });
  }
});
