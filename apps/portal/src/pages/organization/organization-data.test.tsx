import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { OrganizationExport, WorkflowStatusDetail } from '@cbp/contracts';
import { ApiError } from '@/lib/axios';
import {
  cancelDeletion,
  downloadExport,
  getDomains,
  getExports,
  getOrganization,
  getOrganizationSettings,
  requestExport,
  scheduleDeletion,
} from '@/services/organization.service';
import { getWorkflowStatus } from '@/services/workflows.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { acmeProfile as profile, organizationSettings as settings } from '@/test/organization-fixtures';
import { renderPortal } from '@/test/render-portal';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/organization.service');
vi.mock('@/services/workflows.service');

const ready: OrganizationExport = {
  id: '33333333-3333-4333-8333-333333333333',
  status: 'ready',
  size: 2_621_440,
  workflowId: 'organization-export:33333333-3333-4333-8333-333333333333',
  runId: '44444444-4444-4444-8444-444444444444',
  createdAt: '2026-12-01T10:00:00.000Z',
  completedAt: '2026-12-01T10:01:00.000Z',
  expiresAt: '2026-12-08T10:00:00.000Z',
};
const running: OrganizationExport = { ...ready, id: '55555555-5555-4555-8555-555555555555', status: 'running', size: null, completedAt: null, runId: '66666666-6666-4666-8666-666666666666' };

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getOrganization).mockResolvedValue(profile);
  vi.mocked(getOrganizationSettings).mockResolvedValue(settings);
  vi.mocked(getDomains).mockResolvedValue([]);
  vi.mocked(getExports).mockResolvedValue([ready]);
});

const exportCard = async () => within(await screen.findByRole('region', { name: 'Data export' }));

describe('Data export card', () => {
  it('lets the owner request an export and lists ready archives with size, expiry and a download', async () => {
    signInAs('owner');
    vi.mocked(requestExport).mockResolvedValue({ id: running.id, workflowId: running.workflowId });
    vi.mocked(downloadExport).mockResolvedValue();
    renderPortal('/organization');
    const card = await exportCard();
    const row = within(await card.findByTestId('export-row'));
    expect(row.getByText('Ready')).toBeInTheDocument();
    expect(row.getByText(/2\.5 MB · expires Dec 8, 2026/)).toBeInTheDocument();
    await userEvent.click(row.getByRole('button', { name: /Download/ }));
    await waitFor(() => expect(downloadExport).toHaveBeenCalled());
    expect(vi.mocked(downloadExport).mock.calls[0]?.[0]).toMatchObject({ id: ready.id });

    await userEvent.click(card.getByRole('button', { name: 'Request export' }));
    await waitFor(() => expect(requestExport).toHaveBeenCalledTimes(1));
    expect(await screen.findByText('Export requested. You will be notified when it is ready.')).toBeInTheDocument();
  });

  it('shows a running export’s progress from its workflow steps', async () => {
    signInAs('owner');
    vi.mocked(getExports).mockResolvedValue([running]);
    vi.mocked(getWorkflowStatus).mockResolvedValue({
      currentStep: 'section-invoices',
      steps: [
        { name: 'prepare', status: 'completed' },
        { name: 'section-members', status: 'completed' },
        { name: 'section-organization', status: 'completed' },
        { name: 'section-domains', status: 'completed' },
        { name: 'section-subscriptions', status: 'completed' },
        { name: 'section-invoices', status: 'running' },
      ],
    } as unknown as WorkflowStatusDetail);
    renderPortal('/organization');
    const card = await exportCard();
    expect(await card.findByText(/4 of 10 steps done · Invoices and PDFs…/)).toBeInTheDocument();
    expect(card.getByRole('progressbar', { name: 'Export progress' })).toHaveAttribute('value', '4');
    expect(card.getByRole('button', { name: 'Export in progress' })).toBeDisabled();
    expect(getWorkflowStatus).toHaveBeenCalledWith(running.runId);
  });

  it('admin sees the archives but cannot request one; analyst sees no export card and no danger zone', async () => {
    signInAs('admin');
    const { unmount } = renderPortal('/organization');
    const card = await exportCard();
    expect(await card.findByText('Only the owner can request an export.')).toBeInTheDocument();
    expect(card.queryByRole('button', { name: 'Request export' })).not.toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Danger zone' })).not.toBeInTheDocument();
    unmount();
    signInAs('analyst');
    renderPortal('/organization');
    await screen.findByRole('form', { name: 'Organization profile' });
    expect(screen.queryByRole('region', { name: 'Data export' })).not.toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Danger zone' })).not.toBeInTheDocument();
  });
});

