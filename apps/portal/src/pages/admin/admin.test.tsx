import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import { getAuditLogs } from '@/services/audit-logs.service';
import { getCurrentTenant, getPlans } from '@/services/session.service';
import { acme, proPlan } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/audit-logs.service');


beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getCurrentTenant).mockResolvedValue(acme);
  vi.mocked(getPlans).mockResolvedValue([proPlan]);
  vi.mocked(getAuditLogs).mockResolvedValue({ data: [], total: 0, totalCapped: false });
});

describe('/admin', () => {
  it('shows an analyst the 403 view with the role needed, their role and a way back', async () => {
    signInAs('analyst');
    renderPortal('/admin');

    expect(await screen.findByRole('heading', { name: "You don't have access to this page" })).toBeInTheDocument();
    expect(screen.getByTestId('required-role')).toHaveTextContent('Admin or higher');
    expect(screen.getByTestId('current-role')).toHaveTextContent('Analyst');
    expect(screen.getByRole('link', { name: 'Back to the dashboard' })).toHaveAttribute('href', '/');
    expect(screen.queryByRole('heading', { name: 'Audit log' })).not.toBeInTheDocument();
  });

  it('hides the Admin entry from the navigation of roles below admin', async () => {
    signInAs('engineer');
    renderPortal('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(await within(nav).findByRole('link', { name: 'Dashboard' })).toBeInTheDocument();
    expect(within(nav).queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument();
  });

  it('lets an admin in, on the audit log, with the Admin entry in the navigation', async () => {
    signInAs('admin');
    const { currentUrl } = renderPortal('/admin');

    expect(await screen.findByRole('heading', { level: 1, name: 'Audit log' })).toBeInTheDocument();
    expect(currentUrl()).toBe('/admin/audit-logs');
    expect(screen.queryByText("You don't have access to this page")).not.toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(await within(nav).findByRole('link', { name: 'Admin' })).toHaveAttribute('aria-current', 'page');
  });
});
