import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { createAdminTenant, getAdminTenant, listAdminTenants, reactivateAdminTenant, suspendAdminTenant, type AdminTenantDetail, type AdminTenantListItem } from '@/services/admin-tenants.service';
import { acme as acmeTenant } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/admin-tenants.service', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  listAdminTenants: vi.fn(),
  getAdminTenant: vi.fn(),
  createAdminTenant: vi.fn(),
  suspendAdminTenant: vi.fn(),
  reactivateAdminTenant: vi.fn(),
}));

const acme: AdminTenantListItem = {
  id: '00000000-0000-4000-8000-00000000ac01',
  name: 'Acme Corp',
  slug: 'acme',
  plan: { key: 'pro', name: 'Pro' },
  status: 'active',
  members: 4,
  usageStatus: 'over_soft_limit',
  createdAt: '2026-01-05T10:00:00.000Z',
};
const globex: AdminTenantListItem = { ...acme, id: '00000000-0000-4000-8000-00000000910b', name: 'Globex', slug: 'globex', plan: { key: 'starter', name: 'Starter' }, status: 'suspended', members: 2, usageStatus: 'ok' };
const globexDetail: AdminTenantDetail = {
  ...globex,
  status: 'active',
  owners: [{ id: '00000000-0000-4000-8000-000000000b01', email: 'owner@globex.test', name: 'Gus Owner' }],
  subscription: { status: 'active', planName: 'Starter', currentPeriodEnd: '2026-12-31T00:00:00.000Z', cancelAtPeriodEnd: false, trialEnd: null },
  suspension: null,
  pendingInvitations: 0,
  deletionScheduledAt: null,
};


beforeEach(() => {
  resetOidcDouble();
  signInAs('super_admin', acmeTenant);
  vi.mocked(listAdminTenants).mockResolvedValue({ data: [acme, globex], total: 2 });
  vi.mocked(getAdminTenant).mockResolvedValue(globexDetail);
});

describe('/admin/tenants', () => {
  it('says a tenant is approaching a limit (from 80 % of a soft limit) in words, not colour alone', async () => {
    vi.mocked(listAdminTenants).mockResolvedValue({ data: [{ ...acme, usageStatus: 'approaching_limit' }], total: 1 });
    renderPortal('/admin/tenants');
    const [row] = await screen.findAllByTestId('admin-tenant-row');
    expect(row).toHaveTextContent('Approaching limit');
  });

  it('lists every organization with plan, status, members and usage, in the admin tabs', async () => {
    renderPortal('/admin/tenants');
    expect(await screen.findByRole('heading', { level: 1, name: 'Tenants' })).toBeInTheDocument();
    const rows = await screen.findAllByTestId('admin-tenant-row');
    expect(rows[0]).toHaveTextContent('Acme Corp');
    expect(rows[0]).toHaveTextContent('Pro');
    expect(rows[0]).toHaveTextContent('Over soft limit');
    expect(rows[1]).toHaveTextContent('Suspended');
    expect(rows[1]).toHaveTextContent('Within limits');
    expect(within(rows[1] as HTMLElement).getByRole('link', { name: 'Globex' })).toHaveAttribute('href', `/admin/tenants/${globex.id}`);
    expect(screen.getByTestId('admin-tenant-count')).toHaveTextContent('2 organizations');
    const tabs = screen.getByRole('navigation', { name: 'Admin' });
    expect(within(tabs).getByRole('link', { name: 'Tenants' })).toHaveAttribute('aria-current', 'page');
  });

  it('searches, filters by status and pages through the API', async () => {
    vi.mocked(listAdminTenants).mockImplementation(async (f) => ({ data: f.search === 'glob' || f.status === 'suspended' ? [globex] : [acme], total: f.search ? 1 : 45 }));
    const user = userEvent.setup();
    renderPortal('/admin/tenants');
    await screen.findAllByTestId('admin-tenant-row');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(listAdminTenants).toHaveBeenLastCalledWith({ page: 2, search: undefined, status: undefined, plan: undefined }));
    expect(screen.getByTestId('page-indicator')).toHaveTextContent('Page 2 of 3');

    await user.type(screen.getByLabelText('Search'), 'glob{Enter}');
    await waitFor(() => expect(listAdminTenants).toHaveBeenLastCalledWith({ page: 1, search: 'glob', status: undefined, plan: undefined }));
    expect(await screen.findByText('1 organization')).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText('Status'), 'suspended');
    await waitFor(() => expect(listAdminTenants).toHaveBeenLastCalledWith({ page: 1, search: 'glob', status: 'suspended', plan: undefined }));
  });

  it('says when nothing matches, and shows a load error with a retry', async () => {
    vi.mocked(listAdminTenants).mockRejectedValueOnce(new ApiError('Cannot reach the CBP API.', 0)).mockResolvedValue({ data: [], total: 0 });
    renderPortal('/admin/tenants?search=zzz');
    expect(await screen.findByText("We couldn't load the organizations")).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    const empty = await screen.findByTestId('admin-tenants-empty');
    expect(empty).toHaveTextContent('No organizations match these filters');
    await userEvent.click(within(empty).getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(listAdminTenants).toHaveBeenLastCalledWith({ page: 1, search: undefined, status: undefined, plan: undefined }));
  });

  it('creates an organization: field errors from the form and the API, then the provisioning workflow link', async () => {
    vi.mocked(createAdminTenant)
      .mockRejectedValueOnce(
        new ApiError('The slug "globex" is taken.', 409, { type: 'about:blank', title: 'Conflict', status: 409, code: 'CONFLICT', errors: [{ path: 'body.slug', message: 'This slug is taken' }] }),
      )
      .mockResolvedValueOnce({ tenant: { ...globexDetail, id: '00000000-0000-4000-8000-0000000000e9', name: 'Initech', slug: 'initech' }, workflowId: 'run-123' });
    const user = userEvent.setup();
    renderPortal('/admin/tenants');
    await user.click(await screen.findByRole('button', { name: 'Create organization' }));
    const dialog = await screen.findByRole('dialog', { name: 'Create organization' });
    await user.click(within(dialog).getByRole('button', { name: 'Create organization' }));
    expect(within(dialog).getByLabelText('Organization name')).toHaveAttribute('aria-invalid', 'true');
    expect(within(dialog).getByLabelText("Owner's email")).toHaveAttribute('aria-invalid', 'true');
    expect(createAdminTenant).not.toHaveBeenCalled();

    await user.type(within(dialog).getByLabelText('Organization name'), 'Globex');
    expect(within(dialog).getByLabelText('Slug')).toHaveValue('globex');
    await user.type(within(dialog).getByLabelText("Owner's email"), 'peter@initech.test');
    await user.click(within(dialog).getByRole('button', { name: 'Create organization' }));
    expect(await within(dialog).findByText('This slug is taken')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('Slug')).toHaveAttribute('aria-invalid', 'true');

    await user.clear(within(dialog).getByLabelText('Slug'));
    await user.type(within(dialog).getByLabelText('Slug'), 'initech');
    await user.click(within(dialog).getByRole('button', { name: 'Create organization' }));
    expect(createAdminTenant).toHaveBeenLastCalledWith({ name: 'Globex', slug: 'initech', plan: 'starter', ownerEmail: 'peter@initech.test' });
    expect(await within(dialog).findByTestId('tenant-created')).toHaveTextContent('Initech was created');
    expect(within(dialog).getByRole('link', { name: 'Follow the provisioning workflow' })).toHaveAttribute('href', '/workflows/run-123');
  });

  it('is not offered to tenant owners: no tab, and the page says they have no access', async () => {
    signInAs('owner', acmeTenant);
    renderPortal('/admin/tenants');
    expect(await screen.findByRole('heading', { name: "You don't have access to this page" })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Tenants' })).not.toBeInTheDocument();
    expect(listAdminTenants).not.toHaveBeenCalled();
  });
});

