import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { assignRole, findIdentityUser, getRealmRoles, getUserRoles, revokeRole } from '@/services/keycloak-roles.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/keycloak-roles.service');
vi.mock('@/services/audit-logs.service');

const superAdmin = { id: 'r-1', name: 'super_admin', description: 'Platform staff: staff console and every tenant', composite: false };
const offline = { id: 'r-2', name: 'offline_access', description: '', composite: false };
const engineer = { id: 'u-1', email: 'engineer@acme.test', name: 'Evan Engineer', enabled: true };


beforeEach(() => {
  resetOidcDouble();
  signInAs('super_admin');
  vi.mocked(getRealmRoles).mockResolvedValue([superAdmin, offline]);
  vi.mocked(findIdentityUser).mockResolvedValue(engineer);
  vi.mocked(getUserRoles).mockResolvedValue({ userId: engineer.id, realm: 'cbp', roles: [] });
});

async function findEngineer() {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText('Email'), 'engineer@acme.test');
  await user.click(screen.getByRole('button', { name: 'Find user' }));
  return { user, card: await screen.findByTestId('user-roles') };
}

describe('/admin/roles', () => {
  it('lists the realm roles with their descriptions, in the admin tabs', async () => {
    renderPortal('/admin/roles');
    expect(await screen.findByRole('heading', { level: 1, name: 'Identity roles' })).toBeInTheDocument();
    const rows = await screen.findAllByTestId('realm-role-row');
    expect(rows.map((r) => r.textContent)).toEqual([expect.stringContaining('Platform staff: staff console and every tenant'), expect.stringContaining('offline_access')]);
    // What each role means in CBP, from the shared mapping table.
    expect(rows[0]).toHaveTextContent('Platform staff');
    expect(rows[1]).toHaveTextContent('No meaning in CBP');
    const tabs = screen.getByRole('navigation', { name: 'Admin' });
    expect(within(tabs).getByRole('link', { name: 'Identity roles' })).toHaveAttribute('aria-current', 'page');
  });

  it("finds a user by email and assigns a role after confirmation, showing it in the user's roles", async () => {
    vi.mocked(assignRole).mockResolvedValue({ userId: engineer.id, realm: 'cbp', roles: [superAdmin] });
    renderPortal('/admin/roles');
    const { user, card } = await findEngineer();
    expect(within(card).getByText('engineer@acme.test', { exact: false })).toBeInTheDocument();
    expect(await within(card).findByTestId('user-roles-empty')).toHaveTextContent('No realm roles.');

    await user.selectOptions(within(card).getByLabelText('Role to assign'), 'r-1');
    await user.click(within(card).getByRole('button', { name: 'Assign role' }));
    const dialog = await screen.findByRole('dialog', { name: 'Assign super_admin?' });
    expect(dialog).toHaveTextContent('platform staff access');
    await user.click(within(dialog).getByRole('button', { name: 'Assign role' }));

    expect(assignRole).toHaveBeenCalledWith('cbp', 'u-1', 'r-1');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(await within(card).findByTestId('user-role')).toHaveTextContent('super_admin');
    expect(await screen.findByText('super_admin assigned to engineer@acme.test')).toBeInTheDocument();
  });

  it('revokes a role after confirmation, and keeps a refusal in the dialog', async () => {
    vi.mocked(getUserRoles).mockResolvedValue({ userId: engineer.id, realm: 'cbp', roles: [superAdmin] });
    vi.mocked(revokeRole)
      .mockRejectedValueOnce(new ApiError('You cannot revoke your own platform staff role; ask another staff member.', 422))
      .mockResolvedValueOnce({ userId: engineer.id, realm: 'cbp', roles: [] });
    renderPortal('/admin/roles');
    const { user, card } = await findEngineer();
    await user.click(await within(card).findByRole('button', { name: 'Revoke super_admin from engineer@acme.test' }));
    const dialog = await screen.findByRole('dialog', { name: 'Revoke super_admin?' });
    expect(dialog).toHaveTextContent('also in tokens they already hold');
    await user.click(within(dialog).getByRole('button', { name: 'Revoke role' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('You cannot revoke your own platform staff role');

    await user.click(within(dialog).getByRole('button', { name: 'Revoke role' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(revokeRole).toHaveBeenLastCalledWith('cbp', 'u-1', 'r-1');
    expect(await within(card).findByTestId('user-roles-empty')).toBeInTheDocument();
    expect(await screen.findByText('super_admin revoked from engineer@acme.test')).toBeInTheDocument();
  });

  it('says when no user has the email, and shows load errors with a retry', async () => {
    vi.mocked(findIdentityUser).mockResolvedValue(null);
    vi.mocked(getRealmRoles).mockRejectedValueOnce(new ApiError('Keycloak cannot be reached; retry shortly.', 503));
    renderPortal('/admin/roles');
    expect(await screen.findByText("We couldn't load the realm roles")).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: /retry|try again/i }));
    expect(await screen.findAllByTestId('realm-role-row')).toHaveLength(2);

    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'nobody@acme.test');
    await user.click(screen.getByRole('button', { name: 'Find user' }));
    expect(await screen.findByTestId('user-not-found')).toHaveTextContent('No user with the email nobody@acme.test');
  });

  it('is not offered to tenant owners: no tab, and the page says they have no access', async () => {
    signInAs('owner');
    renderPortal('/admin/roles');
    expect(await screen.findByRole('heading', { name: "You don't have access to this page" })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Identity roles' })).not.toBeInTheDocument();
    expect(getRealmRoles).not.toHaveBeenCalled();
  });
});
