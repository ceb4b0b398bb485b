import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getMe } from '@/services/session.service';
import { bulkInvite, getMembers, invite, previewBulkInvite } from '@/services/team.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { acmeTeam, invitation } from '@/test/team-fixtures';
import type { TenantRole } from '@/types/team';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/team.service');

function signInAs(role: TenantRole) {
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, role)));
  const team = acmeTeam(role);
  vi.mocked(getMembers).mockResolvedValue({ data: team.all, total: team.all.length });
}

async function openDialog(mode: 'One person' | 'Several people') {
  renderPortal('/team');
  await userEvent.click(await screen.findByRole('button', { name: 'Invite people' }));
  const dialog = await screen.findByRole('dialog', { name: 'Invite people' });
  await userEvent.click(within(dialog).getByRole('tab', { name: mode }));
  return within(dialog);
}

const previewRows = () => screen.getAllByTestId('invite-preview-row').map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent));

/** The API's dry run: every row ready, but for people who are already members. */
function previewAnswers(members: readonly string[] = []) {
  vi.mocked(previewBulkInvite).mockImplementation(async (rows) => {
    const results = rows.map((row, index) =>
      members.includes(row.email)
        ? { index, key: row.email, ok: false, status: 409, code: 'CONFLICT', message: `${row.email} is already a member of this organization.` }
        : { index, key: row.email, ok: true, status: 201 },
    );
    const created = results.filter((row) => row.ok).length;
    return { created, failed: results.length - created, results };
  });
}

beforeEach(() => {
  resetOidcDouble();
  signInAs('admin');
  previewAnswers();
});

