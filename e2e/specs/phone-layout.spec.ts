import { mkdirSync } from 'node:fs';
import { expect, type Locator, type Page } from '@playwright/test';
import { seriousA11yViolations, signedIn, reviewScreenshot } from '../support/portal.js';
import { acme, staffEmail, test } from '../support/team.js';

/*
 * Every main page on a 390x844 phone: nothing scrolls sideways, and the columns that matter
 * (status, amounts) are on screen: tables turn into cards below the `md` breakpoint. Read-only:
 * the bulk invite is only previewed (a dry run), never sent.
 *
 * With CBP_SHOTS=/some/dir the pages are also saved as screenshots there, on the phone and on a
 * 1440x900 screen, to look at.
 */
const phone = { width: 390, height: 844 };
const desktop = { width: 1440, height: 900 };
const shots = process.env.CBP_SHOTS;
if (shots) mkdirSync(shots, { recursive: true });

test.use({ viewport: phone });

async function shot(page: Page, name: string) {
  if (!shots) return;
  await reviewScreenshot(page, { path: `${shots}/${name}-${page.viewportSize()?.width ?? 0}.png`, fullPage: true });
}

/** How far the page reaches past the right edge of the screen, and the widest element that does it. */
async function sidewaysOverflow(page: Page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const overflow = document.documentElement.scrollWidth - width;
    let culprit = '';
    if (overflow > 0) {
      const over = Array.from(document.body.querySelectorAll<HTMLElement>('*')).filter((el) => el.getBoundingClientRect().right > width + 1);
      const last = over.at(-1);
      culprit = last ? `${last.tagName.toLowerCase()}.${last.className.toString().slice(0, 80)} "${(last.textContent ?? '').trim().slice(0, 40)}"` : '';
    }
    return { overflow, culprit };
  });
}

async function expectNoSidewaysScroll(page: Page, what: string) {
  const { overflow, culprit } = await sidewaysOverflow(page);
  expect(overflow, `${what} scrolls sideways by ${overflow}px (${culprit})`).toBeLessThanOrEqual(0);
  await shot(page, what.replace(/\W+/g, '-').toLowerCase());
}

