import { test as base, expect, type BrowserContextOptions, type Locator, type Page } from '@playwright/test';
import { apiHeaders, apiUrl, signedIn } from './portal.js';

/** The demo users of Acme Corp (fixed ids from the demo seed). */
export const acme = {
  name: 'Acme Corp',
  analyst: { id: '00000000-0000-4000-8000-000000000a01', email: 'analyst@acme.test', name: 'Alice Analyst' },
  engineer: { id: '00000000-0000-4000-8000-000000000a02', email: 'engineer@acme.test', name: 'Evan Engineer' },
  admin: { id: '00000000-0000-4000-8000-000000000a03', email: 'admin@acme.test', name: 'Adele Admin' },
  owner: { id: '00000000-0000-4000-8000-000000000a04', email: 'owner@acme.test', name: 'Olivia Owner' },
} as const;

export const staffEmail = 'staff@cbp.test';

const portalUrl = 'http://localhost:27100';

/** An address nobody used before, so a story can run against a database an earlier run left. */
export function uniqueEmail(who: string): string {
  return `${who}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
}

/**
 * `openSession(email?)`: a page in a browser of its own (its own cookies and storage), signed in
 * as the demo user `email` when given (`signedIn`: on their tenant's dashboard), so a story can
 * have several people at once. Closed after the test.
 */
export const test = base.extend<{ openSession: (email?: string, options?: BrowserContextOptions) => Promise<Page> }>({
  openSession: async ({ browser, reducedMotion }, use) => {
    const contexts: Awaited<ReturnType<typeof browser.newContext>>[] = [];
    await use(async (email, options) => {
      const context = await browser.newContext({ baseURL: portalUrl, reducedMotion, ...options });
      contexts.push(context);
      const page = await context.newPage();
      if (email) await signedIn(page, email);
      return page;
    });
    await Promise.all(contexts.map((context) => context.close()));
  },
});

/** The API headers of the signed-in user; fails the test when there is no session. */
export async function headersOf(page: Page): Promise<Record<string, string>> {
  const headers = await apiHeaders(page);
  expect(headers, 'signed in with a token and a tenant').not.toBeNull();
  return headers ?? {};
}

/** Through the main navigation to the members page. */
export async function openTeam(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Team' })).toBeVisible();
  await expect(page.getByTestId('member-row').first()).toBeVisible();
}

/** Through the team tabs to the invitations page. */
export async function openInvitations(page: Page) {
  await page.getByRole('navigation', { name: 'Team' }).getByRole('link', { name: 'Invitations' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Invitations' })).toBeVisible();
}

/**
 * Platform staff read the newest mail to `to` in the tenant's outbox, as a person would in
 * their mailbox, and take the invitation link out of its text.
 */
export async function invitationLinkFromOutbox(staff: Page, to: string, whileOpen?: () => Promise<void>): Promise<string> {
  await staff.goto('/admin/outbox');
  await expect(staff.getByRole('heading', { level: 1, name: 'Outbox' })).toBeVisible();
  const mail = staff.getByTestId('outbox-row').filter({ hasText: to }).first();
  await mail.getByRole('button', { name: /invited you to Acme Corp/ }).click();
  const sheet = staff.getByRole('dialog', { name: /invited you to Acme Corp/ });
  await expect(sheet).toContainText(`To ${to}`);
  const link = sheet.getByTestId('outbox-body').getByRole('link', { name: /\/invitations\/accept\?token=/ });
  const href = await link.getAttribute('href');
  expect(href).toMatch(/^http:\/\/localhost:27100\/invitations\/accept\?token=[\w-]{20,}$/);
  await whileOpen?.();
  await sheet.getByRole('button', { name: 'Close message' }).click();
  await expect(sheet).toHaveCount(0);
  return href ?? '';
}

/** The row of a field in an audit entry's before/after table (by the field's code, e.g. `role`). */
export function diffRow(drawer: Locator, field: string): Locator {
  return drawer
    .getByTestId('audit-diff')
    .locator('tbody tr')
    .filter({ has: drawer.page().locator('th code').getByText(field, { exact: true }) });
}

/** The token of an invitation link. */
export const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';

/** Accepting through the public API, as a person holding the link could try without the page. */
export async function acceptThroughApi(page: Page, token: string) {
  return page.request.post(`${apiUrl}/user-invitations/accept`, { data: { token, name: 'Somebody Else', password: 'another-password-1' } });
}
