import type { APIRequestContext, Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import { apiHeaders, apiUrl, seriousA11yViolations, signedIn } from '../support/portal.js';

interface SavedMethod {
  id: string;
  isDefault: boolean;
  card?: { brand: string; last4: string };
}

const expiry = `12${String((new Date().getFullYear() + 3) % 100).padStart(2, '0')}`;

async function openPaymentMethods(page: Page, email: string) {
  await signedIn(page, email);
  await expect(page.getByTestId('tenant-name')).toHaveText('Acme Corp');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
  await page.getByRole('navigation', { name: 'Billing' }).getByRole('link', { name: 'Payment methods' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Payment methods' })).toBeVisible();
}

/** The list or its empty state, once loaded. */
async function loadedList(page: Page) {
  const list = page.getByRole('list', { name: 'Payment methods' });
  await expect(list.or(page.getByTestId('payment-methods-empty'))).toBeVisible();
  return list;
}

const methodCard = (page: Page, name: string) => page.getByRole('region', { name });

async function fillCard(page: Page, number: string) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiration date').fill(expiry);
  await page.getByLabel('Security code').fill('123');
  await page.getByLabel('Postal code').fill('10115');
}

async function addCard(page: Page, number: string) {
  await page.getByRole('link', { name: 'Add payment method' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Add a payment method' })).toBeVisible();
  await fillCard(page, number);
  // The first card is the default anyway (the box is ticked and locked); a later one only when asked.
  const makeDefault = page.getByRole('checkbox', { name: 'Make this my default payment method' });
  return {
    save: async ({ asDefault }: { asDefault: boolean }) => {
      if (asDefault && (await makeDefault.isEnabled())) await makeDefault.check();
      await page.getByRole('button', { name: 'Save card' }).click();
    },
  };
}

/**
 * Reruns against the same database find the cards an earlier run left (a paid plan keeps at least
 * one). Adding a saved card again is refused as a duplicate, so the story's two cards are removed
 * first, the default parked on another test card through the API.
 */
async function removeStoryCards(request: APIRequestContext, headers: Record<string, string>) {
  const isStoryCard = (m: SavedMethod) => m.card?.last4 === '4242' || m.card?.last4 === '4444';
  const list = async () => (await (await request.get(`${apiUrl}/payment-methods`, { headers })).json()) as SavedMethod[];
  const methods = await list();
  if (!methods.some(isStoryCard)) return;
  if (methods.some((m) => m.isDefault && isStoryCard(m))) {
    let parking = methods.find((m) => !isStoryCard(m));
    if (!parking) {
      const added = await request.post(`${apiUrl}/payment-methods`, {
        headers: { ...headers, 'Idempotency-Key': crypto.randomUUID() },
        data: { stripePaymentMethodId: 'pm_card_discover' },
      });
      expect(added.status(), 'parking the default on a Discover test card').toBe(201);
      parking = (await added.json()) as SavedMethod;
    }
    const parked = await request.patch(`${apiUrl}/payment-methods/${parking.id}/set-default`, { headers });
    expect(parked.ok(), 'making the parking card the default').toBe(true);
  }
  for (const method of (await list()).filter(isStoryCard)) {
    const removed = await request.delete(`${apiUrl}/payment-methods/${method.id}`, { headers });
    expect(removed.status(), `removing a leftover card •••• ${method.card?.last4}`).toBe(204);
  }
}

/*
 * Acme's payment methods are demo data: the tag puts this story in the `changes-demo-data`
 * project, which runs alone after every other test (playwright.config.ts). A paid plan cannot
 * drop its last method, so the story ends with one card, Mastercard •••• 4444, as the default;
 * no other spec reads payment methods.
 */
test(
  'an owner adds a first card (the default) and a second, cannot remove the default, makes the second the default and removes the first',
  { tag: '@changes-demo-data' },
  async ({ page }) => {
    await openPaymentMethods(page, 'owner@acme.test');
    const headers = await apiHeaders(page);
    expect(headers, 'signed in with a token and a tenant').not.toBeNull();
    await removeStoryCards(page.request, headers ?? {});
    await page.reload();
    const list = await loadedList(page);
    const visa = methodCard(page, 'Visa ending in 4242');
    const mastercard = methodCard(page, 'Mastercard ending in 4444');

    const first = await addCard(page, '4242 4242 4242 4242');
    await first.save({ asDefault: true });
    await expect(page.getByText('Visa •••• 4242 was added as your default payment method.')).toBeVisible();
    await expect(page).toHaveURL(/\/billing\/payment-methods$/);
    await expect(visa.getByTestId('default-badge')).toHaveText('Default');

    const second = await addCard(page, '5555 5555 5555 4444');
    await second.save({ asDefault: false });
    await expect(page.getByText('Mastercard •••• 4444 was added.')).toBeVisible();
    await expect(mastercard).toBeVisible();
    await expect(mastercard.getByTestId('default-badge')).toHaveCount(0);
    await expect(visa.getByTestId('default-badge')).toBeVisible();
    expect(await seriousA11yViolations(page)).toEqual([]);

    // While it is the default and another card exists, the API refuses; the dialog says why.
    await visa.getByRole('button', { name: 'Remove Visa ending in 4242' }).click();
    const removeVisa = page.getByRole('dialog', { name: 'Remove Visa •••• 4242?' });
    await removeVisa.getByRole('button', { name: 'Remove card' }).click();
    await expect(removeVisa.getByRole('alert')).toContainText(
      'Visa •••• 4242 is your default payment method. Make another method the default before removing it.',
    );
    expect(await seriousA11yViolations(page)).toEqual([]);
    await removeVisa.getByRole('button', { name: 'Keep card' }).click();
    await expect(removeVisa).toHaveCount(0);
    await expect(visa).toBeVisible();

    await mastercard.getByRole('button', { name: 'Make default Mastercard ending in 4444' }).click();
    await expect(page.getByText('Mastercard •••• 4444 is now your default payment method.')).toBeVisible();
    await expect(mastercard.getByTestId('default-badge')).toBeVisible();
    await expect(visa.getByTestId('default-badge')).toHaveCount(0);

    await visa.getByRole('button', { name: 'Remove Visa ending in 4242' }).click();
    await removeVisa.getByRole('button', { name: 'Remove card' }).click();
    await expect(page.getByText('Visa •••• 4242 was removed.')).toBeVisible();
    await expect(visa).toHaveCount(0);

    await page.reload();
    await expect(mastercard.getByTestId('default-badge')).toBeVisible();
    await expect(list.getByTestId('payment-method-card').first()).toHaveAccessibleName('Mastercard ending in 4444');
    await expect(visa).toHaveCount(0);
  },
);

// Light then dark in one test: one sign-in, the page opened again under each scheme.
test('a declined card says so at the top of the form and adds nothing; list and form pass axe, light and dark', async ({ page }) => {
  test.setTimeout(120_000); // twice the work of one test
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'light') await openPaymentMethods(page, 'owner@acme.test');
    else await page.goto('/billing/payment-methods');
    await expect(page.locator('html')).toHaveClass(colorScheme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
    await loadedList(page);
    const saved = await page.getByTestId('payment-method-card').count();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);

    const form = await addCard(page, '4242 4242 4242 4241');
    await page.getByLabel('Expiration date').fill('0120');
    await page.getByLabel('Security code').fill('12');
    await form.save({ asDefault: false });
    await expect(page.getByTestId('number-error')).toHaveText('Your card number is invalid.');
    await expect(page.getByTestId('expiry-error')).toHaveText("Your card's expiration date is in the past.");
    await expect(page.getByTestId('cvc-error')).toHaveText("Your card's security code is incomplete.");
    await expect(page.getByLabel('Card number')).toBeFocused();
    await page.getByText('Test cards for the local payment gateway').click();
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);

    await fillCard(page, '4000 0000 0000 0002');
    await form.save({ asDefault: false });
    await expect(page.getByRole('alert')).toContainText('Your card was declined.');
    await expect(page).toHaveURL(/\/billing\/payment-methods\/new$/);
    expect(await seriousA11yViolations(page), colorScheme).toEqual([]);

    await page.getByRole('link', { name: 'Cancel' }).click();
    await loadedList(page);
    await expect(page.getByTestId('payment-method-card')).toHaveCount(saved);
    await expect(page.getByText('•••• 0002')).toHaveCount(0);
  }
});

test('an admin is told that only owners manage payment methods, and the API is not asked', async ({ page }) => {
  const asked: string[] = [];
  page.on('request', (request) => {
    if (request.url().startsWith(`${apiUrl}/payment-methods`)) asked.push(request.url());
  });
  await openPaymentMethods(page, 'admin@acme.test');
  await expect(page.getByTestId('payment-methods-explanation')).toHaveText(
    'Only an owner can see and manage payment methods; your role is Admin.',
  );
  await expect(page.getByRole('list', { name: 'Payment methods' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Add payment method' })).toHaveCount(0);
  await page.goto('/billing/payment-methods/new');
  await expect(page.getByTestId('payment-methods-explanation')).toBeVisible();
  await expect(page.getByLabel('Card number')).toHaveCount(0);
  expect(asked).toEqual([]);
});