describe('Invite people', () => {
  it('invites one person with a role and a message', async () => {
    vi.mocked(invite).mockResolvedValue(invitation('bob@example.com', { role: 'admin' }));
    const dialog = await openDialog('One person');

    const role = dialog.getByRole('combobox', { name: 'Role' });
    expect(within(role).getByRole('option', { name: 'Owner' })).toBeDisabled();
    await userEvent.type(dialog.getByLabelText('Email address'), 'not an email');
    await userEvent.click(dialog.getByRole('button', { name: 'Send invitation' }));
    expect(dialog.getByText('Enter an email address like name@example.com.')).toBeInTheDocument();
    expect(invite).not.toHaveBeenCalled();

    await userEvent.clear(dialog.getByLabelText('Email address'));
    await userEvent.type(dialog.getByLabelText('Email address'), 'bob@example.com');
    await userEvent.selectOptions(role, 'admin');
    expect(dialog.getByText('Engineer, plus manages members, settings and audit logs.')).toBeInTheDocument();
    await userEvent.type(dialog.getByLabelText('Message (optional)'), 'Welcome aboard!');
    await userEvent.click(dialog.getByRole('button', { name: 'Send invitation' }));

    expect(invite).toHaveBeenCalledWith({ email: 'bob@example.com', role: 'admin', message: 'Welcome aboard!' });
    expect(await screen.findByText('Invitation sent to bob@example.com.')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });

  it("keeps the dialog open with the API's sentence when the invitation is refused", async () => {
    vi.mocked(invite).mockRejectedValue(
      new ApiError('bob@example.com is already a member of Acme Corp.', 409, {
        type: 'about:blank',
        title: 'Conflict',
        status: 409,
        code: 'CONFLICT',
        detail: 'bob@example.com is already a member of Acme Corp.',
      }),
    );
    const dialog = await openDialog('One person');
    await userEvent.type(dialog.getByLabelText('Email address'), 'bob@example.com');
    await userEvent.click(dialog.getByRole('button', { name: 'Send invitation' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent('bob@example.com is already a member of Acme Corp.');
  });

  it('previews a pasted list, marks the malformed row, sends the others once and shows the result per row', async () => {
    vi.mocked(bulkInvite).mockResolvedValue({
      created: 1,
      failed: 1,
      results: [
        { index: 0, key: 'ada@example.com', ok: true, status: 201, invitationId: invitation('ada@example.com').id },
        { index: 1, key: 'grace@example.com', ok: false, status: 409, code: 'CONFLICT', message: 'grace@example.com already has a pending invitation.' },
      ],
    });
    const dialog = await openDialog('Several people');

    await userEvent.click(dialog.getByLabelText('People to invite'));
    await userEvent.paste('ada@example.com,admin\ngrace-at-example.com,engineer\ngrace@example.com');
    await dialog.findByRole('button', { name: 'Send 2 invitations' });
    expect(previewRows()).toEqual([
      ['1', 'ada@example.com', 'Admin', 'Ready'],
      ['2', 'grace-at-example.com', 'engineer', 'Not a valid email address'],
      ['3', 'grace@example.com', 'Analyst', 'Ready'],
    ]);
    expect(dialog.getByTestId('invite-skip-note')).toHaveTextContent('1 row has a problem and will not be sent.');

    await userEvent.selectOptions(dialog.getByLabelText('Default role'), 'engineer');
    const send = await dialog.findByRole('button', { name: 'Send 2 invitations' });
    await waitFor(() => expect(previewRows()[2]).toEqual(['3', 'grace@example.com', 'Engineer', 'Ready']));
    await userEvent.click(send);

    expect(bulkInvite).toHaveBeenCalledTimes(1);
    expect(bulkInvite).toHaveBeenCalledWith(
      [
        { email: 'ada@example.com', role: 'admin' },
        { email: 'grace@example.com', role: 'engineer' },
      ],
      undefined,
    );
    const results = await screen.findByTestId('bulk-invite-results');
    expect(results).toHaveTextContent('1 invitation sent, 1 refused, 1 not sent.');
    const lines = within(results)
      .getAllByTestId('bulk-invite-result')
      .map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent));
    expect(lines).toEqual([
      ['ada@example.com', 'Admin', 'Sent'],
      ['grace@example.com', 'Engineer', 'grace@example.com already has a pending invitation.'],
      ['grace-at-example.com', 'engineer', 'Not sent: Not a valid email address'],
    ]);
    await userEvent.click(within(results).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });

  it('reads a CSV file with a header row, and refuses owner rows from an admin', async () => {
    const dialog = await openDialog('Several people');
    const csv = new File(['email,role\r\nlinus@example.com,analyst\r\nken@example.com,owner\r\n'], 'people.csv', { type: 'text/csv' });
    const input = dialog.getByLabelText('Or upload a CSV file');
    expect(input).toHaveAttribute('accept', '.csv,text/csv');
    await userEvent.upload(input, csv);

    expect(await dialog.findByText('Loaded people.csv')).toBeInTheDocument();
    // A button and the file's name: never the browser's "No file chosen" beside it.
    expect(dialog.getByRole('button', { name: 'Choose a CSV file' })).toBeVisible();
    expect(dialog.queryByText(/no file chosen/i)).not.toBeInTheDocument();
    expect(dialog.getByLabelText('People to invite')).toHaveValue('email,role\nlinus@example.com,analyst\nken@example.com,owner\n');
    await dialog.findByRole('button', { name: 'Send 1 invitation' });
    expect(previewRows()).toEqual([
      ['2', 'linus@example.com', 'Analyst', 'Ready'],
      ['3', 'ken@example.com', 'owner', 'You cannot invite someone as Owner'],
    ]);
    expect(await dialog.findByRole('button', { name: 'Send 1 invitation' })).toBeEnabled();
  });

  it('runs the send\'s own checks before sending: an existing member is marked and left out', async () => {
    previewAnswers(['engineer@acme.test']);
    vi.mocked(bulkInvite).mockResolvedValue({
      created: 1,
      failed: 0,
      results: [{ index: 0, key: 'ada@example.com', ok: true, status: 201, invitationId: invitation('ada@example.com').id }],
    });
    const dialog = await openDialog('Several people');
    await userEvent.click(dialog.getByLabelText('People to invite'));
    await userEvent.paste('ada@example.com\nengineer@acme.test,admin');
    expect(dialog.getAllByText('Checking…').length).toBeGreaterThan(0);
    const send = await dialog.findByRole('button', { name: 'Send 1 invitation' });
    expect(previewBulkInvite).toHaveBeenLastCalledWith([
      { email: 'ada@example.com', role: 'analyst' },
      { email: 'engineer@acme.test', role: 'admin' },
    ]);
    expect(previewRows()).toEqual([
      ['1', 'ada@example.com', 'Analyst', 'Ready'],
      ['2', 'engineer@acme.test', 'Admin', 'engineer@acme.test is already a member of this organization.'],
    ]);
    expect(dialog.getByTestId('invite-skip-note')).toHaveTextContent('1 row has a problem and will not be sent.');
    // The Send button sits in the dialog's footer, which stays in view while the dialog scrolls.
    expect(dialog.getByTestId('bulk-invite-footer')).toContainElement(send);
    await userEvent.click(send);
    expect(bulkInvite).toHaveBeenCalledWith([{ email: 'ada@example.com', role: 'analyst' }], undefined);
    expect(await screen.findByTestId('bulk-invite-results')).toHaveTextContent('1 invitation sent, 1 not sent.');
  });

  it('does not send while the list cannot be checked, and checks again on request', async () => {
    vi.mocked(previewBulkInvite).mockRejectedValueOnce(new ApiError('The service is unavailable.', 503));
    const dialog = await openDialog('Several people');
    await userEvent.click(dialog.getByLabelText('People to invite'));
    await userEvent.paste('ada@example.com');
    expect(await dialog.findByRole('alert')).toHaveTextContent('The list could not be checked: The service is unavailable.');
    expect(dialog.getByRole('button', { name: 'Send 0 invitations' })).toBeDisabled();
    await userEvent.click(dialog.getByRole('button', { name: 'Check again' }));
    expect(await dialog.findByRole('button', { name: 'Send 1 invitation' })).toBeEnabled();
    expect(bulkInvite).not.toHaveBeenCalled();
  });

  it('cannot send a list without a valid row', async () => {
    const dialog = await openDialog('Several people');
    await userEvent.click(dialog.getByLabelText('People to invite'));
    await userEvent.paste('nobody');
    expect(dialog.getByRole('button', { name: 'Send 0 invitations' })).toBeDisabled();
  });
});
