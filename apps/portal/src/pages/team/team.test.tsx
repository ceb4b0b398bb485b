import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getMe } from '@/services/session.service';
import { bulkChangeRole, changeMemberRole, changeMemberStatus, getMembers, leaveTenant, removeMember } from '@/services/team.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { acmeTeam } from '@/test/team-fixtures';
import type { Member, TenantRole } from '@/types/team';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/team.service');

/** Answers like the API: filtered by text, status and role, paged. */
function serveMembers(members: Member[]) {
  vi.mocked(getMembers).mockImplementation(async ({ page, limit, search, status, role }) => {
    const text = search?.toLowerCase();
    const matching = members.filter(
      (m) => (!text || `${m.name} ${m.email}`.toLowerCase().includes(text)) && (!status || m.status === status) && (!role || m.role === role),
    );
    return { data: matching.slice((page - 1) * limit, page * limit), total: matching.length };
  });
}

function signInAs(role: TenantRole) {
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, role)));
  const team = acmeTeam(role);
  serveMembers(team.all);
  return team;
}

function refusal(status: number, detail: string) {
  return new ApiError(detail, status, { type: 'about:blank', title: 'Business rule violated', status, code: 'BUSINESS_RULE', detail });
}

const rows = () => screen.getAllByTestId('member-row');
const rowOf = (name: string) => within(rows().find((row) => within(row).queryByRole('link', { name })) as HTMLElement);
const lastQuery = () => vi.mocked(getMembers).mock.lastCall?.[0];

beforeEach(() => {
  resetOidcDouble();
});