describe('/admin/tenants/:id', () => {
  it('shows the organization, and suspends it with a reason after confirmation', async () => {
    vi.mocked(suspendAdminTenant).mockResolvedValue({ ...globexDetail, status: 'suspended', suspension: { reason: 'Unpaid invoices', at: '2026-12-04T10:00:00.000Z', by: { id: '00000000-0000-4000-8000-000000000c01', email: 'staff@cbp.test' } } });
    const user = userEvent.setup();
    renderPortal(`/admin/tenants/${globex.id}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'Globex' })).toBeInTheDocument();
    expect(screen.getByRole('list', { name: 'Owners of Globex' })).toHaveTextContent('owner@globex.test');
    expect(screen.getByTestId('tenant-status')).toHaveTextContent('Active');

    await user.click(screen.getByRole('button', { name: 'Suspend' }));
    const dialog = await screen.findByRole('dialog', { name: 'Suspend Globex?' });
    expect(dialog).toHaveTextContent('Every member and API key of this organization is refused');
    await user.click(within(dialog).getByRole('button', { name: 'Suspend organization' }));
    expect(within(dialog).getByLabelText('Reason')).toHaveAttribute('aria-invalid', 'true');
    expect(suspendAdminTenant).not.toHaveBeenCalled();
    await user.type(within(dialog).getByLabelText('Reason'), 'Unpaid invoices');
    await user.click(within(dialog).getByRole('button', { name: 'Suspend organization' }));
    expect(suspendAdminTenant).toHaveBeenCalledWith(globex.id, 'Unpaid invoices');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(await screen.findByTestId('suspension')).toHaveTextContent('Reason: Unpaid invoices');
    expect(screen.getByTestId('tenant-status')).toHaveTextContent('Suspended');
    expect(screen.getByRole('button', { name: 'Reactivate' })).toBeInTheDocument();
  });

  it('reactivates after confirmation, keeping a refusal in the dialog', async () => {
    vi.mocked(getAdminTenant).mockResolvedValue({ ...globexDetail, status: 'suspended', suspension: { reason: 'Abuse', at: '2026-12-04T10:00:00.000Z', by: null } });
    vi.mocked(reactivateAdminTenant).mockRejectedValueOnce(new ApiError('Globex is not suspended.', 409)).mockResolvedValueOnce(globexDetail);
    const user = userEvent.setup();
    renderPortal(`/admin/tenants/${globex.id}`);
    await user.click(await screen.findByRole('button', { name: 'Reactivate' }));
    const dialog = await screen.findByRole('dialog', { name: 'Reactivate Globex?' });
    await user.click(within(dialog).getByRole('button', { name: 'Reactivate organization' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Globex is not suspended.');
    await user.click(within(dialog).getByRole('button', { name: 'Reactivate organization' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.queryByTestId('suspension')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Suspend' })).toBeInTheDocument();
  });

  it('says when the organization cannot be loaded', async () => {
    vi.mocked(getAdminTenant).mockRejectedValue(new ApiError('Tenant not found.', 404));
    renderPortal(`/admin/tenants/${globex.id}`);
    expect(await screen.findByText("We couldn't load this organization")).toBeInTheDocument();
    expect(screen.getByText('Tenant not found.')).toBeInTheDocument();
  });
});
