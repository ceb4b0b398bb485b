import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getMe } from '@/services/session.service';
import { changeMemberStatus, getMember, getMembers, getTeamActivity, removeMember } from '@/services/team.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { acmeTeam, teamEntry } from '@/test/team-fixtures';
import type { AuditLog } from '@/types/audit-log';
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
  vi.mocked(getMember).mockImplementation(async (id) => {
    const found = team.all.find((m) => m.id === id);
    if (!found) throw new ApiError('Member not found.', 404);
    return found;
  });
  vi.mocked(getMembers).mockResolvedValue({ data: team.all, total: team.all.length });
  return team;
}

/** Answers like the API: newest first, paged. */
function serveActivity(entries: AuditLog[]) {
  vi.mocked(getTeamActivity).mockImplementation(async ({ page, limit }) => ({
    data: entries.slice((page - 1) * limit, page * limit),
    total: entries.length,
  }));
}

const today = (hour: number) => {
  const date = new Date();
  date.setHours(hour, 0, 0, 0);
  return date.toISOString();
};
const daysAgo = (days: number, hour = 9) => {
  const date = new Date();
  date.setDate(date.getDate() - days);
  date.setHours(hour, 0, 0, 0);
  return date.toISOString();
};

beforeEach(() => {
  resetOidcDouble();
});

describe('/team/members/:id', () => {
  it("shows the member's card and their activity grouped by day, with more on demand", async () => {
    const { grace } = signInAs('admin');
    const entries = [
      teamEntry({ action: 'member.role_changed', createdAt: today(0), targetId: grace.id, targetName: 'Grace Hopper', before: { role: 'analyst' }, after: { role: 'engineer' } }),
      teamEntry({ action: 'member.invited', createdAt: daysAgo(1), targetName: 'grace@acme.test', after: { role: 'analyst' } }),
      ...Array.from({ length: 20 }, (_, i) => teamEntry({ action: 'member.reactivated', createdAt: daysAgo(10 + i), targetName: 'grace@acme.test' })),
    ];
    serveActivity(entries);
    renderPortal(`/team/members/${grace.id}`);

    expect(await screen.findByRole('heading', { level: 1, name: 'Grace Hopper' })).toBeInTheDocument();
    const card = screen.getByTestId('member-card');
    expect(card).toHaveTextContent('grace@acme.test');
    expect(within(card).getByRole('combobox', { name: 'Role of Grace Hopper' })).toHaveValue('engineer');
    expect(card).toHaveTextContent('Active');
    expect(card).toHaveTextContent('March 1, 2025');

    expect(await screen.findAllByTestId('activity-item')).toHaveLength(20);
    expect(getTeamActivity).toHaveBeenCalledWith({ page: 1, limit: 20, userId: grace.id });
    const days = screen.getAllByTestId('activity-day');
    expect(within(days[0] as HTMLElement).getByRole('heading', { name: 'Today' })).toBeInTheDocument();
    expect(days[0]).toHaveTextContent("ada@acme.test changed Grace Hopper's role from Analyst to Engineer");
    expect(within(days[1] as HTMLElement).getByRole('heading', { name: 'Yesterday' })).toBeInTheDocument();
    expect(days[1]).toHaveTextContent('ada@acme.test invited grace@acme.test as Analyst');
    expect(within(days[2] as HTMLElement).getByRole('heading', { level: 3 }).textContent).toMatch(/^[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}$/);
    expect(screen.getByText('Showing 20 of 22')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('activity-item')).toHaveLength(22));
    expect(getTeamActivity).toHaveBeenLastCalledWith({ page: 2, limit: 20, userId: grace.id });
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it('explains to an analyst why there is no activity, without asking the API', async () => {
    const { grace } = signInAs('analyst');
    renderPortal(`/team/members/${grace.id}`);

    expect(await screen.findByRole('heading', { level: 1, name: 'Grace Hopper' })).toBeInTheDocument();
    expect(screen.getByTestId('activity-explanation')).toHaveTextContent(
      "Only an admin or a higher role can see a member's activity; your role is Analyst.",
    );
    expect(getTeamActivity).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: /Suspend|Remove/ })).not.toBeInTheDocument();
  });

  it('offers the same actions as the list: suspend after confirming, remove and return to the team', async () => {
    const { grace } = signInAs('admin');
    serveActivity([]);
    vi.mocked(changeMemberStatus).mockResolvedValue({ ...grace, status: 'suspended' });
    vi.mocked(removeMember).mockResolvedValue();
    const { currentUrl } = renderPortal(`/team/members/${grace.id}`);

    expect(await screen.findByTestId('activity-empty')).toHaveTextContent('No team activity recorded yet.');
    await userEvent.click(screen.getByRole('button', { name: 'Suspend' }));
    await userEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Suspend member' }));
    expect(changeMemberStatus).toHaveBeenCalledWith(grace.id, 'suspended', { silent: true });

    await userEvent.click(screen.getByRole('button', { name: 'Remove from organization' }));
    await userEvent.click(within(await screen.findByRole('dialog', { name: 'Remove Grace Hopper?' })).getByRole('button', { name: 'Remove member' }));
    await waitFor(() => expect(currentUrl()).toBe('/team'));
  });

  it('disables the actions on your own card, with the reasons', async () => {
    const { ada } = signInAs('admin');
    serveActivity([]);
    renderPortal(`/team/members/${ada.id}`);

    expect(await screen.findByRole('combobox', { name: 'Role of Ada Lovelace' })).toBeDisabled();
    expect(screen.getByText('You cannot change your own role')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Suspend' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Suspend' })).toHaveAccessibleDescription('You cannot suspend yourself');
    expect(screen.getByRole('button', { name: 'Remove from organization' })).toBeDisabled();
  });

  it('says so when the member is not in the organization', async () => {
    signInAs('admin');
    renderPortal('/team/members/aaaaaaaa-9999-4000-8000-000000000000');
    expect(await screen.findByRole('heading', { name: 'This member is not in your organization' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Back to the team' })).toHaveAttribute('href', '/team');
  });
});
