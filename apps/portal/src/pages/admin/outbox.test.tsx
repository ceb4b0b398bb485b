import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { minimumRoleFor } from '@cbp/contracts';
import { getOutbox } from '@/services/team.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { outboxMessage } from '@/test/team-fixtures';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/team.service');
vi.mock('@/services/audit-logs.service');


/** The outbox carries invitation links: the RBAC table keeps it to platform staff. */
const outboxRole = minimumRoleFor('outbox', 'list') ?? 'super_admin';

const invite = outboxMessage();
const transfer = outboxMessage({
  to: 'grace@acme.test',
  subject: 'You now own Acme Corp',
  kind: 'ownership_transferred',
  status: 'sent',
  createdAt: '2025-06-02T10:00:00.000Z',
  sentAt: '2025-06-02T10:00:05.000Z',
});

beforeEach(() => {
  resetOidcDouble();
  signInAs(outboxRole);
  vi.mocked(getOutbox).mockResolvedValue({ data: [transfer, invite], total: 2 });
});

describe('/admin/outbox', () => {
  it('lists mails with time, recipient, subject, kind and status, next to the audit log', async () => {
    renderPortal('/admin/outbox');

    expect(await screen.findByRole('heading', { level: 1, name: 'Outbox' })).toBeInTheDocument();
    const rows = await screen.findAllByTestId('outbox-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('grace@acme.test');
    expect(rows[0]).toHaveTextContent('You now own Acme Corp');
    expect(rows[0]).toHaveTextContent('Ownership transferred');
    expect(rows[0]).toHaveTextContent('Sent');
    expect(rows[1]).toHaveTextContent('Captured');
    expect(getOutbox).toHaveBeenCalledWith({ page: 1, limit: 20 });
    const tabs = screen.getByRole('navigation', { name: 'Admin' });
    expect(within(tabs).getByRole('link', { name: 'Outbox' })).toHaveAttribute('aria-current', 'page');
    expect(within(tabs).getByRole('link', { name: 'Audit log' })).toHaveAttribute('href', '/admin/audit-logs');
  });

  it('opens a mail in a side sheet with its links clickable', async () => {
    renderPortal('/admin/outbox');
    await userEvent.click(await screen.findByRole('button', { name: 'Ada Lovelace invited you to Acme Corp' }));

    const sheet = await screen.findByRole('dialog', { name: 'Ada Lovelace invited you to Acme Corp' });
    expect(sheet).toHaveTextContent('To bob@example.com');
    expect(within(sheet).getByTestId('outbox-body')).toHaveTextContent('Ada invited you to join Acme Corp as Engineer.');
    const link = within(sheet).getByRole('link', { name: 'http://localhost:27100/invitations/accept?token=abc123' });
    expect(link).toHaveAttribute('href', 'http://localhost:27100/invitations/accept?token=abc123');
    expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    expect(sheet).toHaveTextContent('Not sent (kept in the outbox)');

    await userEvent.click(within(sheet).getByRole('button', { name: 'Close message' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('has an empty state', async () => {
    vi.mocked(getOutbox).mockResolvedValue({ data: [], total: 0 });
    renderPortal('/admin/outbox');
    expect(await screen.findByRole('heading', { name: 'No emails yet' })).toBeInTheDocument();
  });

  it('shows the 403 view, without the admin tabs, to tenant admins', async () => {
    signInAs('admin');
    renderPortal('/admin/outbox');
    expect(await screen.findByRole('heading', { name: "You don't have access to this page" })).toBeInTheDocument();
    expect(screen.queryByRole('navigation', { name: 'Admin' })).not.toBeInTheDocument();
    expect(getOutbox).not.toHaveBeenCalled();
  });
});
