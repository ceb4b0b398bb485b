import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getMe } from '@/services/session.service';
import { acceptInvitation, previewInvitation } from '@/services/team.service';
import { acme } from '@/test/fixtures';
import { oidcDouble, resetOidcDouble, userManagerDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import type { InvitationPreview } from '@/types/team';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/team.service');

const token = 'tok_0123456789abcdefghijklmnop';
const path = `/invitations/accept?token=${token}`;

function preview(fields: Partial<InvitationPreview> = {}): InvitationPreview {
  return {
    tenantName: 'Acme Corp',
    email: 'bob.builder@example.com',
    role: 'engineer',
    invitedBy: 'Ada Lovelace',
    message: 'Welcome to the team, Bob!',
    expiresAt: '2030-06-08T09:00:00.000Z',
    existingUser: false,
    identity: 'builtin',
    ...fields,
  };
}

const joined = { tenantId: acme.id, tenantName: 'Acme Corp', role: 'engineer', email: 'bob.builder@example.com', next: 'sign-in' } as const;

function gone(detail: string, status = 410) {
  return new ApiError(detail, status, { type: 'about:blank', title: status === 410 ? 'Gone' : 'Not found', status, code: 'NOT_FOUND', detail });
}

beforeEach(() => {
  resetOidcDouble();
  // Signed out: the page must not need a session.
  userManagerDouble.getUser.mockResolvedValue(null);
  oidcDouble.getAccessToken.mockResolvedValue(null);
});

describe('/invitations/accept', () => {
  it('shows a new user the invitation and a form with name and password, then offers to sign in', async () => {
    vi.mocked(previewInvitation).mockResolvedValue(preview());
    vi.mocked(acceptInvitation).mockResolvedValue(joined);
    renderPortal(path);

    expect(await screen.findByRole('heading', { level: 1, name: 'Join Acme Corp' })).toBeInTheDocument();
    expect(previewInvitation).toHaveBeenCalledWith(token);
    expect(screen.getByText('Ada Lovelace invited you to join Acme Corp on CBP.')).toBeInTheDocument();
    const summary = screen.getByTestId('invitation-summary');
    expect(summary).toHaveTextContent('bob.builder@example.com');
    expect(summary).toHaveTextContent('Engineer');
    expect(summary).toHaveTextContent('June 8, 2030');
    expect(screen.getByText('Welcome to the team, Bob!')).toBeInTheDocument();
    expect(getMe).not.toHaveBeenCalled();

    const join = screen.getByRole('button', { name: 'Create account and join Acme Corp' });
    await userEvent.type(screen.getByLabelText('Password'), 'short');
    await userEvent.type(screen.getByLabelText('Confirm password'), 'shorter');
    await userEvent.click(join);
    expect(screen.getByText('Enter your name.')).toBeInTheDocument();
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('The two passwords are not the same.')).toBeInTheDocument();
    expect(acceptInvitation).not.toHaveBeenCalled();

    await userEvent.type(screen.getByLabelText('Your name'), 'Bob Builder');
    await userEvent.clear(screen.getByLabelText('Password'));
    await userEvent.type(screen.getByLabelText('Password'), 'can-we-fix-it');
    await userEvent.clear(screen.getByLabelText('Confirm password'));
    await userEvent.type(screen.getByLabelText('Confirm password'), 'can-we-fix-it');
    await userEvent.click(join);

    expect(acceptInvitation).toHaveBeenCalledWith({ token, name: 'Bob Builder', password: 'can-we-fix-it' });
    expect(await screen.findByRole('heading', { level: 1, name: 'You joined Acme Corp as Engineer' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(oidcDouble.startLogin).toHaveBeenCalledWith('/');
  });

  it('lets an existing user join with one button, asking nothing the account already has', async () => {
    vi.mocked(previewInvitation).mockResolvedValue(preview({ existingUser: true, message: null }));
    vi.mocked(acceptInvitation).mockResolvedValue(joined);
    renderPortal(path);

    expect(
      await screen.findByText('You already have an account with bob.builder@example.com: joining adds Acme Corp to it, with your name and password unchanged.'),
    ).toBeInTheDocument();
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Your name')).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Join Acme Corp' }));
    expect(acceptInvitation).toHaveBeenCalledWith({ token });
    expect(await screen.findByText('You joined Acme Corp as Engineer')).toBeInTheDocument();
  });

  it('sends a new user of an external identity provider on to its registration page', async () => {
    vi.mocked(previewInvitation).mockResolvedValue(preview({ identity: 'external' }));
    vi.mocked(acceptInvitation).mockResolvedValue({ ...joined, next: 'register', registrationUrl: 'https://idp.example.com/register?email=bob' });
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    renderPortal(path);

    await userEvent.type(await screen.findByLabelText('Your name'), 'Bob Builder');
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Join Acme Corp' }));
    expect(await screen.findByRole('link', { name: 'Continue to sign-up' })).toHaveAttribute('href', 'https://idp.example.com/register?email=bob');
    expect(assign).toHaveBeenCalledWith('https://idp.example.com/register?email=bob');
    vi.unstubAllGlobals();
  });

  it.each([
    [410, 'This invitation expired on June 8, 2025.', 'This invitation can no longer be used'],
    [410, 'This invitation was revoked by an admin of Acme Corp.', 'This invitation can no longer be used'],
    [404, 'No invitation has this link.', "We couldn't find this invitation"],
  ])('explains a %i with the API sentence and shows no form', async (status, detail, title) => {
    vi.mocked(previewInvitation).mockRejectedValue(gone(detail, status));
    renderPortal(path);

    const unusable = await screen.findByTestId('invitation-unusable');
    expect(within(unusable).getByRole('heading', { level: 1, name: title })).toBeInTheDocument();
    expect(within(unusable).getByRole('alert')).toHaveTextContent(detail);
    // Not a dead end: the way into the portal.
    expect(within(unusable).getByRole('link', { name: 'Go to the portal' })).toHaveAttribute('href', '/login');
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Join/ })).not.toBeInTheDocument();
  });

  it('says the link is incomplete without a token, without asking the API', async () => {
    renderPortal('/invitations/accept');
    expect(await screen.findByRole('heading', { name: 'This invitation link is incomplete' })).toBeInTheDocument();
    expect(previewInvitation).not.toHaveBeenCalled();
  });

  it('keeps the form with the API sentence when accepting fails', async () => {
    vi.mocked(previewInvitation).mockResolvedValue(preview({ existingUser: true }));
    vi.mocked(acceptInvitation).mockRejectedValue(gone('This invitation was accepted already.'));
    renderPortal(path);
    await userEvent.click(await screen.findByRole('button', { name: 'Join Acme Corp' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This invitation was accepted already.');
    expect(screen.getByRole('button', { name: 'Join Acme Corp' })).toBeEnabled();
  });
});
