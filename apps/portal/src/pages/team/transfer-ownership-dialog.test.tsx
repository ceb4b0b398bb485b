import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { getMe } from '@/services/session.service';
import { getMembers, transferOwnership } from '@/services/team.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { acmeTeam } from '@/test/team-fixtures';
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
  vi.mocked(getMembers).mockImplementation(async ({ status }) => {
    const matching = team.all.filter((m) => !status || m.status === status);
    return { data: matching, total: matching.length };
  });
  return team;
}

beforeEach(() => {
  resetOidcDouble();
});

describe('Transfer ownership', () => {
  it('is offered to owners only', async () => {
    signInAs('admin');
    renderPortal('/team');
    expect(await screen.findByRole('button', { name: 'Leave organization' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Transfer ownership' })).not.toBeInTheDocument();
  });

  it('lists active members but you, and confirms only once the tenant name is typed exactly', async () => {
    const { ada, grace } = signInAs('owner');
    vi.mocked(transferOwnership).mockResolvedValue({ previousOwner: { ...ada, role: 'admin' }, newOwner: { ...grace, role: 'owner' } });
    renderPortal('/team');
    await userEvent.click(await screen.findByRole('button', { name: 'Transfer ownership' }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Transfer ownership of Acme Corp' }));

    const picker = await dialog.findByLabelText('New owner');
    const options = within(picker)
      .getAllByRole('option')
      .map((option) => option.textContent);
    expect(options).toEqual([
      'Choose a member…',
      'Olivia Owner (owner@acme.test) · Owner',
      'Grace Hopper (grace@acme.test) · Engineer',
      'Linus Torvalds (linus@acme.test) · Analyst',
    ]);
    expect(getMembers).toHaveBeenCalledWith({ page: 1, limit: 100, status: 'active' });
    expect(dialog.getByText('You stay in Acme Corp as an admin and can no longer undo this yourself.')).toBeInTheDocument();

    const confirm = dialog.getByRole('button', { name: 'Transfer ownership' });
    await userEvent.selectOptions(picker, grace.id);
    expect(dialog.getByText('Grace Hopper becomes the owner: billing, payment methods and ownership are theirs.')).toBeInTheDocument();
    expect(confirm).toBeDisabled();
    await userEvent.type(dialog.getByLabelText('Type Acme Corp to confirm'), 'acme corp');
    expect(confirm).toBeDisabled();
    await userEvent.clear(dialog.getByLabelText('Type Acme Corp to confirm'));
    await userEvent.type(dialog.getByLabelText('Type Acme Corp to confirm'), 'Acme Corp');
    expect(confirm).toBeEnabled();

    await userEvent.click(confirm);
    expect(transferOwnership).toHaveBeenCalledWith(grace.id);
    expect(await screen.findByText('Grace Hopper now owns Acme Corp. You are an admin.')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });
});
