import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { seriousA11yViolations, signedIn } from '../support/portal.js';

/* These tests only read the demo data (the seed's entries), so they run in parallel. */

async function openAuditLog(page: Page, email: string) {
  await signedIn(page, email);
  await expect(page.getByTestId('tenant-name')).toHaveText('Acme Corp');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await expect(page).toHaveURL(/\/admin\/audit-logs$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
}

const rows = (page: Page) => page.getByTestId('audit-log-row');

test('an admin sees the demo entries, filters by action, and the URL brings the view back after a reload', async ({ page }) => {
  await openAuditLog(page, 'admin@acme.test');
  const created = rows(page).filter({ hasText: 'tenant.created' });
  await expect(created).toHaveCount(1);
  await expect(created).toContainText('Organization created');
  await expect(created).toContainText('Acme Corp');
  await expect(created).toContainText('System');
  await expect(page.getByTestId('audit-log-count')).toHaveText(/^\d+ entr(y|ies)$/);

  await page.getByLabel('Action', { exact: true }).selectOption('tenant.created');
  await expect(page).toHaveURL(/\/admin\/audit-logs\?action=tenant\.created$/);
  await expect(rows(page)).toHaveCount(1);
  await expect(page.getByTestId('audit-log-count')).toHaveText('1 entry match');

  await rows(page).first().getByRole('button', { name: /Organization created/ }).click();
  const drawer = page.getByRole('dialog', { name: 'Organization created' });
  await expect(drawer.getByTestId('audit-diff')).toContainText('Acme Corp');
  await expect(drawer.getByTestId('audit-metadata')).toContainText('demo-seed');
  await expect(page).toHaveURL(/\?action=tenant\.created&entry=[0-9a-f-]{36}$/);

  await page.reload();
  await expect(page.getByRole('dialog', { name: 'Organization created' })).toBeVisible();
  await page.getByRole('button', { name: 'Close details' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page).toHaveURL(/\/admin\/audit-logs\?action=tenant\.created$/);
  await expect(page.getByLabel('Action', { exact: true })).toHaveValue('tenant.created');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('tenant.created');

  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(page).toHaveURL(/\/admin\/audit-logs$/);
  await expect(rows(page).filter({ hasText: 'tenant.created' })).toHaveCount(1);
});

/** Rows of an RFC 4180 CSV (quoted cells may hold commas, quotes and newlines). */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      endCell();
    } else if (!quoted && c === '\n') {
      endCell();
      out.push(row);
      row = [];
    } else {
      cell += c;
    }
  }
  if (cell || row.length) {
    endCell();
    out.push(row);
  }
  return out;
}

test('an admin verifies the chain and exports the trail as a CSV that reads back to the same entries', async ({ page }) => {
  await openAuditLog(page, 'admin@acme.test');
  await page.getByRole('button', { name: 'Verify integrity' }).click();
  await expect(page.getByTestId('audit-chain-status')).toContainText(/Chain intact: \d+ entries verified/);
  await expect(page.getByTestId('audit-retention')).toContainText('Your plan keeps entries for 365 days');
  await expect(page.getByTestId('audit-head-hash')).toHaveText(/^[0-9a-f]{64}$/);

  const shown = Number((await page.getByTestId('audit-log-count').textContent())?.replace(/[^0-9]/g, ''));
  expect(shown).toBeGreaterThan(0);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-log-\d{4}-\d{2}-\d{2}\.csv$/);
  const file = await download.path();
  const [header, ...entries] = parseCsv(await readFile(file, 'utf8'));
  expect(header?.slice(0, 3)).toEqual(['id', 'createdAt', 'action']);
  expect(entries).toHaveLength(shown);
  expect(entries.some((r) => r[2] === 'tenant.created' && r.includes('Acme Corp'))).toBe(true);

  // Filtered: the export follows the filters in the URL.
  await page.getByLabel('Action', { exact: true }).selectOption('tenant.created');
  await expect(page.getByTestId('audit-log-count')).toHaveText('1 entry match');
  const [filtered] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(parseCsv(await readFile(await filtered.path(), 'utf8'))).toHaveLength(2);
});

test('an engineer gets the 403 view and no Admin entry in the navigation', async ({ page }) => {
  await signedIn(page, 'engineer@acme.test');
  await expect(page.getByTestId('tenant-name')).toHaveText('Acme Corp');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await page.goto('/admin/audit-logs');
  await expect(page.getByRole('heading', { name: "You don't have access to this page" })).toBeVisible();
  await expect(page.getByTestId('required-role')).toHaveText('Admin or higher');
  await expect(page.getByTestId('current-role')).toHaveText('Engineer');
  await expect(page.getByTestId('audit-log-row')).toHaveCount(0);
});

// Light then dark in one test: one sign-in, the page opened again under each scheme.
test('accessibility (axe: no serious or critical violation): audit log, and with an entry open in the drawer, light and dark', async ({ page }) => {
  test.setTimeout(120_000); // twice the work of one test
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'light') await openAuditLog(page, 'admin@acme.test');
    else await page.goto('/admin/audit-logs');
    await expect(page.locator('html')).toHaveClass(colorScheme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
    await expect(rows(page).first()).toBeVisible();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);

    await rows(page).filter({ hasText: 'tenant.created' }).getByRole('button', { name: /Organization created/ }).click();
    await expect(page.getByRole('dialog').getByTestId('audit-diff')).toBeVisible();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);
  }
});
