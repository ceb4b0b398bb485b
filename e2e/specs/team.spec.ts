import { expect, type APIResponse, type Locator, type Page } from '@playwright/test';
import { apiUrl, seriousA11yViolations, signedIn } from '../support/portal.js';
import {
  acceptThroughApi,
  acme,
  diffRow,
  headersOf,
  invitationLinkFromOutbox,
  openInvitations,
  openTeam,
  staffEmail,
  test,
  tokenOf,
  uniqueEmail,
} from '../support/team.js';

/*
 * Team management in the browser. Tests without a tag only read the demo data and run in
 * parallel with the other specs. Everything that writes to Acme (invitations, members, roles,
 * ownership, cards, and so the audit trail and the outbox) is tagged @changes-demo-data: it runs
 * alone after the parallel tests (playwright.config.ts) and puts back what others could notice.
 * Even invitations to fresh addresses write `member.invited` entries to Acme's audit trail,
 * which the audit log spec counts against its export while it runs.
 */
const changesDemoData = { tag: '@changes-demo-data' };

const demoInvitation = 'new.hire@acme.test';

const roleSelect = (page: Page, name: string) => page.getByLabel(`Role of ${name}`);

async function openAuditLog(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  await expect(page.getByTestId('audit-log-row').first()).toBeVisible();
}

/** The invitation page's verdict on a link that can no longer be used, with no way to accept it. */
async function expectUnusableLink(page: Page, message: string | RegExp) {
  await expect(page.getByRole('heading', { level: 1, name: 'This invitation can no longer be used' })).toBeVisible();
  await expect(page.getByTestId('invitation-unusable').getByRole('alert')).toHaveText(message);
  await expect(page.getByRole('form')).toHaveCount(0);
  await expect(page.getByRole('textbox')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /join/i })).toHaveCount(0);
}

interface ApiList<T> {
  data: T[];
  total: number;
}

async function json<T>(response: APIResponse, what: string): Promise<T> {
  expect(response.ok(), `${what} answered ${response.status()}`).toBe(true);
  return (await response.json()) as T;
}

/* ------------------------------------------------------------------------------------------ */
/* Read-only: parallel with the other specs                                                   */
/* ------------------------------------------------------------------------------------------ */

test('an admin cannot grant owner nor change their own role: the members table disables both and the API refuses', async ({ page }) => {
  await signedIn(page, acme.admin.email);
  await expect(page.getByTestId('user-role')).toHaveText('Admin');
  await openTeam(page);

  const own = roleSelect(page, acme.admin.name);
  await expect(own).toHaveValue('admin');
  await expect(own).toBeDisabled();
  await expect(own).toHaveAttribute('title', 'You cannot change your own role');
  await expect(page.getByRole('checkbox', { name: `Select ${acme.admin.name}` })).toBeDisabled();
  for (const member of [acme.analyst, acme.engineer]) {
    const select = roleSelect(page, member.name);
    await expect(select).toBeEnabled();
    await expect(select.locator('option[value="admin"]')).toBeEnabled();
    await expect(select.locator('option[value="owner"]')).toBeDisabled();
  }
  // Nor can an admin touch the owner.
  await expect(roleSelect(page, acme.owner.name)).toBeDisabled();
  await expect(roleSelect(page, acme.owner.name)).toHaveAttribute('title', 'Only an owner can change the role of an owner');

  // The API refuses the same, whatever the page shows.
  const headers = await headersOf(page);
  const ownChange = await page.request.patch(`${apiUrl}/users/${acme.admin.id}/role`, { headers, data: { role: 'analyst' } });
  expect(ownChange.status()).toBe(422);
  expect(((await ownChange.json()) as { detail: string }).detail).toBe('You cannot change your own role or status.');
  const grantOwner = await page.request.patch(`${apiUrl}/users/${acme.engineer.id}/role`, { headers, data: { role: 'owner' } });
  expect(grantOwner.status()).toBe(403);
  expect(((await grantOwner.json()) as { detail: string }).detail).toBe('Only an owner can grant the owner role.');

  // Nothing changed.
  for (const [member, role] of [[acme.admin, 'admin'], [acme.engineer, 'engineer']] as const) {
    const now = await json<{ role: string }>(await page.request.get(`${apiUrl}/users/${member.id}`, { headers }), `GET /users/${member.id}`);
    expect(now.role).toBe(role);
  }
});

