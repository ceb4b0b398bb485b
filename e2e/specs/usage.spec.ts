import { expect, type Page } from '@playwright/test';
import { apiHeaders, apiUrl, seriousA11yViolations, signedIn } from '../support/portal.js';
import { headersOf, staffEmail, test } from '../support/team.js';

/* Issue #5 acceptance, in the browser against the demo data: Acme has six months of API-call
   history and its API calls (762k) are close to the 800k soft limit of its Pro plan. */

async function openUsage(page: Page, email: string) {
  await signedIn(page, email);
  await expect(page.getByTestId('tenant-name')).toHaveText('Acme Corp');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
  await expect(page).toHaveURL(/\/usage$/);
}

const card = (page: Page, metric: string) => page.locator(`[data-testid="usage-metric-card"][data-metric="${metric}"]`);

test('an analyst sees usage against limits, six months of history, and quotas read-only; the API refuses their edits', async ({ page }) => {
  await openUsage(page, 'analyst@acme.test');
  await expect(page.getByTestId('usage-metric-card')).toHaveCount(5);
  await expect(card(page, 'api_calls').getByTestId('usage-used')).toContainText('762,000');
  await expect(page.getByRole('button', { name: /Set up quotas/ })).toHaveCount(0);
  // The period picker offers the six months of history, not only the current period (issue 17).
  await expect.poll(async () => page.getByLabel('Billing period').locator('option').count()).toBeGreaterThanOrEqual(7);

  await page.goto('/usage/trends?metric=api_calls&range=6&show=table');
  const rows = page.getByTestId('trend-row');
  await expect(rows).toHaveCount(6);
  const amounts = await rows.evaluateAll((trs) => trs.map((tr) => Number((tr.children[1]?.textContent ?? '').replace(/[^0-9]/g, ''))));
  expect(amounts.every((n) => n > 0)).toBe(true);
  await page.getByRole('button', { name: 'Chart' }).click();
  await expect(page.getByTestId('usage-trend-chart')).toBeVisible();

  await page.goto('/usage/quotas');
  await expect(page.getByTestId('quota-row')).toHaveCount(5);
  await expect(page.getByRole('button', { name: /Close ended periods/ })).toBeDisabled();
  await expect(page.getByRole('button', { name: /Set up quotas from plan/ })).toBeDisabled();
  await expect(page.getByTestId('quota-refusal')).toContainText('Analyst');

  const headers = await apiHeaders(page);
  expect(headers).not.toBeNull();
  const api = page.request;
  expect((await api.patch(`${apiUrl}/usage/quotas/api_calls`, { headers: headers ?? {}, data: { softLimit: 1 } })).status()).toBe(403);
  expect((await api.post(`${apiUrl}/usage/quotas/initialize`, { headers: headers ?? {}, data: {} })).status()).toBe(403);
  expect((await api.post(`${apiUrl}/usage/quotas/reset`, { headers: headers ?? {}, data: {} })).status()).toBe(403);
});

// Light then dark in one test: one sign-in, the pages opened again under each scheme.
test('accessibility (axe: no serious or critical violation): usage dashboard, trends and quotas, light and dark', async ({ page }) => {
  test.setTimeout(120_000); // twice the work of one test
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'light') await openUsage(page, 'admin@acme.test');
    else await page.goto('/usage');
    await expect(page.locator('html')).toHaveClass(colorScheme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
    await expect(page.getByTestId('usage-metric-card').first()).toBeVisible();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);
    await page.goto('/usage/trends?metric=api_calls&range=6');
    await expect(page.getByTestId('usage-trend-chart')).toBeVisible();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);
    await page.goto('/usage/quotas');
    await expect(page.getByTestId('quota-row').first()).toBeVisible();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);
  }
});

test('crossing the soft limit with POST /usage/events shows the warning banner after a refresh; a repeated batch changes nothing @changes-demo-data', async ({ page }) => {
  await openUsage(page, 'engineer@acme.test');
  await expect(card(page, 'api_calls').getByTestId('usage-used')).toContainText('762,000');
  await expect(page.getByTestId('quota-warning-warning')).toHaveCount(0);

  const headers = await apiHeaders(page);
  const batch = { events: Array.from({ length: 40 }, (_, i) => ({ metricType: 'api_calls', quantity: 1_000, idempotencyKey: `e2e-cross-${i}` })) };
  const first = await page.request.post(`${apiUrl}/usage/events`, { headers: headers ?? {}, data: batch });
  expect(await first.json()).toEqual({ accepted: 40, duplicates: 0 });
  const again = await page.request.post(`${apiUrl}/usage/events`, { headers: headers ?? {}, data: batch });
  expect(await again.json()).toEqual({ accepted: 0, duplicates: 40 });

  await page.reload();
  const banner = page.getByTestId('quota-warning-warning');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('API calls');
  await expect(card(page, 'api_calls').getByTestId('usage-used')).toContainText('802,000');
  // The banner is there on every page, not only on Usage.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
  await expect(page.getByTestId('quota-warning-warning')).toBeVisible();
});

test('closing a period puts its overage on the next invoice, where the owner sees the line @changes-demo-data', async ({ page, openSession }) => {
  // Acme goes over the 1,000,000 API calls its Pro plan includes.
  const engineer = await openSession('engineer@acme.test');
  const sent = await engineer.request.post(`${apiUrl}/usage/events`, {
    headers: await headersOf(engineer),
    data: { events: [{ metricType: 'api_calls', quantity: 240_000, idempotencyKey: 'e2e-overage-1' }] },
  });
  expect(await sent.json()).toEqual({ accepted: 1, duplicates: 0 });

  // Periods close on their own at renewal; platform staff can close one early, which a tenant cannot.
  const staff = await openSession(staffEmail);
  const closed = await staff.request.post(`${apiUrl}/usage/quotas/reset`, { headers: await headersOf(staff), data: { metricType: 'api_calls', force: true } });
  expect(closed.status()).toBe(200);
  expect(await closed.json()).toMatchObject({ reset: ['api_calls'], invoiced: ['api_calls'], invoicePending: [] });
  const summaries = (await (await staff.request.get(`${apiUrl}/usage/summaries`, { headers: await headersOf(staff) })).json()) as {
    metricType: string;
    frozen: boolean;
    billingPeriod: string;
    overageQuantity: number;
    overageAmount: number;
  }[];
  const frozen = summaries.find((s) => s.frozen && s.metricType === 'api_calls' && s.overageAmount > 0);
  expect(frozen?.overageQuantity).toBeGreaterThanOrEqual(2_000);
  const amount = `$${((frozen?.overageAmount ?? 0) / 100).toFixed(2)}`;

  await signedIn(page, 'owner@acme.test');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
  const line = page.getByTestId('upcoming-lines').getByRole('row').filter({ hasText: 'API calls over the included 1,000,000' });
  await expect(line).toContainText(`${(frozen?.overageQuantity ?? 0).toLocaleString('en-US')} calls`);
  await expect(line).toContainText(amount);

  // The closed period on the usage dashboard says where its overage went.
  await page.goto(`/usage?period=${frozen?.billingPeriod ?? ''}`);
  await expect(card(page, 'api_calls').getByTestId('usage-level')).toContainText('Closed');
  await expect(card(page, 'api_calls').getByTestId('overage')).toContainText(amount);
  await expect(card(page, 'api_calls').getByTestId('overage-billing')).toHaveText('Added to the next invoice');
  expect(await seriousA11yViolations(page)).toEqual([]);
});
