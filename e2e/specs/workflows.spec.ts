import { expect, type Page } from '@playwright/test';
import { apiUrl, seriousA11yViolations, signedIn, reviewScreenshot } from '../support/portal.js';
import { acme, headersOf, test } from '../support/team.js';

/*
 * Workflow monitoring (issue 13, acceptance 2). Runs are started through the API's test hook
 * (CBP_TEST_HOOKS=1 in playwright.config.ts): `test.flaky` fails at `charge` on its first run
 * attempt and completes when retried; with `sleepMs` it sleeps before charging, so it can be
 * cancelled. Each test starts its own runs and finds them by id, so the tests run in parallel.
 */

/** Starts a `test.flaky` run in Acme as the signed-in admin; its run id. */
async function startFlaky(admin: Page, input: { failAttempts?: number; sleepMs?: number } = {}): Promise<string> {
  const res = await admin.request.post(`${apiUrl}/workflows/test-hooks/start`, { headers: await headersOf(admin), data: input });
  expect(res.status(), await res.text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Through the main navigation to the workflow list. */
async function openWorkflows(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }).click();
  await expect(page).toHaveURL(/\/workflows$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Workflows' })).toBeVisible();
}

const rowOf = (page: Page, id: string) => page.getByTestId('workflow-row').filter({ has: page.locator(`a[href="/workflows/${id}"]`) });

/** Light then dark (the portal follows the system theme): no serious or critical axe violation. */
async function expectAccessible(page: Page, where: string, screenshot?: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'dark') await expect(page.locator('html')).toHaveClass(/\bdark\b/);
    else await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
    await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
    expect(await seriousA11yViolations(page), `${where} (${colorScheme})`).toEqual([]);
    if (screenshot) {
      // From the top: the sidebar and header are fixed, a full-page shot of a scrolled page shifts them.
      await page.evaluate(() => window.scrollTo(0, 0));
      await reviewScreenshot(page, { path: `/tmp/wf-${screenshot}-${colorScheme}.png`, fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('an engineer sees a failed run with its failed step and error; an admin retries it after confirming and it completes', async ({ openSession }) => {
  test.slow();
  const admin = await openSession(acme.admin.email);
  const id = await startFlaky(admin);

  const engineer = await openSession(acme.engineer.email);
  await openWorkflows(engineer);
  await expect(engineer.getByTestId('workflow-row').first()).toBeVisible();
  // Filters live in the URL.
  await engineer.getByLabel('Type').fill('test.flaky');
  await engineer.getByLabel('Type').press('Enter');
  await expect(engineer).toHaveURL(/\/workflows\?type=test\.flaky$/);
  const row = rowOf(engineer, id);
  // The list refreshes itself while runs are active: the run turns Failed without a reload.
  await expect(row).toContainText('Failed');
  await expect(row).toContainText('test.flaky');
  await expect(row).toContainText('charge');
  await expect(row).toContainText('Card declined by the test gateway');

  await engineer.getByLabel('Status').selectOption('failed');
  await expect(engineer).toHaveURL(/\/workflows\?status=failed&type=test\.flaky$/);
  await expect(row).toBeVisible();
  await expectAccessible(engineer, 'workflow list', 'list');

  await row.getByRole('link', { name: 'test.flaky' }).click();
  await expect(engineer).toHaveURL(new RegExp(`/workflows/${id}$`));
  await expect(engineer.getByRole('heading', { level: 1, name: 'test.flaky' })).toBeVisible();
  await expect(engineer.getByTestId('workflow-status')).toHaveText('Failed');
  await expect(engineer.getByRole('alert').filter({ hasText: 'Failed at step charge' })).toBeVisible();
  const charge = engineer.getByRole('listitem', { name: 'Step charge' });
  await expect(charge).toContainText('Failed');
  await expect(charge.getByTestId('step-error')).toContainText('Card declined by the test gateway');
  await charge.getByText('Stack trace').click();
  await expect(charge.getByTestId('step-stack')).toContainText('Card declined by the test gateway');
  await expect(engineer.getByRole('listitem', { name: 'Step prepare' })).toContainText('Completed');
  // Engineers watch; only admins retry or cancel.
  await expect(engineer.getByRole('button', { name: 'Retry run' })).toHaveCount(0);
  await expectAccessible(engineer, 'failed workflow', 'detail-failed');

  await admin.goto(`/workflows/${id}`);
  await admin.getByRole('button', { name: 'Retry run' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Retry test.flaky?' });
  await expect(dialog).toContainText('resumes at its failed step, charge');
  await expectAccessible(admin, 'retry confirmation');
  await dialog.getByRole('button', { name: 'Retry workflow' }).click();
  await expect(admin.getByText('test.flaky is running again from step charge.')).toBeVisible();
  // The page refreshes itself while the run runs.
  await expect(admin.getByTestId('workflow-status')).toHaveText('Completed', { timeout: 20_000 });
  await expect(admin.getByTestId('workflow-attempt')).toHaveText('2');
  await expect(admin.getByRole('listitem', { name: 'Step finish' })).toContainText('Completed');
  await expect(admin.getByTestId('workflow-result')).toContainText(`"receipt": "rcpt_${id.slice(0, 8)}"`);
  await expect(admin.getByRole('alert').filter({ hasText: 'Failed at step' })).toHaveCount(0);
  await expectAccessible(admin, 'completed workflow', 'detail-completed');

  // Retrying again is refused by the API (409), with its sentence.
  const again = await admin.request.post(`${apiUrl}/workflows/${id}/retry`, { headers: await headersOf(admin) });
  expect(again.status()).toBe(409);
  expect(((await again.json()) as { code: string }).code).toBe('WORKFLOW_NOT_RETRYABLE');
});

test('an admin cancels a sleeping run after confirming; it never reaches its next step', async ({ openSession }) => {
  const admin = await openSession(acme.admin.email);
  const id = await startFlaky(admin, { failAttempts: 0, sleepMs: 3_600_000 });

  await openWorkflows(admin);
  await expect(rowOf(admin, id)).toContainText('Running');
  await expect(admin.getByTestId('workflow-auto-refresh')).toBeVisible();
  await rowOf(admin, id).getByRole('link', { name: 'test.flaky' }).click();
  const wait = admin.getByRole('listitem', { name: 'Step wait' });
  await expect(wait).toContainText('Waiting');
  await expect(wait.getByTestId('step-wake-at')).toContainText('UTC');
  await expectAccessible(admin, 'sleeping workflow', 'detail-running');

  await admin.getByRole('button', { name: 'Cancel run' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Cancel test.flaky?' });
  await dialog.getByRole('button', { name: 'Keep running' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(admin.getByTestId('workflow-status')).toHaveText('Running');

  await admin.getByRole('button', { name: 'Cancel run' }).click();
  await admin.getByRole('dialog', { name: 'Cancel test.flaky?' }).getByRole('button', { name: 'Cancel workflow' }).click();
  await expect(admin.getByText('test.flaky was cancelled.')).toBeVisible();
  await expect(admin.getByTestId('workflow-status')).toHaveText('Cancelled');
  await expect(admin.getByRole('button', { name: 'Cancel run' })).toHaveCount(0);
  await expect(admin.getByRole('listitem', { name: 'Step charge' })).toHaveCount(0);

  await admin.getByRole('link', { name: 'All workflows' }).click();
  await expect(rowOf(admin, id)).toContainText('Cancelled');
});

test('an analyst has no Workflows entry and gets the 403 view at the URL', async ({ page }) => {
  await signedIn(page, acme.analyst.email);
  await expect(page.getByTestId('tenant-name')).toHaveText(acme.name);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' })).toHaveCount(0);
  await page.goto('/workflows');
  await expect(page.getByRole('heading', { name: "You don't have access to this page" })).toBeVisible();
  await expect(page.getByTestId('required-role')).toHaveText('Engineer or higher');
  await expect(page.getByTestId('current-role')).toHaveText('Analyst');
  await expect(page.getByTestId('workflow-row')).toHaveCount(0);
  expect(await seriousA11yViolations(page)).toEqual([]);
});