/**
 * The page as it is now, in the light and then the dark theme (the portal follows the system
 * preference until someone picks a theme), with no serious or critical axe violation in either.
 */
async function expectAccessibleInBothThemes(page: Page, where: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (colorScheme === 'dark') await expect(page.locator('html')).toHaveClass(/\bdark\b/);
    else await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
    // Colours change with a transition: check contrast once they have arrived.
    await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
    expect(await seriousA11yViolations(page), `${where} (${colorScheme})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test.describe('accessibility (axe: no serious or critical violation, light and dark)', () => {
  test('the owner\'s team pages: members, a member\'s timeline, invitations, the bulk invite preview and the transfer dialog', async ({ page }) => {
    // Ten axe passes (five views, two themes): allowed three times the default timeout on a busy 2-core machine.
    test.slow();
    await signedIn(page, acme.owner.email);
    await expect(page.getByTestId('tenant-name')).toHaveText(acme.name);
    await openTeam(page);
    await expect(page.getByTestId('member-row')).toHaveCount(4);
    await expectAccessibleInBothThemes(page, 'members');

    // A member with a history: Adele invited the demo hire.
    await page.getByRole('table').getByRole('link', { name: acme.admin.name }).click();
    await expect(page.getByRole('heading', { level: 1, name: acme.admin.name })).toBeVisible();
    await expect(page.getByTestId('activity-item').first()).toBeVisible();
    await expectAccessibleInBothThemes(page, 'member detail with its timeline');

    await openTeam(page);
    await openInvitations(page);
    await expect(page.getByTestId('invitation-row').filter({ hasText: demoInvitation })).toBeVisible();
    await expectAccessibleInBothThemes(page, 'invitations');

    // Bulk mode with a preview that has a problem row; nothing is sent.
    await page.getByRole('button', { name: 'Invite people' }).click();
    const invite = page.getByRole('dialog', { name: 'Invite people' });
    await invite.getByRole('tab', { name: 'Several people' }).click();
    await invite.getByLabel('People to invite').fill('email,role\nada@example.com,admin\nnot-an-email,analyst\ngrace@example.com');
    await expect(invite.getByTestId('invite-preview-row')).toHaveCount(3);
    await expect(invite.getByTestId('invite-skip-note')).toBeVisible();
    await expectAccessibleInBothThemes(page, 'invite dialog, bulk preview');
    await page.keyboard.press('Escape');
    await expect(invite).toHaveCount(0);

    // The transfer dialog, filled in but not confirmed.
    await openTeam(page);
    await page.getByRole('button', { name: 'Transfer ownership' }).click();
    const transfer = page.getByRole('dialog', { name: `Transfer ownership of ${acme.name}` });
    await transfer.getByLabel('New owner').selectOption(acme.admin.id);
    await transfer.getByLabel(`Type ${acme.name} to confirm`).fill(acme.name);
    await expect(transfer.getByRole('button', { name: 'Transfer ownership' })).toBeEnabled();
    await expectAccessibleInBothThemes(page, 'transfer dialog');
    await transfer.getByRole('button', { name: 'Keep ownership' }).click();
    await expect(transfer).toHaveCount(0);
  });

  test('the outbox as platform staff, and the public accept page of the demo invitation (opened, not accepted)', async ({ page }) => {
    test.slow(); // four axe passes and two sign-in flows
    await signedIn(page, staffEmail);
    await expect(page.getByTestId('tenant-name')).toHaveText(acme.name);
    await page.goto('/admin/outbox');
    await expect(page.getByTestId('outbox-row').first()).toBeVisible();
    await expectAccessibleInBothThemes(page, 'outbox');
    const link = await invitationLinkFromOutbox(page, demoInvitation, () => expectAccessibleInBothThemes(page, 'outbox, a mail open'));

    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1, name: `Join ${acme.name}` })).toBeVisible();
    await expect(page.getByRole('button', { name: `Create account and join ${acme.name}` })).toBeVisible();
    await expectAccessibleInBothThemes(page, 'accept page');

    await page.goto(`/invitations/accept?token=${'x'.repeat(43)}`);
    await expect(page.getByRole('heading', { level: 1, name: "We couldn't find this invitation" })).toBeVisible();
    await expectAccessibleInBothThemes(page, 'accept page, unknown link');
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Changes Acme: one at a time after the parallel tests                                       */
/* ------------------------------------------------------------------------------------------ */

/** Cancels the pending invitations to these addresses (clean-up, through the API). */
async function cancelPendingInvitations(page: Page, emails: readonly string[]) {
  const headers = await headersOf(page);
  for (const email of emails) {
    const query = new URLSearchParams({ search: email, status: 'pending' });
    const found = await json<ApiList<{ id: string }>>(await page.request.get(`${apiUrl}/user-invitations?${query}`, { headers }), 'listing invitations');
    for (const invitation of found.data) {
      const cancelled = await page.request.delete(`${apiUrl}/user-invitations/${invitation.id}`, { headers });
      expect(cancelled.status(), `cancelling the invitation to ${email}`).toBe(204);
    }
  }
}

test(
  'an admin bulk-invites three people, one malformed: the preview marks it, two invitations go out, the bad row is reported, and the team keeps its 4 members',
  changesDemoData,
  async ({ openSession }) => {
    const admin = await openSession(acme.admin.email);
    const ada = uniqueEmail('ada');
    const bob = uniqueEmail('bob');
    try {
      await openTeam(admin);
      await expect(admin.getByTestId('member-count')).toHaveText('4 members');

      await admin.getByRole('button', { name: 'Invite people' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Invite people' });
      await dialog.getByRole('tab', { name: 'Several people' }).click();
      await dialog.getByLabel('People to invite').fill(`${ada},analyst\nnot-an-email,analyst\n${bob},engineer`);

      const preview = dialog.getByTestId('invite-preview-row');
      await expect(preview).toHaveCount(3);
      await expect(preview.nth(0)).toContainText(ada);
      await expect(preview.nth(0)).toContainText('Analyst');
      await expect(preview.nth(0)).toContainText('Ready');
      await expect(preview.nth(1)).toContainText('not-an-email');
      await expect(preview.nth(1)).toContainText('Not a valid email address');
      await expect(preview.nth(1)).not.toContainText('Ready');
      await expect(preview.nth(2)).toContainText(bob);
      await expect(preview.nth(2)).toContainText('Engineer');
      await expect(preview.nth(2)).toContainText('Ready');
      await expect(dialog.getByTestId('invite-skip-note')).toHaveText('1 row has a problem and will not be sent.');

      await dialog.getByRole('button', { name: 'Send 2 invitations' }).click();
      const results = dialog.getByTestId('bulk-invite-results');
      await expect(results.getByRole('status')).toHaveText('2 invitations sent, 1 not sent.');
      const outcome = results.getByTestId('bulk-invite-result');
      await expect(outcome).toHaveCount(3);
      await expect(outcome.filter({ hasText: ada })).toContainText('Sent');
      await expect(outcome.filter({ hasText: bob })).toContainText('Sent');
      await expect(outcome.filter({ hasText: 'not-an-email' })).toContainText('Not sent: Not a valid email address');
      await results.getByRole('button', { name: 'Done' }).click();
      await expect(dialog).toHaveCount(0);

      // Invited people are not members until they accept.
      await expect(admin.getByTestId('member-count')).toHaveText('4 members');
      await expect(admin.getByTestId('member-row')).toHaveCount(4);

      await openInvitations(admin);
      await admin.getByLabel('Status').selectOption('pending');
      await expect(admin).toHaveURL(/\/team\/invitations\?status=pending$/);
      const rows = admin.getByTestId('invitation-row');
      await expect(admin.getByTestId('invitation-count')).toHaveText('3 invitations');
      // Newest first: the two just sent, then the demo's.
      await expect(rows.locator('td:first-child')).toHaveText([bob, ada, demoInvitation]);
      await expect(rows.filter({ hasText: 'Pending' })).toHaveCount(3);
      for (const [email, role] of [[ada, 'Analyst'], [bob, 'Engineer']] as const) {
        const row = rows.filter({ hasText: email });
        await expect(row).toContainText(role);
        await expect(row).toContainText('Pending');
        await expect(row).toContainText(acme.admin.name);
      }
    } finally {
      // Back to the demo's pending invitations (the new hire's only).
      await cancelPendingInvitations(admin, [ada, bob]);
    }
  },
);

/** Removes the member with this email from Acme (clean-up, through the API), if there is one. */
async function removeMemberByEmail(page: Page, email: string) {
  const headers = await headersOf(page);
  const found = await json<ApiList<{ id: string; email: string }>>(
    await page.request.get(`${apiUrl}/users?${new URLSearchParams({ search: email })}`, { headers }),
    'searching members',
  );
  for (const member of found.data.filter((m) => m.email === email)) {
    const removed = await page.request.delete(`${apiUrl}/users/${member.id}`, { headers });
    expect(removed.status(), `removing ${email}`).toBe(204);
  }
}

test(
  'a new person opens the link from the invitation mail, creates an account, signs in to Acme Corp as Engineer; the used link then grants nothing',
  changesDemoData,
  async ({ openSession }) => {
    const email = uniqueEmail('nora');
    const name = 'Nora Newcomer';
    const password = 'correct-horse-battery';
    const admin = await openSession(acme.admin.email);
    try {
      await openTeam(admin);
      await admin.getByRole('button', { name: 'Invite people' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Invite people' });
      await dialog.getByLabel('Email address').fill(email);
      await dialog.getByLabel('Role', { exact: true }).selectOption('engineer');
      await dialog.getByRole('button', { name: 'Send invitation' }).click();
      await expect(admin.getByText(`Invitation sent to ${email}.`)).toBeVisible();
      await expect(dialog).toHaveCount(0);

      // The mail is only in the outbox, which platform staff can read.
      const link = await invitationLinkFromOutbox(await openSession(staffEmail), email);

      const person = await openSession();
      await person.goto(link);
      await expect(person.getByRole('heading', { level: 1, name: `Join ${acme.name}` })).toBeVisible();
      await expect(person.getByText(`${acme.admin.name} invited you to join ${acme.name} on CBP.`)).toBeVisible();
      const summary = person.getByTestId('invitation-summary');
      await expect(summary).toContainText(email);
      await expect(summary).toContainText('Engineer');
      await person.getByLabel('Your name').fill(name);
      await person.getByLabel('Password', { exact: true }).fill(password);
      await person.getByLabel('Confirm password').fill(password);
      await person.getByRole('button', { name: `Create account and join ${acme.name}` }).click();
      await expect(person.getByRole('heading', { level: 1, name: `You joined ${acme.name} as Engineer` })).toBeVisible();
      await expect(person.getByText(`Sign in as ${email} to start working in ${acme.name}.`)).toBeVisible();

      // The normal sign-in, with the new email and password.
      await person.getByRole('button', { name: 'Sign in' }).click();
      await expect(person).toHaveURL(/\/oidc\/interaction\//);
      await person.getByLabel('Email').fill(email);
      await person.getByLabel('Password').fill(password);
      await person.getByRole('button', { name: 'Sign in' }).click();
      await expect(person.getByTestId('tenant-name')).toHaveText(acme.name);
      await expect(person.getByTestId('plan-name')).toHaveText('Pro');
      await expect(person.getByTestId('user-role')).toHaveText('Engineer');
      await expect(person.getByRole('button', { name: `Account menu for ${name}` })).toBeVisible();

      // The admin sees a fifth member, with the invited role.
      await admin.reload();
      await expect(admin.getByTestId('member-count')).toHaveText('5 members');
      await expect(roleSelect(admin, name)).toHaveValue('engineer');

      // The link works once: opened again, it says so and offers nothing to fill in.
      await person.goto(link);
      await expectUnusableLink(person, 'This invitation has already been used. Sign in to reach the organization.');
      const reused = await acceptThroughApi(person, tokenOf(link));
      expect(reused.status()).toBe(410);
      const members = await json<ApiList<{ email: string; role: string }>>(
        await admin.request.get(`${apiUrl}/users?${new URLSearchParams({ search: email })}`, { headers: await headersOf(admin) }),
        'searching members',
      );
      expect(members.data).toEqual([expect.objectContaining({ email, role: 'engineer' })]);
    } finally {
      // Back to the demo's 4 members (the account stays, without a membership).
      await removeMemberByEmail(admin, email);
    }
  },
);

test('a cancelled invitation link says so on the accept page and grants nothing', changesDemoData, async ({ openSession }) => {
  /*
   * An expired link cannot be made from the browser (invitations last 7 days and the clock is
   * the server's); the API tests cover it (apps/control-plane/src/modules/team/invitations.test.ts,
   * "refuses expired and cancelled invitations"). A cancelled link takes the same path: the
   * preview answers 410 with the reason, and accepting is refused.
   */
  const email = uniqueEmail('cancelled');
  const admin = await openSession(acme.admin.email);
  const invited = await admin.request.post(`${apiUrl}/user-invitations`, { headers: await headersOf(admin), data: { email, role: 'analyst' } });
  expect(invited.status(), 'inviting through the API (set-up)').toBe(201);
  try {
    await openTeam(admin);
    await openInvitations(admin);
    await admin.getByLabel('Search').fill(email);
    await expect(admin).toHaveURL(/\/team\/invitations\?search=/);
    const row = admin.getByTestId('invitation-row').filter({ hasText: email });
    await expect(row).toContainText('Pending');
    await row.getByRole('button', { name: `Cancel the invitation to ${email}` }).click();
    const confirm = admin.getByRole('dialog', { name: `Cancel the invitation to ${email}?` });
    await expect(confirm).toContainText('The link in the email stops working at once.');
    await confirm.getByRole('button', { name: 'Cancel invitation' }).click();
    await expect(admin.getByText(`The invitation to ${email} was cancelled.`)).toBeVisible();
    await expect(confirm).toHaveCount(0);
    await expect(row).toContainText('Cancelled');
    await expect(row.getByRole('button', { name: /Cancel the invitation/ })).toHaveCount(0);

    const link = await invitationLinkFromOutbox(await openSession(staffEmail), email);
    const person = await openSession();
    await person.goto(link);
    await expectUnusableLink(person, `This invitation was cancelled. Ask ${acme.admin.name} for a new one.`);
    const accepted = await acceptThroughApi(person, tokenOf(link));
    expect(accepted.status()).toBe(410);
    expect(((await accepted.json()) as { detail: string }).detail).toBe(`This invitation was cancelled. Ask ${acme.admin.name} for a new one.`);
    const members = await json<ApiList<unknown>>(
      await admin.request.get(`${apiUrl}/users?${new URLSearchParams({ search: email })}`, { headers: await headersOf(admin) }),
      'searching members',
    );
    expect(members.total).toBe(0);
  } finally {
    await cancelPendingInvitations(admin, [email]);
  }
});

/** The dashboard shows the signed-in person's role in the organization. */
async function expectDashboardRole(page: Page, role: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('tenant-name')).toHaveText(acme.name);
  await expect(page.getByTestId('user-role')).toHaveText(role);
}

/** Walks an owner through the transfer dialog to `to`; the confirm button waits for the exact name. */
async function transferOwnership(page: Page, to: { name: string; email: string }, toRole: string) {
  await openTeam(page);
  await page.getByRole('button', { name: 'Transfer ownership' }).click();
  const dialog = page.getByRole('dialog', { name: `Transfer ownership of ${acme.name}` });
  const confirm = dialog.getByRole('button', { name: 'Transfer ownership' });
  await dialog.getByLabel('New owner').selectOption({ label: `${to.name} (${to.email}) · ${toRole}` });
  await expect(dialog).toContainText(`${to.name} becomes the owner`);
  await expect(confirm).toBeDisabled();
  const typed = dialog.getByLabel(`Type ${acme.name} to confirm`);
  await typed.fill(acme.name.toLowerCase());
  await expect(confirm).toBeDisabled();
  await typed.fill(acme.name);
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(page.getByText(`${to.name} now owns ${acme.name}. You are an admin.`)).toBeVisible();
  await expect(dialog).toHaveCount(0);
}

test(
  'an owner transfers ownership to the admin after typing the organization name; the roles swap, the audit log records it, and the admin hands it back',
  changesDemoData,
  async ({ openSession }) => {
    const owner = await openSession(acme.owner.email);
    let admin: Page | null = null;
    try {
      await expect(owner.getByTestId('user-role')).toHaveText('Owner');
      await transferOwnership(owner, acme.admin, 'Admin');
      await expect(roleSelect(owner, acme.admin.name)).toHaveValue('owner');
      await expect(roleSelect(owner, acme.owner.name)).toHaveValue('admin');
      await expect(owner.getByRole('button', { name: 'Transfer ownership' })).toHaveCount(0);
      await expectDashboardRole(owner, 'Admin');

      admin = await openSession(acme.admin.email);
      await expect(admin.getByTestId('user-role')).toHaveText('Owner');
      await openTeam(admin);
      await expect(roleSelect(admin, acme.admin.name)).toHaveValue('owner');
      await expect(roleSelect(admin, acme.owner.name)).toHaveValue('admin');
      await expect(admin.getByText(`You are an owner in ${acme.name}.`)).toBeVisible();

      await openAuditLog(admin);
      const transferred = admin.getByTestId('audit-log-row').filter({ hasText: 'ownership.transferred' }).first();
      await expect(transferred).toContainText(acme.owner.email);
      await expect(transferred).toContainText(acme.admin.email);
      await transferred.getByRole('button', { name: /Ownership transferred/ }).click();
      const drawer = admin.getByRole('dialog', { name: 'Ownership transferred' });
      const ownerRow = diffRow(drawer, 'owner');
      await expect(ownerRow.locator('del')).toHaveText(acme.owner.email);
      await expect(ownerRow.locator('ins')).toHaveText(acme.admin.email);
      await drawer.getByRole('button', { name: 'Close details' }).click();

      // Back as the demo has it, through the same dialog.
      await transferOwnership(admin, acme.owner, 'Admin');
      await expect(roleSelect(admin, acme.owner.name)).toHaveValue('owner');
      await expect(roleSelect(admin, acme.admin.name)).toHaveValue('admin');
      await expectDashboardRole(admin, 'Admin');
    } finally {
      await putOwnershipBack(admin ?? (await openSession(acme.admin.email)));
    }
  },
);

/** Safety net when the transfer story fails halfway: Olivia owns Acme again, Adele is its admin. */
async function putOwnershipBack(admin: Page) {
  const headers = await headersOf(admin);
  const current = await json<{ role: string }>(await admin.request.get(`${apiUrl}/users/${acme.owner.id}`, { headers }), 'reading the owner');
  if (current.role === 'owner') return;
  const back = await admin.request.post(`${apiUrl}/team/transfer-ownership`, { headers, data: { newOwnerId: acme.owner.id } });
  expect(back.ok(), `handing ownership back answered ${back.status()}`).toBe(true);
}

interface SavedMethod {
  id: string;
  isDefault: boolean;
  card?: { brand: string; last4: string };
}

/**
 * A second card to make the default: American Express •••• 0005, added through the API (set-up).
 * Returns it and the default it replaces, to put back afterwards.
 */
async function prepareSecondCard(page: Page) {
  const headers = await headersOf(page);
  const list = async () => json<SavedMethod[]>(await page.request.get(`${apiUrl}/payment-methods`, { headers }), 'listing payment methods');
  const add = async (pm: string) => {
    const added = await page.request.post(`${apiUrl}/payment-methods`, {
      headers: { ...headers, 'Idempotency-Key': crypto.randomUUID() },
      data: { stripePaymentMethodId: pm },
    });
    expect(added.status(), `adding ${pm}`).toBe(201);
  };
  // After the payment methods story, Acme has Mastercard •••• 4444. Run alone, this spec finds no
  // card and adds that one first; it stays, as a paid plan cannot drop its last card.
  if ((await list()).length === 0) await add('pm_card_mastercard');
  if (!(await list()).some((m) => m.card?.last4 === '0005')) await add('pm_card_amex');
  const methods = await list();
  const amex = methods.find((m) => m.card?.last4 === '0005');
  const previous = methods.find((m) => m.isDefault && m.card?.last4 !== '0005');
  expect(amex && previous, 'an Amex card next to the default one').toBeTruthy();
  return { amexId: amex?.id ?? '', previousDefaultId: previous?.id ?? '' };
}

/** Waits until the audit log list shows the view asked for, and its rows pass `check`. */
async function expectAuditRows(page: Page, check: (rows: Locator) => Promise<void>) {
  const rows = page.getByTestId('audit-log-row');
  const table = page.getByRole('table', { name: /Audit log entries/ });
  await expect(async () => {
    await expect(table.or(page.getByTestId('audit-logs-empty'))).toBeVisible({ timeout: 1000 });
    // Rows of the previous view stay on screen (dimmed) while the next one loads.
    if ((await table.count()) > 0) await expect(table).toHaveAttribute('aria-busy', 'false', { timeout: 1000 });
    await check(rows);
  }).toPass({ timeout: 10_000 });
}

const dayBefore = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

test(
  "an admin's role change and the owner's new default card head the audit log with before and after; actor, action, target type and date filters find them, and a reload brings the view back",
  changesDemoData,
  async ({ openSession }) => {
    const owner = await openSession(acme.owner.email);
    const cards = await prepareSecondCard(owner);
    const admin = await openSession(acme.admin.email);
    const amexLabel = 'American Express •••• 0005';
    try {
      await openTeam(admin);
      await roleSelect(admin, acme.analyst.name).selectOption('engineer');
      await admin.getByRole('dialog', { name: `Change ${acme.analyst.name}'s role?` }).getByRole('button', { name: 'Make Engineer' }).click();
      await expect(admin.getByText(`${acme.analyst.name} is now Engineer.`)).toBeVisible();
      await expect(roleSelect(admin, acme.analyst.name)).toHaveValue('engineer');

      await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
      await owner.getByRole('navigation', { name: 'Billing' }).getByRole('link', { name: 'Payment methods' }).click();
      const amex = owner.getByRole('region', { name: 'American Express ending in 0005' });
      await amex.getByRole('button', { name: 'Make default American Express ending in 0005' }).click();
      await expect(owner.getByText(`${amexLabel} is now your default payment method.`)).toBeVisible();
      await expect(amex.getByTestId('default-badge')).toBeVisible();

      // Both changes head the owner's audit log, newest first.
      await openAuditLog(owner);
      const rows = owner.getByTestId('audit-log-row');
      const cardEntry = rows.nth(0);
      const roleEntry = rows.nth(1);
      await expect(cardEntry).toContainText('payment_method.default_changed');
      await expect(cardEntry).toContainText(acme.owner.email);
      await expect(cardEntry).toContainText(amexLabel);
      await expect(roleEntry).toContainText('member.role_changed');
      await expect(roleEntry).toContainText(acme.admin.email);
      await expect(roleEntry).toContainText(acme.analyst.email);
      await expect(roleEntry).toContainText('Role: analyst → engineer');

      await cardEntry.getByRole('button', { name: /Default payment method changed/ }).click();
      const cardDrawer = owner.getByRole('dialog', { name: 'Default payment method changed' });
      const defaultRow = diffRow(cardDrawer, 'default');
      await expect(defaultRow.locator('del')).toHaveText(/^\S.* •••• \d{4}$/);
      await expect(defaultRow.locator('del')).not.toHaveText(amexLabel);
      await expect(defaultRow.locator('ins')).toHaveText(amexLabel);
      await cardDrawer.getByRole('button', { name: 'Close details' }).click();
      await expect(cardDrawer).toHaveCount(0);

      await roleEntry.getByRole('button', { name: /Member role changed/ }).click();
      const roleDrawer = owner.getByRole('dialog', { name: 'Member role changed' });
      const roleRow = diffRow(roleDrawer, 'role');
      await expect(roleRow.locator('del')).toHaveText('analyst');
      await expect(roleRow.locator('ins')).toHaveText('engineer');
      await expect(roleDrawer.getByTestId('audit-fields')).toContainText(acme.analyst.id);
      const day = ((await roleEntry.locator('time').getAttribute('datetime')) ?? '').slice(0, 10);
      await roleDrawer.getByRole('button', { name: 'Close details' }).click();
      await expect(roleDrawer).toHaveCount(0);

      // Actor: only what Adele did, her role change first.
      const byAdele = owner.getByRole('button', { name: `Show only entries by ${acme.admin.email}` });
      await roleEntry.getByRole('button', { name: `Show only entries by ${acme.admin.email}` }).click();
      await expect(owner).toHaveURL(new RegExp(`actorId=${acme.admin.id}`));
      await expect(owner.getByRole('list', { name: 'Actor and target filters' })).toContainText(`Actor:${acme.admin.email}`);
      await expectAuditRows(owner, async (shown) => {
        expect(await shown.count()).toBeGreaterThan(0);
        expect(await shown.filter({ has: byAdele }).count()).toBe(await shown.count());
        await expect(shown.first()).toContainText('Role: analyst → engineer', { timeout: 500 });
      });
      await expect(rows.filter({ hasText: 'payment_method.' })).toHaveCount(0);

      // Action: team actions are in the filter's list.
      await owner.getByLabel('Action', { exact: true }).selectOption('member.role_changed');
      await expect(owner).toHaveURL(/action=member\.role_changed/);
      await expectAuditRows(owner, async (shown) => {
        const texts = await shown.allTextContents();
        expect(texts.length).toBeGreaterThan(0);
        expect(texts.every((text) => text.includes('member.role_changed'))).toBe(true);
        expect(await shown.filter({ has: byAdele }).count()).toBe(texts.length);
        expect(texts[0]).toContain(acme.analyst.email);
      });

      // Date range (UTC days): up to the day before, the change is not there; on its day, it is.
      await owner.getByLabel('To', { exact: true }).fill(dayBefore(day));
      await expect(owner).toHaveURL(new RegExp(`to=${dayBefore(day)}T23%3A59%3A59\\.999Z`));
      await expectAuditRows(owner, async (shown) => {
        expect(await shown.filter({ hasText: acme.analyst.email }).count()).toBe(0);
      });
      await owner.getByLabel('To', { exact: true }).fill(day);
      await owner.getByLabel('From', { exact: true }).fill(day);
      await expect(owner).toHaveURL(new RegExp(`from=${day}T00%3A00%3A00\\.000Z&to=${day}T23%3A59%3A59\\.999Z`));
      await expectAuditRows(owner, async (shown) => {
        await expect(shown.first()).toContainText('Role: analyst → engineer', { timeout: 500 });
        const times = await shown.locator('time').evaluateAll((els) => els.map((el) => el.getAttribute('datetime') ?? ''));
        expect(times.every((time) => time.startsWith(day))).toBe(true);
      });

      // The view lives in the URL: a reload shows the same filters, rows and open entry.
      await rows.first().getByRole('button', { name: /Member role changed/ }).click();
      await expect(roleDrawer).toBeVisible();
      await expect(owner).toHaveURL(/&entry=[0-9a-f-]{36}$/);
      const url = owner.url();
      await owner.reload();
      expect(owner.url()).toBe(url);
      await expect(owner.getByRole('dialog', { name: 'Member role changed' })).toBeVisible();
      await expect(roleRow.locator('ins')).toHaveText('engineer');
      await owner.getByRole('button', { name: 'Close details' }).click();
      await expect(owner.getByLabel('Action', { exact: true })).toHaveValue('member.role_changed');
      await expect(owner.getByLabel('From', { exact: true })).toHaveValue(day);
      await expect(owner.getByLabel('To', { exact: true })).toHaveValue(day);
      await expect(owner.getByRole('list', { name: 'Actor and target filters' })).toContainText(acme.admin.email);
      await expectAuditRows(owner, async (shown) => {
        await expect(shown.first()).toContainText('Role: analyst → engineer', { timeout: 500 });
        expect(await shown.filter({ has: byAdele }).count()).toBe(await shown.count());
      });

      // Target type: only payment methods, the new default first.
      await owner.getByRole('button', { name: 'Clear filters' }).click();
      await expect(owner).toHaveURL(/\/admin\/audit-logs$/);
      await owner.getByLabel('Target type').selectOption('payment_method');
      await expect(owner).toHaveURL(/\/admin\/audit-logs\?targetType=payment_method$/);
      await expectAuditRows(owner, async (shown) => {
        const texts = await shown.allTextContents();
        expect(texts.length).toBeGreaterThan(0);
        expect(texts.every((text) => text.includes('Payment method'))).toBe(true);
        expect(texts[0]).toContain('payment_method.default_changed');
        expect(texts[0]).toContain(amexLabel);
      });
    } finally {
      // Back as before: Alice is an analyst, the earlier default card is the default, no Amex.
      const adminHeaders = await headersOf(admin);
      const alice = await admin.request.patch(`${apiUrl}/users/${acme.analyst.id}/role`, { headers: adminHeaders, data: { role: 'analyst' } });
      expect(alice.ok(), `putting Alice back as analyst answered ${alice.status()}`).toBe(true);
      const ownerHeaders = await headersOf(owner);
      const restored = await owner.request.patch(`${apiUrl}/payment-methods/${cards.previousDefaultId}/set-default`, { headers: ownerHeaders });
      expect(restored.ok(), `putting the default card back answered ${restored.status()}`).toBe(true);
      const removed = await owner.request.delete(`${apiUrl}/payment-methods/${cards.amexId}`, { headers: ownerHeaders });
      expect(removed.status(), 'removing the Amex card').toBe(204);
    }
  },
);