/** On a phone the main navigation is a drawer behind the menu button. */
async function openMain(page: Page, label: string, heading: string | RegExp) {
  const size = page.viewportSize();
  if (size && size.width < 1024) await page.getByRole('button', { name: 'Open navigation' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

async function openSection(page: Page, section: string, label: string, heading: string | RegExp) {
  await page.getByRole('navigation', { name: section }).getByRole('link', { name: label, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

/** `inside` is fully on screen horizontally. */
async function expectOnScreen(locator: Locator, what: string) {
  const box = await locator.boundingBox();
  expect(box, `${what} is laid out`).not.toBeNull();
  const width = locator.page().viewportSize()?.width ?? 0;
  expect(box!.x, `${what} starts on screen`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${what} ends on screen`).toBeLessThanOrEqual(width + 1);
}

test('the owner on a phone: no page scrolls sideways, and invoices and members show status and amounts', async ({ page }) => {
  test.slow(); // every main page in turn, with screenshots
  test.setTimeout(180_000);
  await signedIn(page, acme.owner.email);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expectNoSidewaysScroll(page, 'Dashboard');
  expect(await seriousA11yViolations(page)).toEqual([]);

  await openMain(page, 'Billing', 'Billing');
  await expectNoSidewaysScroll(page, 'Billing overview');
  await openSection(page, 'Billing', 'Plans', 'Plans');
  await expectNoSidewaysScroll(page, 'Billing plans');

  await openSection(page, 'Billing', 'Invoices', 'Invoices');
  const invoice = page.getByTestId('invoice-row').first();
  await expect(invoice).toBeVisible();
  await expectNoSidewaysScroll(page, 'Invoices');
  // A card per invoice: its number, status and amount due are all on screen.
  await expectOnScreen(invoice.getByRole('link').first(), 'the invoice number');
  await expectOnScreen(invoice.locator('[data-label="Status"]'), 'the invoice status');
  await expectOnScreen(invoice.locator('[data-label="Amount due"]'), 'the amount due');
  await expect(invoice.locator('[data-label="Amount due"]')).toContainText('$');
  expect(await seriousA11yViolations(page)).toEqual([]);

  await invoice.getByRole('link').first().click();
  await expect(page.getByRole('heading', { level: 1, name: /ACME-/ })).toBeVisible();
  await expectNoSidewaysScroll(page, 'Invoice detail');
  await page.goBack();

  await openSection(page, 'Billing', 'Payment methods', 'Payment methods');
  await expectNoSidewaysScroll(page, 'Payment methods');

  await openMain(page, 'Usage', /Usage/);
  await expectNoSidewaysScroll(page, 'Usage dashboard');
  await openSection(page, 'Usage', 'Trends', /Usage/);
  await expectNoSidewaysScroll(page, 'Usage trends');
  await openSection(page, 'Usage', 'Quotas', 'Quotas');
  await expectNoSidewaysScroll(page, 'Quotas');
  await openSection(page, 'Usage', 'API keys', 'API keys');
  await expectNoSidewaysScroll(page, 'API keys');

  await openMain(page, 'Team', 'Team');
  const member = page.getByTestId('member-row').filter({ hasText: acme.engineer.email });
  await expect(member).toBeVisible();
  await expectNoSidewaysScroll(page, 'Team members');
  await expectOnScreen(member.locator('[data-label="Status"]'), "the member's status");
  await expect(member.locator('[data-label="Status"]')).toContainText(/active/i);
  await expectOnScreen(member.getByLabel(`Role of ${acme.engineer.name}`), "the member's role");
  expect(await seriousA11yViolations(page)).toEqual([]);

  await openSection(page, 'Team', 'Invitations', 'Invitations');
  const invitation = page.getByTestId('invitation-row').first();
  await expect(invitation).toBeVisible();
  await expectNoSidewaysScroll(page, 'Invitations');
  await expectOnScreen(invitation.locator('[data-label="Status"]'), 'the invitation status');

  await openMain(page, 'Organization', 'Organization');
  await expectNoSidewaysScroll(page, 'Organization');
  await openMain(page, 'Notifications', 'Notifications');
  await expectNoSidewaysScroll(page, 'Notifications');
  await openMain(page, 'Workflows', 'Workflows');
  await expect(page.getByTestId('workflow-row').first()).toBeVisible();
  await expectNoSidewaysScroll(page, 'Workflows');
  await openMain(page, 'Admin', /Audit log/);
  await expect(page.getByTestId('audit-log-row').first()).toBeVisible();
  await expectNoSidewaysScroll(page, 'Audit log');
  expect(await seriousA11yViolations(page)).toEqual([]);

  await page.getByRole('button', { name: /Account menu/ }).click();
  await page.getByRole('menuitem', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await expectNoSidewaysScroll(page, 'Settings profile');
  for (const tab of ['Password', 'Appearance', 'Sessions', 'Notifications']) {
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: tab, exact: true }).click();
    await expect(page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: tab, exact: true })).toHaveAttribute('aria-current', 'page');
    await expectNoSidewaysScroll(page, `Settings ${tab}`);
  }
});

test('platform staff on a phone: the admin pages do not scroll sideways', async ({ page }) => {
  test.slow(); // every admin page in turn, with screenshots
  test.setTimeout(120_000);
  await signedIn(page, staffEmail);
  await openMain(page, 'Admin', /Audit log/);
  await expectNoSidewaysScroll(page, 'Staff audit log');
  await openSection(page, 'Admin', 'Outbox', 'Outbox');
  await expect(page.getByTestId('outbox-row').first()).toBeVisible();
  await expectNoSidewaysScroll(page, 'Staff outbox');
  await openSection(page, 'Admin', 'Identity roles', 'Identity roles');
  await expectNoSidewaysScroll(page, 'Staff identity roles');
  await openSection(page, 'Admin', 'Tenants', 'Tenants');
  await expectNoSidewaysScroll(page, 'Staff tenants');
});

/** The bulk invite dialog with `lines` pasted, after the API's dry run answered. */
async function previewBulkInvite(page: Page, lines: string) {
  await openMain(page, 'Team', 'Team');
  await openSection(page, 'Team', 'Invitations', 'Invitations');
  await page.getByRole('button', { name: 'Invite people' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite people' });
  await dialog.getByRole('tab', { name: 'Several people' }).click();
  await dialog.getByLabel('People to invite').fill(lines);
  await expect(dialog.getByRole('button', { name: /^Send \d+ invitations?$/ })).toBeVisible();
  return dialog;
}

/** Elements inside `dialog` (not the dialog itself) that scroll on their own. */
async function nestedScrollAreas(dialog: Locator) {
  return dialog.evaluate((root) =>
    Array.from(root.querySelectorAll<HTMLElement>('*'))
      .filter((el) => el !== root && /(auto|scroll)/.test(getComputedStyle(el).overflowY + getComputedStyle(el).overflowX) && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1))
      .map((el) => `${el.tagName.toLowerCase()}.${el.className.toString().slice(0, 60)}`),
  );
}

for (const viewport of [phone, desktop]) {
  test(`bulk invite at ${viewport.width}x${viewport.height}: one scroll area, Send in view, an existing member is not "Ready"`, async ({ page }) => {
    await page.setViewportSize(viewport);
    await signedIn(page, acme.owner.email);
    const people = Array.from({ length: 25 }, (_, i) => `person.${i}@example.com,analyst`);
    const dialog = await previewBulkInvite(page, [`${acme.engineer.email},admin`, ...people].join('\n'));

    const rows = dialog.getByTestId('invite-preview-row');
    await expect(rows).toHaveCount(26);
    // The same checks as the send: the existing member is refused in the preview already.
    await expect(rows.first()).toContainText('already a member');
    await expect(rows.first()).not.toContainText('Ready');
    await expect(rows.nth(1)).toContainText('Ready');
    const send = dialog.getByRole('button', { name: 'Send 25 invitations' });
    await expect(send).toBeEnabled();
    await expect(send).toBeInViewport({ ratio: 1 });
    expect(await nestedScrollAreas(dialog)).toEqual([]);
    const box = await dialog.boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);
    expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height);

    // The file picker: a button and the file's name, never "No file chosen".
    await dialog.locator('input[type="file"]').setInputFiles({ name: 'bulk.csv', mimeType: 'text/csv', buffer: Buffer.from('email,role\nzoe@example.com,engineer\n') });
    await expect(dialog.getByText('Loaded bulk.csv')).toBeVisible();
    await expect(dialog.getByText(/no file chosen/i)).toHaveCount(0);
    await expect(dialog.getByRole('button', { name: 'Send 1 invitation' })).toBeInViewport();
    await dialog.getByRole('button', { name: 'Send 1 invitation' }).scrollIntoViewIfNeeded();
    await shot(page, 'bulk-invite');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // Scrolled to the bottom of a long list, the footer is still there.
    await dialog.getByLabel('People to invite').fill([`${acme.engineer.email},admin`, ...people].join('\n'));
    await dialog.getByTestId('invite-preview-row').last().scrollIntoViewIfNeeded();
    await expect(dialog.getByRole('button', { name: 'Send 25 invitations' })).toBeInViewport({ ratio: 1 });
  });
}

test('the 1440 px screen: the invitations table fits its card, and invoices stay a table', async ({ page }) => {
  await page.setViewportSize(desktop);
  await signedIn(page, acme.owner.email);
  await openMain(page, 'Team', 'Team');
  await openSection(page, 'Team', 'Invitations', 'Invitations');
  await expect(page.getByTestId('invitation-row').first()).toBeVisible();
  const table = page.getByRole('table', { name: /Invitations, page/ });
  const card = table.locator('xpath=ancestor::*[contains(@class,"rounded-xl")][1]');
  const [tableBox, cardBox] = [await table.boundingBox(), await card.boundingBox()];
  expect(tableBox!.width).toBeLessThanOrEqual(cardBox!.width);
  await expectNoSidewaysScroll(page, 'Invitations');
  await openMain(page, 'Billing', 'Billing');
  await openSection(page, 'Billing', 'Invoices', 'Invoices');
  await expect(page.getByRole('columnheader', { name: 'Amount due' })).toBeVisible();
  await expectNoSidewaysScroll(page, 'Invoices');
});
