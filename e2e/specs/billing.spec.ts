import { expect, test, type Page } from '@playwright/test';
import { seriousA11yViolations, signedIn } from '../support/portal.js';

const api = 'http://localhost:14000';

async function openBilling(page: Page, email: string) {
  await signedIn(page, email);
  await expect(page.getByTestId('tenant-name')).toHaveText('Acme Corp');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Billing' })).toBeVisible();
}

const billingTab = (page: Page, name: 'Overview' | 'Plans' | 'Invoices') =>
  page.getByRole('navigation', { name: 'Billing' }).getByRole('link', { name });

/** The signed-in user's token and tenant, to call the API directly as the portal does. */
async function apiHeaders(page: Page): Promise<Record<string, string> | null> {
  const auth = await page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith('oidc.user:'));
    const user = key ? (JSON.parse(sessionStorage.getItem(key) ?? 'null') as { access_token?: string } | null) : null;
    return { token: user?.access_token ?? null, tenantId: localStorage.getItem('cbp.tenantId') };
  });
  return auth.token && auth.tenantId ? { Authorization: `Bearer ${auth.token}`, 'X-Tenant-Id': auth.tenantId } : null;
}

/** Safety net when the plan-change story fails halfway: Acme goes back on Pro for whatever runs next. */
async function putAcmeBackOnPro(page: Page) {
  const headers = await apiHeaders(page).catch(() => null);
  if (!headers) return;
  const current = (await (await page.request.get(`${api}/subscriptions/current`, { headers })).json()) as { plan: { name: string } };
  if (current.plan.name === 'Pro') return;
  const plans = (await (await page.request.get(`${api}/plans`, { headers })).json()) as { id: string; name: string }[];
  const pro = plans.find((plan) => plan.name === 'Pro');
  const response = await page.request.post(`${api}/subscriptions/change-plan`, { headers, data: { planId: pro?.id } });
  expect(response.ok(), `putting Acme back on Pro answered ${response.status()}`).toBe(true);
}

/*
 * Acme's plan is shared demo data that other specs read (the dashboard shows "Pro"). The tag
 * puts this test in the `changes-demo-data` project, which runs alone after every other test
 * (playwright.config.ts); the test also ends on Pro, so the database is as it found it.
 */
