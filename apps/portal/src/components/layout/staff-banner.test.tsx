import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import { setSelectedTenantId } from '@/lib/tenant';
import { getMe } from '@/services/session.service';
import { getDomains, getExports, getOrganization, getOrganizationSettings } from '@/services/organization.service';
import { getMembers } from '@/services/team.service';
import { acme, globex, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { acmeProfile as profile, organizationSettings as settings } from '@/test/organization-fixtures';
import { renderPortal } from '@/test/render-portal';
import { acmeTeam } from '@/test/team-fixtures';
import type { Me } from '@/types/session';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/organization.service');
vi.mock('@/services/team.service');

/** What GET /me answers platform staff: every tenant, as super_admin. */
const staff: Me = {
  user: { id: '00000000-0000-4000-8000-000000000c01', email: 'staff@cbp.test', name: 'Sam Staff' },
  tenants: [membership(acme, 'super_admin'), membership(globex, 'super_admin')],
  platformRole: 'super_admin',
};

beforeEach(() => {
  resetOidcDouble();
  setSelectedTenantId(acme.id);
  vi.mocked(getMe).mockResolvedValue(staff);
  vi.mocked(getOrganization).mockResolvedValue(profile);
  vi.mocked(getOrganizationSettings).mockResolvedValue(settings);
  vi.mocked(getDomains).mockResolvedValue([]);
  vi.mocked(getExports).mockResolvedValue([]);
  const team = acmeTeam('owner');
  vi.mocked(getMembers).mockResolvedValue({ data: team.all, total: team.all.length });
});

describe('staff mode banner (issue 16)', () => {
  it.each(['/', '/team', '/organization', '/billing', '/usage', '/settings/profile'])('tells staff on %s which organization they act in, as platform staff', async (path) => {
    renderPortal(path);
    const banner = await screen.findByTestId('staff-banner');
    expect(banner).toHaveAttribute('role', 'status');
    expect(banner).toHaveTextContent('You are acting in Acme Corp as platform staff.');
    expect(banner).toHaveTextContent('Your access is recorded in this organization’s audit log.');
  });

  it('names the organization staff switched to', async () => {
    setSelectedTenantId(globex.id);
    renderPortal('/');
    expect(await screen.findByTestId('staff-banner')).toHaveTextContent('You are acting in Globex as platform staff.');
  });

  it("is not shown to the organization's own members", async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner')));
    renderPortal('/team');
    expect(await screen.findByRole('heading', { level: 1, name: 'Team' }, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.queryByTestId('staff-banner')).not.toBeInTheDocument();
    expect(screen.queryByText(/as platform staff/)).not.toBeInTheDocument();
  });

  it('never calls staff an owner on Team, and offers them no member-only actions', async () => {
    renderPortal('/team');
    expect(await screen.findByTestId('your-membership')).toHaveTextContent('You are acting in Acme Corp as platform staff, not as one of its members.');
    expect(document.body).not.toHaveTextContent(/as an owner|you own|you are an owner|only owner/i);
    expect(screen.queryByRole('button', { name: /leave/i })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /transfer/i })).not.toBeInTheDocument();
  });

  it("words the Organization page's owner-level actions for staff acting on the owners' behalf", async () => {
    renderPortal('/organization');
    const exportCard = within(await screen.findByRole('region', { name: 'Data export' }));
    expect(exportCard.getByText(/A zip of this organization's data/)).toBeInTheDocument();
    expect(exportCard.getByTestId('export-staff-note')).toHaveTextContent("As platform staff, request an export only when the organization's owners ask for one");
    expect(screen.getByTestId('deletion-staff-note')).toHaveTextContent("As platform staff, schedule or cancel a deletion only at the owners' request");
    expect(document.body).not.toHaveTextContent(/your organization's data|as an owner/i);
  });
});
