import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getMe } from '@/services/session.service';
import { cancelInvitation, getInvitations, resendInvitation } from '@/services/team.service';
import { acme, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { invitation } from '@/test/team-fixtures';
import type { Invitation, TenantRole } from '@/types/team';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/team.service');

const bob = invitation('bob@example.com', { sendCount: 2, lastSentAt: '2025-06-03T09:00:00.000Z' });
const carol = invitation('carol@example.com', { status: 'expired', role: 'admin', invitedBy: null });
const dan = invitation('dan@example.com', { status: 'accepted', acceptedAt: '2025-06-02T10:00:00.000Z' });
const erin = invitation('erin@example.com', { status: 'revoked' });

/** Answers like the API: filtered by status and email, paged. */
function serveInvitations(list: Invitation[]) {
  vi.mocked(getInvitations).mockImplementation(async ({ page, limit, status, search }) => {
    const matching = list.filter((i) => (!status || i.status === status) && (!search || i.email.includes(search.toLowerCase())));
    return { data: matching.slice((page - 1) * limit, page * limit), total: matching.length };
  });
}

function signInAs(role: TenantRole) {
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, role)));
}

const rows = () => screen.getAllByTestId('invitation-row');
const rowOf = (email: string) => within(rows().find((row) => within(row).queryByText(email)) as HTMLElement);

beforeEach(() => {
  resetOidcDouble();
  signInAs('admin');
  serveInvitations([bob, carol, dan, erin]);
});

describe('/team/invitations', () => {
  it('lists invitations with role, status, inviter, sends and expiry, and the actions each allows', async () => {
    renderPortal('/team/invitations');

    expect(await screen.findByRole('heading', { level: 1, name: 'Invitations' })).toBeInTheDocument();
    expect(await screen.findAllByTestId('invitation-row')).toHaveLength(4);
    expect(within(screen.getByRole('table')).getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
      'Email',
      'Role',
      'Status',
      'Invited by',
      'Sent',
      'Expires',
      'Actions',
    ]);
    expect(rowOf('bob@example.com').getByText('Pending')).toBeInTheDocument();
    expect(rowOf('bob@example.com').getByText('Ada Lovelace')).toBeInTheDocument();
    expect(rowOf('bob@example.com').getByText('Sent 2 times')).toBeInTheDocument();
    expect(rowOf('bob@example.com').getByText('Jun 8, 2025')).toBeInTheDocument();
    expect(rowOf('bob@example.com').getByRole('button', { name: 'Resend the invitation to bob@example.com' })).toBeInTheDocument();
    expect(rowOf('bob@example.com').getByRole('button', { name: 'Cancel the invitation to bob@example.com' })).toBeInTheDocument();
    expect(rowOf('carol@example.com').getByText('Expired')).toBeInTheDocument();
    expect(rowOf('carol@example.com').getByText('Someone who left')).toBeInTheDocument();
    expect(rowOf('carol@example.com').getByRole('button', { name: /Resend/ })).toBeInTheDocument();
    expect(rowOf('carol@example.com').queryByRole('button', { name: /Cancel/ })).not.toBeInTheDocument();
    expect(rowOf('dan@example.com').getByText('Accepted Jun 2, 2025')).toBeInTheDocument();
    expect(rowOf('dan@example.com').queryByRole('button')).not.toBeInTheDocument();
    expect(rowOf('erin@example.com').queryByRole('button')).not.toBeInTheDocument();
    expect(within(screen.getByRole('navigation', { name: 'Team' })).getByRole('link', { name: 'Invitations' })).toHaveAttribute('aria-current', 'page');
  });

  it('filters by status and email through the URL, with an empty state per filter', async () => {
    const { currentUrl } = renderPortal('/team/invitations?status=pending');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByLabelText('Status')).toHaveValue('pending');

    await userEvent.selectOptions(screen.getByLabelText('Status'), 'expired');
    await waitFor(() => expect(currentUrl()).toBe('/team/invitations?status=expired'));
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'bob');
    expect(await screen.findByRole('heading', { name: 'No invitations match' })).toBeInTheDocument();
    expect(currentUrl()).toBe('/team/invitations?search=bob&status=expired');

    serveInvitations([carol, dan]);
    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'pending');
    expect(await screen.findByRole('heading', { name: 'No pending invitations' })).toBeInTheDocument();
  });

  it("disables resending and cancelling an owner's invitation for an admin, with the reason", async () => {
    serveInvitations([invitation('olga@example.com', { role: 'owner' })]);
    renderPortal('/team/invitations');
    const resend = await screen.findByRole('button', { name: 'Resend the invitation to olga@example.com' });
    expect(resend).toBeDisabled();
    expect(resend).toHaveAttribute('title', 'Only an owner can resend or cancel an invitation as Owner');
    expect(screen.getByRole('button', { name: 'Cancel the invitation to olga@example.com' })).toBeDisabled();
  });

  it('resends an invitation and says so', async () => {
    vi.mocked(resendInvitation).mockResolvedValue({ ...carol, status: 'pending', sendCount: 2 });
    renderPortal('/team/invitations');
    await userEvent.click(await screen.findByRole('button', { name: 'Resend the invitation to carol@example.com' }));
    expect(resendInvitation).toHaveBeenCalledWith(carol.id);
    expect(await screen.findByText('Invitation sent again to carol@example.com.')).toBeInTheDocument();
  });

  it('cancels only after confirming, and can be kept', async () => {
    vi.mocked(cancelInvitation).mockResolvedValue();
    renderPortal('/team/invitations');

    await userEvent.click(await screen.findByRole('button', { name: 'Cancel the invitation to bob@example.com' }));
    let dialog = await screen.findByRole('dialog', { name: 'Cancel the invitation to bob@example.com?' });
    expect(dialog).toHaveTextContent('The link in the email stops working at once.');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Keep invitation' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(cancelInvitation).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: 'Cancel the invitation to bob@example.com' }));
    dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel invitation' }));
    expect(cancelInvitation).toHaveBeenCalledWith(bob.id);
    expect(await screen.findByText('The invitation to bob@example.com was cancelled.')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });

  it('keeps the cancel dialog open with the API sentence when the invitation was accepted meanwhile', async () => {
    vi.mocked(cancelInvitation).mockRejectedValue(
      new ApiError('bob@example.com accepted this invitation already.', 409, {
        type: 'about:blank',
        title: 'Conflict',
        status: 409,
        code: 'CONFLICT',
        detail: 'bob@example.com accepted this invitation already.',
      }),
    );
    renderPortal('/team/invitations');
    await userEvent.click(await screen.findByRole('button', { name: 'Cancel the invitation to bob@example.com' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel invitation' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('bob@example.com accepted this invitation already.');
  });

  it('shows the 403 view to roles below admin, without asking the API', async () => {
    signInAs('engineer');
    renderPortal('/team/invitations');
    expect(await screen.findByRole('heading', { name: "You don't have access to this page" })).toBeInTheDocument();
    expect(getInvitations).not.toHaveBeenCalled();
  });
});