describe('Danger zone', () => {
  it('schedules only once the exact name is typed, shows the grace period, and the API’s field error', async () => {
    signInAs('owner');
    vi.mocked(scheduleDeletion).mockRejectedValueOnce(
      new ApiError('The name does not match the organization name.', 400, {
        type: 'about:blank',
        title: 'Invalid request',
        status: 400,
        code: 'CONFIRMATION_MISMATCH',
        detail: 'The name does not match the organization name.',
        errors: [{ path: 'body.confirmName', message: "Type the organization's exact name, Acme Corp, to confirm." }],
      }),
    );
    renderPortal('/organization');
    await userEvent.click(await screen.findByRole('button', { name: 'Delete organization' }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Delete Acme Corp?' }));
    expect(dialog.getByText(/30-day grace period/)).toBeInTheDocument();
    const submit = dialog.getByRole('button', { name: 'Schedule deletion' });
    await userEvent.type(dialog.getByLabelText(/to confirm/), 'acme corp');
    expect(submit).toBeDisabled();
    await userEvent.clear(dialog.getByLabelText(/to confirm/));
    await userEvent.type(dialog.getByLabelText(/to confirm/), 'Acme Corp');
    expect(submit).toBeEnabled();
    await userEvent.click(submit);
    expect(await dialog.findByText("Type the organization's exact name, Acme Corp, to confirm.")).toBeInTheDocument();
    expect(dialog.getByLabelText(/to confirm/)).toHaveAttribute('aria-invalid', 'true');

    vi.mocked(scheduleDeletion).mockResolvedValueOnce({ status: 'pending_deletion', scheduledFor: '2027-01-03T10:00:00.000Z', workflowId: 'organization-deletion:x' });
    vi.mocked(getOrganization).mockResolvedValue({ ...profile, deletion: { scheduledFor: '2027-01-03T10:00:00.000Z' } });
    await userEvent.click(submit);
    await waitFor(() => expect(scheduleDeletion).toHaveBeenLastCalledWith('Acme Corp'));
    expect(await screen.findByTestId('deletion-countdown')).toHaveTextContent(/Scheduled for deletion on January 3, 2027 \(\d+ days left\)/);
    // The banner across the app.
    expect(screen.getByTestId('deletion-banner')).toHaveTextContent('This organization is scheduled for deletion on January 3, 2027');
  });

  it('cancels a pending deletion; the banner goes away', async () => {
    signInAs('owner');
    vi.mocked(getOrganization).mockResolvedValue({ ...profile, deletion: { scheduledFor: '2027-01-03T10:00:00.000Z' } });
    vi.mocked(cancelDeletion).mockImplementation(async () => {
      vi.mocked(getOrganization).mockResolvedValue(profile);
      return { status: 'active', scheduledFor: null, workflowId: null };
    });
    renderPortal('/organization');
    expect(await screen.findByTestId('deletion-banner')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel deletion' }));
    await waitFor(() => expect(screen.queryByTestId('deletion-banner')).not.toBeInTheDocument());
    expect(await screen.findByRole('button', { name: 'Delete organization' })).toBeInTheDocument();
  });

  it('shows the banner to every member, on any page', async () => {
    signInAs('analyst');
    vi.mocked(getOrganization).mockResolvedValue({ ...profile, deletion: { scheduledFor: '2027-01-03T10:00:00.000Z' } });
    renderPortal('/');
    expect(await screen.findByTestId('deletion-banner')).toHaveTextContent('January 3, 2027');
  });
});