describe('/team', () => {
  it('lists members with name, email, role, status, joined date and last activity', async () => {
    signInAs('analyst');
    renderPortal('/team');

    expect(await screen.findByRole('heading', { level: 1, name: 'Team' })).toBeInTheDocument();
    expect(await screen.findAllByTestId('member-row')).toHaveLength(5);
    const table = screen.getByRole('table', { name: 'Members, page 1 of 1' });
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
      'Name',
      'Email',
      'Role',
      'Status',
      'Joined',
      'Last active',
      'Actions',
    ]);
    const ken = rowOf('Ken Thompson');
    expect(ken.getByText('ken@acme.test')).toBeInTheDocument();
    expect(ken.getByText('Analyst')).toBeInTheDocument();
    expect(ken.getByText('Suspended')).toBeInTheDocument();
    expect(ken.getByText('Mar 1, 2025')).toBeInTheDocument();
    expect(ken.getByText('Never')).toBeInTheDocument();
    expect(rowOf('Ada Lovelace').getByText('You')).toBeInTheDocument();
    expect(rowOf('Grace Hopper').getByRole('link', { name: 'Grace Hopper' })).toHaveAttribute('href', expect.stringMatching(/^\/team\/members\//));
    expect(screen.getByTestId('member-count')).toHaveTextContent('5 members');
    expect(getMembers).toHaveBeenCalledWith({ page: 1, limit: 20, search: undefined, status: undefined, role: undefined });
  });

  it('shows analysts a read-only table: no role selects, no selection, no invite, but Leave', async () => {
    signInAs('analyst');
    renderPortal('/team');
    await screen.findAllByTestId('member-row');

    expect(screen.queryByRole('combobox', { name: /Role of/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('checkbox')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Invite people' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Transfer ownership' })).not.toBeInTheDocument();
    expect(screen.queryByRole('navigation', { name: 'Team' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Leave organization' })).toBeInTheDocument();

    await userEvent.click(rowOf('Grace Hopper').getByRole('button', { name: 'Actions for Grace Hopper' }));
    const menu = await screen.findByRole('menu');
    expect(within(menu).getByRole('menuitem', { name: 'View' })).toBeInTheDocument();
    expect(within(menu).queryByRole('menuitem', { name: /Suspend|Remove/ })).not.toBeInTheDocument();
  });

  it('keeps search, status, role and page in the URL and the request', async () => {
    signInAs('admin');
    const { currentUrl } = renderPortal('/team');
    await screen.findAllByTestId('member-row');

    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'hop');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(currentUrl()).toBe('/team?search=hop');
    expect(lastQuery()).toEqual({ page: 1, limit: 20, search: 'hop', status: undefined, role: undefined });

    await userEvent.clear(screen.getByRole('searchbox', { name: 'Search' }));
    await waitFor(() => expect(currentUrl()).toBe('/team'));
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'suspended');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rowOf('Ken Thompson').getByText('Suspended')).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Role' }), 'analyst');
    expect(currentUrl()).toBe('/team?status=suspended&role=analyst');
    expect(lastQuery()).toEqual({ page: 1, limit: 20, search: undefined, status: 'suspended', role: 'analyst' });
  });

  it('reads the filters from the URL, pages, and says when nothing matches', async () => {
    const { all } = signInAs('admin');
    const many = Array.from({ length: 25 }, (_, i) => ({ ...all[3], id: `aaaaaaaa-1111-4000-8000-${String(i).padStart(12, '0')}`, name: `Analyst ${i}` }) as Member);
    serveMembers([...all, ...many]);
    const { currentUrl } = renderPortal('/team?role=analyst&page=2&status=gone');

    expect(await screen.findByTestId('page-indicator')).toHaveTextContent('Page 2 of 2');
    expect(lastQuery()).toEqual({ page: 2, limit: 20, search: undefined, status: undefined, role: 'analyst' });
    expect(screen.getByRole('combobox', { name: 'Role' })).toHaveValue('analyst');
    await userEvent.click(screen.getByRole('button', { name: 'Previous' }));
    await waitFor(() => expect(currentUrl()).toBe('/team?role=analyst'));

    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'nobody{Enter}');
    expect(await screen.findByRole('heading', { name: 'No members match' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(currentUrl()).toBe('/team'));
    expect(screen.getByRole('searchbox', { name: 'Search' })).toHaveValue('');
  });

  it("disables the admin's own role select and an owner's, with the reason, and roles above admin", async () => {
    signInAs('admin');
    renderPortal('/team');
    await screen.findAllByTestId('member-row');

    const own = screen.getByRole('combobox', { name: 'Role of Ada Lovelace' });
    expect(own).toBeDisabled();
    expect(own).toHaveAttribute('title', 'You cannot change your own role');
    const owner = screen.getByRole('combobox', { name: 'Role of Olivia Owner' });
    expect(owner).toBeDisabled();
    expect(owner).toHaveAttribute('title', 'Only an owner can change the role of an owner');

    const grace = screen.getByRole('combobox', { name: 'Role of Grace Hopper' });
    expect(grace).toBeEnabled();
    expect(within(grace).getByRole('option', { name: 'Owner' })).toBeDisabled();
    expect(within(grace).getByRole('option', { name: 'Admin' })).toBeEnabled();
    expect(screen.getByRole('checkbox', { name: 'Select Ada Lovelace' })).toBeDisabled();
    expect(screen.getByRole('checkbox', { name: 'Select Olivia Owner' })).toBeDisabled();
  });

  it('lets an owner grant owner, and changes a role from the row', async () => {
    const { grace } = signInAs('owner');
    vi.mocked(changeMemberRole).mockResolvedValue({ ...grace, role: 'owner' });
    renderPortal('/team');
    await screen.findAllByTestId('member-row');

    const select = screen.getByRole('combobox', { name: 'Role of Grace Hopper' });
    expect(within(select).getByRole('option', { name: 'Owner' })).toBeEnabled();
    await userEvent.selectOptions(select, 'owner');
    const dialog = within(await screen.findByRole('dialog', { name: "Change Grace Hopper's role?" }));
    expect(dialog.getByTestId('role-change-admin-warning')).toHaveTextContent('This grants owner access');
    await userEvent.click(dialog.getByRole('button', { name: 'Make Owner' }));
    expect(changeMemberRole).toHaveBeenCalledWith(grace.id, 'owner', { silent: true });
    expect(await screen.findByText('Grace Hopper is now Owner.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Transfer ownership' })).toBeInTheDocument();
  });

  it('asks before a role change: cancel keeps the old role, confirm changes it, Undo restores it', async () => {
    const { grace } = signInAs('owner');
    expect(grace.role).toBe('engineer');
    renderPortal('/team');
    await screen.findAllByTestId('member-row');
    const select = screen.getByRole('combobox', { name: 'Role of Grace Hopper' });

    // A misclick on Admin: the dialog names her, both roles, what an admin can do, and marks the grant.
    await userEvent.selectOptions(select, 'admin');
    let dialog = within(await screen.findByRole('dialog', { name: "Change Grace Hopper's role?" }));
    expect(dialog.getByText(/grace@acme\.test/)).toHaveTextContent('goes from Engineer to Admin');
    expect(dialog.getByTestId('role-change-summary')).toHaveTextContent('What an Admin can do');
    expect(dialog.getByTestId('role-change-summary')).toHaveTextContent('manages members, settings and audit logs');
    expect(dialog.getByTestId('role-change-admin-warning')).toHaveTextContent('This grants admin access');
    await userEvent.click(dialog.getByRole('button', { name: 'Keep Engineer' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(select).toHaveValue('engineer');
    expect(changeMemberRole).not.toHaveBeenCalled();

    // Escape cancels too.
    await userEvent.selectOptions(select, 'analyst');
    dialog = within(await screen.findByRole('dialog'));
    expect(dialog.queryByTestId('role-change-admin-warning')).not.toBeInTheDocument();
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(select).toHaveValue('engineer');
    expect(changeMemberRole).not.toHaveBeenCalled();

    // Confirmed: changed, with Undo on the toast.
    vi.mocked(changeMemberRole).mockResolvedValueOnce({ ...grace, role: 'admin' }).mockResolvedValueOnce({ ...grace, role: 'engineer' });
    await userEvent.selectOptions(select, 'admin');
    dialog = within(await screen.findByRole('dialog'));
    await userEvent.click(dialog.getByRole('button', { name: 'Make Admin' }));
    expect(changeMemberRole).toHaveBeenCalledWith(grace.id, 'admin', { silent: true });
    expect(await screen.findByText('Grace Hopper is now Admin.')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());

    const toast = (await screen.findByText('Grace Hopper is now Admin.')).closest('[data-sonner-toast]');
    expect(toast).toHaveTextContent('Was Engineer.');
    // A plain click: jsdom has no pointer capture for the toast's swipe handling.
    fireEvent.click(within(toast as HTMLElement).getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(changeMemberRole).toHaveBeenLastCalledWith(grace.id, 'engineer'));
    expect(await screen.findByText('Grace Hopper is Engineer again.')).toBeInTheDocument();
  }, 20_000);

  it('keeps a refused role change in the dialog with the reason', async () => {
    const { grace } = signInAs('owner');
    vi.mocked(changeMemberRole).mockRejectedValueOnce(refusal(422, 'Grace Hopper is suspended.'));
    renderPortal('/team');
    await screen.findAllByTestId('member-row');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Role of Grace Hopper' }), 'analyst');
    const dialog = within(await screen.findByRole('dialog'));
    await userEvent.click(dialog.getByRole('button', { name: 'Make Analyst' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent('Grace Hopper is suspended.');
    expect(changeMemberRole).toHaveBeenCalledWith(grace.id, 'analyst', { silent: true });
  });

  it('changes the role of the selected members at once and shows which failed and why', async () => {
    const { grace, linus, ken } = signInAs('admin');
    vi.mocked(bulkChangeRole).mockResolvedValue({
      updated: 2,
      failed: 1,
      results: [
        { index: 0, key: grace.id, ok: true, status: 200 },
        { index: 1, key: linus.id, ok: true, status: 200 },
        { index: 2, key: ken.id, ok: false, status: 422, code: 'MEMBER_SUSPENDED', message: 'Ken Thompson is suspended; reactivate them first.' },
      ],
    });
    renderPortal('/team');
    await screen.findAllByTestId('member-row');

    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Grace Hopper' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Linus Torvalds' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Ken Thompson' }));
    const bar = screen.getByRole('region', { name: 'Bulk actions' });
    expect(bar).toHaveTextContent('3 members selected');
    expect(within(bar).getByRole('button', { name: 'Change role' })).toBeDisabled();
    await userEvent.selectOptions(within(bar).getByLabelText('Change role to'), 'engineer');
    await userEvent.click(within(bar).getByRole('button', { name: 'Change role' }));

    expect(bulkChangeRole).toHaveBeenCalledWith([grace.id, linus.id, ken.id], 'engineer');
    const results = await screen.findByTestId('bulk-role-results');
    expect(results).toHaveTextContent('2 updated, 1 not changed');
    const lines = within(results).getAllByTestId('bulk-role-result').map((line) => line.textContent);
    expect(lines).toEqual([
      'Grace Hopper is now Engineer.',
      'Linus Torvalds is now Engineer.',
      'Ken Thompson: Ken Thompson is suspended; reactivate them first.',
    ]);
    expect(screen.queryByRole('region', { name: 'Bulk actions' })).not.toBeInTheDocument();
  });

  it('selects every member the admin may change with one checkbox', async () => {
    signInAs('admin');
    renderPortal('/team');
    await screen.findAllByTestId('member-row');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select all members on this page' }));
    expect(screen.getByRole('region', { name: 'Bulk actions' })).toHaveTextContent('3 members selected');
  });

  it('removes a member after confirming, and keeps the dialog with the API sentence on refusal', async () => {
    const { grace, linus } = signInAs('admin');
    vi.mocked(removeMember).mockRejectedValueOnce(refusal(422, 'Grace Hopper owns the billing contact; change it first.')).mockResolvedValueOnce();
    renderPortal('/team');
    await screen.findAllByTestId('member-row');

    await userEvent.click(screen.getByRole('button', { name: 'Actions for Grace Hopper' }));
    await userEvent.click(await screen.findByRole('menuitem', { name: 'Remove' }));
    const dialog = await screen.findByRole('dialog', { name: 'Remove Grace Hopper?' });
    expect(dialog).toHaveTextContent('grace@acme.test loses access to this organization at once.');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove member' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Grace Hopper owns the billing contact; change it first.');

    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove member' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(removeMember).toHaveBeenLastCalledWith(grace.id);
    expect(await screen.findByText('Grace Hopper was removed from the organization.')).toBeInTheDocument();
    expect(removeMember).not.toHaveBeenCalledWith(linus.id);
  });

  it('suspends after confirming and reactivates straight away; never yourself', async () => {
    const { grace, ken } = signInAs('admin');
    vi.mocked(changeMemberStatus).mockImplementation(async (id, status) => ({ ...(id === grace.id ? grace : ken), status }));
    renderPortal('/team');
    await screen.findAllByTestId('member-row');

    await userEvent.click(screen.getByRole('button', { name: 'Actions for Ada Lovelace' }));
    expect(await screen.findByRole('menuitem', { name: /Suspend/ })).toHaveAttribute('aria-disabled', 'true');
    expect(screen.getByRole('menuitem', { name: /Suspend/ })).toHaveTextContent('You cannot suspend yourself');
    await userEvent.keyboard('{Escape}');

    await userEvent.click(screen.getByRole('button', { name: 'Actions for Grace Hopper' }));
    await userEvent.click(await screen.findByRole('menuitem', { name: 'Suspend' }));
    const dialog = await screen.findByRole('dialog', { name: 'Suspend Grace Hopper?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Suspend member' }));
    expect(changeMemberStatus).toHaveBeenCalledWith(grace.id, 'suspended', { silent: true });
    expect(await screen.findByText('Grace Hopper was suspended.')).toBeInTheDocument();
    // The menu item that opened the dialog is gone: focus goes back to the row's menu button.
    await waitFor(() => expect(screen.getByRole('button', { name: 'Actions for Grace Hopper' })).toHaveFocus());

    await userEvent.click(screen.getByRole('button', { name: 'Actions for Ken Thompson' }));
    await userEvent.click(await screen.findByRole('menuitem', { name: 'Reactivate' }));
    expect(changeMemberStatus).toHaveBeenCalledWith(ken.id, 'active');
    expect(await screen.findByText('Ken Thompson was reactivated.')).toBeInTheDocument();
  });

  it('does not offer Leave to the only owner, and says how to get out', async () => {
    const team = signInAs('owner');
    const owners = team.all.filter((m) => m.role === 'owner');
    serveMembers([...team.all.filter((m) => m.role !== 'owner'), ...owners.slice(0, 1)]);
    renderPortal('/team');
    expect(await screen.findByTestId('sole-owner')).toHaveTextContent('You are the only owner: transfer ownership to another member before you can leave.');
    expect(screen.queryByRole('button', { name: 'Leave organization' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Transfer ownership' })).toBeInTheDocument();
  });

  it('tells platform staff they act as staff, and offers them no member-only action', async () => {
    signInAs('owner');
    vi.mocked(getMe).mockResolvedValue({ ...meWith(membership(acme, 'super_admin')), platformRole: 'super_admin' });
    renderPortal('/team');
    expect(await screen.findByTestId('your-membership')).toHaveTextContent('You are acting in Acme Corp as platform staff, not as one of its members.');
    expect(screen.getByTestId('your-membership')).not.toHaveTextContent('As an owner');
    expect(screen.queryByRole('button', { name: 'Leave organization' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Transfer ownership' })).not.toBeInTheDocument();
  });

  it("shows the API's refusal when the last owner tries to leave", async () => {
    signInAs('owner');
    vi.mocked(leaveTenant).mockRejectedValue(refusal(422, 'You are the last owner of Acme Corp; transfer ownership before leaving.'));
    renderPortal('/team');
    await userEvent.click(await screen.findByRole('button', { name: 'Leave organization' }));
    const dialog = await screen.findByRole('dialog', { name: 'Leave Acme Corp?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Leave organization' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('You are the last owner of Acme Corp; transfer ownership before leaving.');
  });

  it('shows loading placeholders, then the API error with a retry', async () => {
    signInAs('admin');
    let fail: (error: unknown) => void = () => {};
    vi.mocked(getMembers).mockReturnValueOnce(new Promise((_, reject) => (fail = reject)));
    renderPortal('/team');

    expect(await screen.findByText('Loading members…')).toBeInTheDocument();
    fail(new ApiError('The members service is restarting.', 503));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load the members");
    expect(alert).toHaveTextContent('The members service is restarting.');
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('member-row')).toHaveLength(5);
  });
});
