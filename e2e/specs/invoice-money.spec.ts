import { expect, test, type Page } from '@playwright/test';
import { signedIn, reviewScreenshot } from '../support/portal.js';

/*
 * Issue 17: invoice ACME-0006 bills 1,065,000 API calls with 1,000,000 included: 65,000 over is
 * 7 blocks of 10,000 calls at $1.50, $10.50; it is paid, so nothing is due. Read-only.
 */
const money = (text: string) => Math.round(Number(text.replace(/[^\d.-]/g, '')) * 100);

async function openInvoice(page: Page, number: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
  await page.getByRole('navigation', { name: 'Billing' }).getByRole('link', { name: 'Invoices' }).click();
  await page.getByRole('link', { name: number, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Invoice ${number}` })).toBeVisible();
}

test('an invoice with an overage line shows the priced quantity, and its amounts add up', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signedIn(page, 'analyst@acme.test');
  await openInvoice(page, 'ACME-0006');

  const lines = page.getByTestId('invoice-line');
  const overage = lines.filter({ hasText: 'API calls' });
  await expect(overage).toContainText('API calls: 1,065,000 used, 1,000,000 included, 65,000 over');
  await expect(overage.getByTestId('line-quantity')).toHaveText('7 × 10,000 calls');
  await expect(overage.getByTestId('line-unit-price')).toHaveText('$1.50 per 10,000 calls');
  await expect(overage.getByTestId('line-amount')).toHaveText('$10.50');

  // Every line: quantity x unit price = amount; the lines add up to the subtotal.
  let sum = 0;
  for (const line of await lines.all()) {
    const quantity = Number(((await line.getByTestId('line-quantity').textContent()) ?? '').split(/\s/)[0]?.replace(/,/g, ''));
    const unitPrice = money(((await line.getByTestId('line-unit-price').textContent()) ?? '').split(' per ')[0] ?? '');
    const amount = money((await line.getByTestId('line-amount').textContent()) ?? '');
    expect(quantity * unitPrice).toBe(amount);
    sum += amount;
  }
  const totals = page.getByTestId('invoice-totals');
  const total = (label: string) => totals.getByRole('row').filter({ has: page.getByRole('rowheader', { name: label, exact: true }) }).getByRole('cell');
  expect(money((await total('Subtotal').textContent()) ?? '')).toBe(sum);
  await expect(total('Total')).toHaveText('$209.50');
  await expect(total('Amount paid')).toHaveText('$209.50');
  await expect(total('Amount due')).toHaveText('$0.00');
  await expect(page.getByTestId('invoice-amount-due')).toHaveText('$0.00');
  await reviewScreenshot(page, { path: '/tmp/money-invoice-1440.png', fullPage: true });

  // On a phone the lines are a list that does not scroll sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  const list = page.getByTestId('invoice-lines-list');
  await expect(list).toBeVisible();
  await expect(list).toContainText('7 × 10,000 calls × $1.50 per 10,000 calls');
  await expect(page.getByTestId('invoice-totals-list')).toContainText('Amount due$0.00');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await reviewScreenshot(page, { path: '/tmp/money-invoice-390.png', fullPage: true });
});