test(
  'an owner sees the credit before downgrading Acme to Starter, then goes back to Pro',
  { tag: '@changes-demo-data' },
  async ({ page }) => {
    await openBilling(page, 'owner@acme.test');
    try {
      await expect(page.getByTestId('billing-plan-name')).toHaveText('Pro');

      await billingTab(page, 'Plans').click();
      await page.getByRole('button', { name: 'Switch to Starter' }).click();
      const downgrade = page.getByRole('dialog', { name: 'Switch to Starter?' });
      await expect(downgrade.getByTestId('proration-lines')).toContainText('Unused time on Pro');
      await expect(downgrade.getByTestId('proration-lines')).toContainText('(credit)');
      await expect(downgrade.getByTestId('proration-summary')).toHaveText(/^You'll get a credit of \$[\d,]+\.\d\d on your next invoice\.$/);
      // Acme's API calls this period are far above Starter's hard limit: said before confirming.
      await expect(downgrade.getByTestId('limit-impacts')).toContainText("Your usage is above the Starter plan's limits");
      await expect(downgrade.getByTestId('limit-impacts')).toContainText(/Capped: API calls: [\d,]+ calls this period; the Starter plan stops at 150,000 calls a period/);
      await downgrade.getByRole('button', { name: 'Confirm change' }).click();

      await expect(page.getByText("You're now on the Starter plan.")).toBeVisible();
      await expect(page).toHaveURL(/\/billing$/);
      await expect(page.getByTestId('billing-plan-name')).toHaveText('Starter');
      await expect(page.getByTestId('billing-plan-price')).toContainText('$49.00 per month');
      await expect(page.getByTestId('upcoming-lines')).toContainText('Unused time on Pro');

      // The owner can see the change in the audit log, with who made it.
      await page.goto('/admin/audit-logs?action=subscription.plan_changed');
      const entry = page.getByTestId('audit-log-row').first();
      await expect(entry).toContainText('subscription.plan_changed');
      await expect(entry).toContainText('owner@acme.test');
      await expect(entry).toContainText('Pro → Starter');
      await page.goto('/billing');

      await billingTab(page, 'Plans').click();
      await page.getByRole('button', { name: 'Switch to Pro' }).click();
      const upgrade = page.getByRole('dialog', { name: 'Switch to Pro?' });
      await expect(upgrade.getByTestId('proration-summary')).toHaveText(/^\$[\d,]+\.\d\d will be added to your next invoice\.$/);
      await upgrade.getByRole('button', { name: 'Confirm change' }).click();
      await expect(page.getByTestId('billing-plan-name')).toHaveText('Pro');
    } finally {
      await putAcmeBackOnPro(page);
    }
  },
);

test('a downgrade the team does not fit lists what is over the Free plan and cannot be confirmed', async ({ page }) => {
  await openBilling(page, 'owner@acme.test');
  await billingTab(page, 'Plans').click();
  await page.getByRole('button', { name: 'Switch to Free' }).click();
  const dialog = page.getByRole('dialog', { name: 'Switch to Free?' });
  const impacts = dialog.getByTestId('limit-impacts');
  await expect(impacts).toContainText('Your team does not fit the Free plan');
  await expect(impacts).toContainText('Blocks the change: 4 active members; the Free plan allows 3. Remove or suspend 1 member first.');
  await expect(impacts).toContainText(/Capped: API calls: [\d,]+ calls this period; the Free plan stops at 10,000 calls a period/);
  await expect(dialog.getByRole('button', { name: 'Confirm change' })).toBeDisabled();
  expect(await seriousA11yViolations(page)).toEqual([]);
  await impacts.getByRole('link', { name: 'Manage members' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Team' })).toBeVisible();
});

test('an analyst sees billing read-only: owner actions are disabled and say why', async ({ page }) => {
  await openBilling(page, 'analyst@acme.test');
  await expect(page.getByTestId('billing-plan-name')).not.toBeEmpty();
  const cancel = page.getByRole('button', { name: 'Cancel subscription' });
  await expect(cancel).toBeDisabled();
  await expect(cancel).toHaveAccessibleDescription('Only an owner can cancel the subscription; your role is Analyst.');

  await billingTab(page, 'Plans').click();
  await expect(page.getByTestId('plan-change-explanation')).toHaveText('Only an owner can change the plan; your role is Analyst.');
  const switches = page.getByRole('list', { name: 'Plans' }).getByRole('button', { name: /^Switch to / });
  await expect(switches).toHaveCount(3);
  for (const button of await switches.all()) {
    await expect(button).toBeDisabled();
    await expect(button).toHaveAccessibleDescription('Only an owner can change the plan; your role is Analyst.');
  }
  await expect(page.getByRole('dialog')).toHaveCount(0);
});

test('the invoice list shows paid invoices and the open one, filters by status in the URL, and downloads a PDF', async ({ page }) => {
  await openBilling(page, 'analyst@acme.test');
  await billingTab(page, 'Invoices').click();
  await expect(billingTab(page, 'Invoices')).toHaveAttribute('aria-current', 'page');

  const rows = page.getByTestId('invoice-row');
  await expect(rows.filter({ hasText: 'Paid' })).toHaveCount(6);
  await expect(rows.filter({ hasText: 'Open' })).toHaveCount(1);

  await page.getByLabel('Status').selectOption('open');
  await expect(page).toHaveURL(/\/billing\/invoices\?status=open$/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Open');
  const number = (await rows.first().getByRole('link').textContent()) ?? '';

  const download = page.waitForEvent('download');
  await rows.first().getByRole('button', { name: `Download invoice ${number} as PDF` }).click();
  expect((await download).suggestedFilename()).toBe(`invoice-${number}.pdf`);

  await rows.first().getByRole('link', { name: number }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Invoice ${number}` })).toBeVisible();
  await expect(page.getByTestId('invoice-lines')).toContainText('Pro plan');
  await expect(page.getByRole('rowheader', { name: 'Amount due', exact: true })).toBeVisible();
});

// Light then dark in one test: one sign-in, the pages opened again under each scheme.
test('accessibility (axe: no serious or critical violation): billing overview, plans with the change dialog open, and invoices, light and dark', async ({ page }) => {
  test.setTimeout(120_000); // twice the work of one test
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'light') await openBilling(page, 'owner@acme.test');
    else await page.goto('/billing');
    await expect(page.locator('html')).toHaveClass(colorScheme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
    await expect(page.getByTestId('upcoming-amount')).toBeVisible();
    await expect(page.getByTestId('recent-invoices')).toBeVisible();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);

    await billingTab(page, 'Plans').click();
    await page.getByRole('button', { name: 'Switch to Enterprise' }).click();
    await expect(page.getByRole('dialog').getByTestId('proration-summary')).toBeVisible();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);
    await page.getByRole('button', { name: /^Keep / }).click();
    await expect(page.getByRole('dialog')).toHaveCount(0);

    await billingTab(page, 'Invoices').click();
    await expect(page.getByTestId('invoice-row').first()).toBeVisible();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);
  }
});
