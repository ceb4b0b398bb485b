import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { exportAuditLogs, getAuditLogById, getAuditLogs, verifyAuditChain } from '@/services/audit-logs.service';
import { auditEntry, cardAdded, demoTrail, invoiceId, invoicePaid, ownerId, planChanged, subscriptionId, tenantCreated } from '@/test/audit-log-fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import type { AuditLog } from '@/types/audit-log';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/audit-logs.service');

/** Answers like the API: filtered, newest first, paged. */
function serveAuditLogs(entries: AuditLog[]) {
  vi.mocked(getAuditLogs).mockImplementation(async ({ page, limit, q, from, to, ...exact }) => {
    const text = q?.toLowerCase();
    const matching = entries.filter(
      (entry) =>
        Object.entries(exact).every(([key, value]) => value === undefined || entry[key as keyof AuditLog] === value) &&
        (!from || entry.createdAt >= from) &&
        (!to || entry.createdAt <= to) &&
        (!text || [entry.action, entry.targetName, entry.actorEmail, entry.targetId].some((field) => field?.toLowerCase().includes(text))),
    );
    return { data: matching.slice((page - 1) * limit, page * limit), total: matching.length, totalCapped: false };
  });
}


const rows = () => screen.getAllByTestId('audit-log-row');
const row = (index: number) => within(rows()[index] as HTMLElement);
const lastRequest = () => vi.mocked(getAuditLogs).mock.lastCall?.[0];

beforeEach(() => {
  resetOidcDouble();
  signInAs('admin');
  serveAuditLogs(demoTrail);
});

describe('/admin/audit-logs', () => {
  it('lists entries newest first with time, actor and type, action in words and code, target and change', async () => {
    renderPortal('/admin/audit-logs');

    expect(await screen.findByRole('heading', { level: 1, name: 'Audit log' })).toBeInTheDocument();
    expect(await screen.findAllByTestId('audit-log-row')).toHaveLength(4);
    const table = screen.getByRole('table', { name: 'Audit log entries, page 1 of 1' });
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Time', 'Actor', 'Action', 'Target', 'Change']);
    expect(getAuditLogs).toHaveBeenCalledWith({ page: 1, limit: 20 });
    expect(screen.getByTestId('audit-log-count')).toHaveTextContent('4 entries');

    const plan = row(2);
    expect(rows()[2]?.querySelector('time')).toHaveTextContent('Jun 2, 202514:03:07 UTC');
    expect(rows()[2]?.querySelector('time')).toHaveAttribute('dateTime', planChanged.createdAt);
    expect(plan.getByRole('button', { name: 'Show only entries by owner@acme.test' })).toHaveTextContent('owner@acme.test');
    expect(plan.getByText('User')).toBeInTheDocument();
    expect(plan.getByText('Plan changed')).toBeInTheDocument();
    expect(plan.getByText('subscription.plan_changed')).toBeInTheDocument();
    expect(plan.getByText('Subscription')).toBeInTheDocument();
    expect(plan.getByText('Pro → Starter')).toBeInTheDocument();
    expect(plan.getByText('Plan: Pro → Starter (+2 more)')).toBeInTheDocument();

    const seed = row(3);
    expect(seed.getByText('CBP platform')).toBeInTheDocument();
    expect(seed.getByText('System')).toBeInTheDocument();
    expect(seed.queryByRole('button', { name: /Show only entries by/ })).not.toBeInTheDocument();
    expect(seed.getByText('Organization created')).toBeInTheDocument();
    expect(seed.getByText('Acme Corp')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Admin', current: 'page' })).toBeInTheDocument();
  });

  it('sends each filter to the API and keeps it in the URL', async () => {
    const { currentUrl } = renderPortal('/admin/audit-logs');
    await screen.findAllByTestId('audit-log-row');

    await userEvent.selectOptions(screen.getByLabelText('Action'), 'subscription.plan_changed');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(currentUrl()).toBe('/admin/audit-logs?action=subscription.plan_changed');
    expect(lastRequest()).toEqual({ page: 1, limit: 20, action: 'subscription.plan_changed' });
    expect(screen.getByTestId('audit-log-count')).toHaveTextContent('1 entry match');

    await userEvent.selectOptions(screen.getByLabelText('Action'), '');
    await userEvent.selectOptions(screen.getByLabelText('Target type'), 'payment_method');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(currentUrl()).toBe('/admin/audit-logs?targetType=payment_method');
    expect(row(0).getByText('Payment method added')).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText('Target type'), '');
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2025-06-02' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2025-06-03' } });
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(lastRequest()).toEqual({ page: 1, limit: 20, from: '2025-06-02T00:00:00.000Z', to: '2025-06-03T23:59:59.999Z' });
    expect(currentUrl()).toBe('/admin/audit-logs?from=2025-06-02T00%3A00%3A00.000Z&to=2025-06-03T23%3A59%3A59.999Z');
    expect(screen.getByRole('group', { name: 'Date range (UTC)' })).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'visa{Enter}');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(currentUrl()).toBe('/admin/audit-logs?q=visa');
    expect(lastRequest()).toEqual({ page: 1, limit: 20, q: 'visa' });
  });

  it('applies text typed but not yet searched when another filter changes', async () => {
    const { currentUrl } = renderPortal('/admin/audit-logs');
    await screen.findAllByTestId('audit-log-row');

    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'mastercard');
    expect(lastRequest()).toEqual({ page: 1, limit: 20 });
    await userEvent.selectOptions(screen.getByLabelText('Target type'), 'payment_method');
    await waitFor(() => expect(lastRequest()).toEqual({ page: 1, limit: 20, q: 'mastercard', targetType: 'payment_method' }));
    expect(currentUrl()).toBe('/admin/audit-logs?q=mastercard&targetType=payment_method');
    expect(await screen.findByRole('heading', { name: 'No entries match these filters' })).toBeInTheDocument();
  });

  it('filters by an action the list does not know, as free text', async () => {
    serveAuditLogs([...demoTrail, auditEntry({ action: 'member.invited', targetType: 'invitation', targetName: 'new@acme.test' })]);
    const { currentUrl } = renderPortal('/admin/audit-logs');
    await screen.findAllByTestId('audit-log-row');

    await userEvent.selectOptions(screen.getByLabelText('Action'), 'Other action…');
    await userEvent.type(screen.getByLabelText('Action code'), 'member.invited{Enter}');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(currentUrl()).toBe('/admin/audit-logs?action=member.invited');
    expect(row(0).getByText('Member invited')).toBeInTheDocument();
    expect(row(0).getByText('Invitation')).toBeInTheDocument();
  });

  it('restores the whole view from the URL, and pages through it', async () => {
    const many = Array.from({ length: 45 }, (_, i) =>
      auditEntry({ action: 'invoice.paid', targetType: 'invoice', targetName: `INV-${45 - i}`, createdAt: `2025-06-10T10:${String(59 - i).padStart(2, '0')}:00.000Z` }),
    );
    serveAuditLogs(many);
    const url =
      '/admin/audit-logs?q=INV&action=invoice.paid&targetType=invoice&from=2025-06-01T00%3A00%3A00.000Z&to=2025-06-30T23%3A59%3A59.999Z&page=2';
    const { currentUrl } = renderPortal(url);

    expect(await screen.findByTestId('page-indicator')).toHaveTextContent('Page 2 of 3');
    expect(getAuditLogs).toHaveBeenCalledWith({
      page: 2,
      limit: 20,
      q: 'INV',
      action: 'invoice.paid',
      targetType: 'invoice',
      from: '2025-06-01T00:00:00.000Z',
      to: '2025-06-30T23:59:59.999Z',
    });
    expect(screen.getByRole('searchbox', { name: 'Search' })).toHaveValue('INV');
    expect(screen.getByLabelText('Action')).toHaveValue('invoice.paid');
    expect(screen.getByLabelText('Target type')).toHaveValue('invoice');
    expect(screen.getByLabelText('From')).toHaveValue('2025-06-01');
    expect(screen.getByLabelText('To')).toHaveValue('2025-06-30');
    await waitFor(() => expect(row(0).getByText('INV-25')).toBeInTheDocument());

    await userEvent.click(within(screen.getByRole('navigation', { name: 'Pagination' })).getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('Page 3 of 3')).toBeInTheDocument();
    expect(currentUrl()).toBe(url.replace('page=2', 'page=3'));
    await waitFor(() => expect(rows()).toHaveLength(5));
  });

  it('drops URL values the API would refuse', async () => {
    renderPortal('/admin/audit-logs?from=yesterday&actorId=nobody&page=0&entry=42');
    await screen.findAllByTestId('audit-log-row');
    expect(getAuditLogs).toHaveBeenCalledWith({ page: 1, limit: 20 });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('narrows the list to an actor from a row, and names the filter by their email', async () => {
    const { currentUrl } = renderPortal('/admin/audit-logs');
    await screen.findAllByTestId('audit-log-row');

    await userEvent.click(row(0).getByRole('button', { name: 'Show only entries by owner@acme.test' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(currentUrl()).toBe(`/admin/audit-logs?actorId=${ownerId}`);
    expect(lastRequest()).toEqual({ page: 1, limit: 20, actorId: ownerId });
    expect(screen.getByRole('list', { name: 'Actor and target filters' })).toHaveTextContent('Actor:owner@acme.test');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Remove the actor filter' }));
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(currentUrl()).toBe('/admin/audit-logs');
  });

  it('opens an entry in a drawer with all its fields, the before/after diff and the metadata', async () => {
    const { currentUrl } = renderPortal('/admin/audit-logs');
    await userEvent.click(await screen.findByText('Pro → Starter'));

    const drawer = await screen.findByRole('dialog', { name: 'Plan changed' });
    expect(currentUrl()).toBe(`/admin/audit-logs?entry=${planChanged.id}`);
    expect(drawer).toHaveAccessibleDescription('subscription.plan_changed · Jun 2, 2025, 14:03:07 UTC');

    const diff = within(drawer).getByRole('table', { name: 'Fields before and after the change' });
    const [header, ...diffRows] = within(diff).getAllByRole('row');
    expect(header).toHaveTextContent('FieldBeforeAfter');
    const plan = within(diffRows[0] as HTMLElement);
    expect(plan.getByRole('rowheader')).toHaveTextContent('Plan');
    expect(plan.getByText('Changed')).toBeInTheDocument();
    expect(plan.getByText('Pro').closest('del')).not.toBeNull();
    expect(plan.getByText('Starter').closest('ins')).not.toBeNull();
    expect(diffRows[2]).toHaveTextContent('Price monthly');
    expect(diffRows[2]).toHaveTextContent('199004900');

    const fields = within(drawer).getByTestId('audit-fields');
    expect(fields).toHaveTextContent('Actor emailowner@acme.test');
    expect(fields).toHaveTextContent(`Target id${subscriptionId}`);
    expect(fields).toHaveTextContent('IP address203.0.113.7');
    expect(fields).toHaveTextContent('User agentFirefox');
    expect(fields).toHaveTextContent(`Entry id${planChanged.id}`);
    expect(within(drawer).getByTestId('audit-metadata')).toHaveTextContent('"prorationAmount": -12000');
    expect(within(drawer).getByRole('link', { name: 'Open the subscription' })).toHaveAttribute('href', '/billing');

    await userEvent.click(within(drawer).getByRole('button', { name: 'Close details' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(currentUrl()).toBe('/admin/audit-logs');
    // Focus goes back to the row the drawer was opened from.
    expect(row(2).getByRole('button', { name: /Plan changed/ })).toHaveFocus();
  });

  it('links from the drawer to every entry of the same target, and of the same actor', async () => {
    const { currentUrl } = renderPortal(`/admin/audit-logs?entry=${planChanged.id}`);
    const drawer = await screen.findByRole('dialog', { name: 'Plan changed' });
    expect(getAuditLogById).not.toHaveBeenCalled();

    await userEvent.click(within(drawer).getByRole('link', { name: 'All entries for this target' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(currentUrl()).toBe(`/admin/audit-logs?targetType=subscription&targetId=${subscriptionId}`);
    expect(lastRequest()).toEqual({ page: 1, limit: 20, targetType: 'subscription', targetId: subscriptionId });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByLabelText('Target type')).toHaveValue('subscription');
    expect(screen.getByRole('list', { name: 'Actor and target filters' })).toHaveTextContent('Target:Pro → Starter');

    await userEvent.click(rows()[0] as HTMLElement);
    await userEvent.click(within(await screen.findByRole('dialog')).getByRole('link', { name: 'All entries by this actor' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(currentUrl()).toBe(`/admin/audit-logs?actorId=${ownerId}`);
    expect(lastRequest()).toEqual({ page: 1, limit: 20, actorId: ownerId });
  });

  it('links invoices and payment methods to their pages, and fetches a shared entry that is not on the page', async () => {
    vi.mocked(getAuditLogById).mockResolvedValue(invoicePaid);
    serveAuditLogs([cardAdded]);
    renderPortal(`/admin/audit-logs?entry=${invoicePaid.id}`);

    const drawer = await screen.findByRole('dialog', { name: 'Invoice paid' });
    expect(getAuditLogById).toHaveBeenCalledWith(invoicePaid.id);
    expect(within(drawer).getByRole('link', { name: 'Open invoice INV-2025-0006' })).toHaveAttribute('href', `/billing/invoices/${invoiceId}`);
    expect(within(drawer).queryByRole('link', { name: 'All entries by this actor' })).not.toBeInTheDocument();
    const diff = within(drawer).getByTestId('audit-diff');
    expect(within(diff).getAllByText('Added')).toHaveLength(2);

    await userEvent.keyboard('{Escape}');
    await userEvent.click(await screen.findByText('Visa •••• 4242'));
    const card = await screen.findByRole('dialog', { name: 'Payment method added' });
    expect(within(card).getByRole('link', { name: 'Open payment methods' })).toHaveAttribute('href', '/billing/payment-methods');
  });

  it('says so when a shared entry does not exist', async () => {
    vi.mocked(getAuditLogById).mockRejectedValue(new ApiError('Audit log entry not found.', 404));
    renderPortal(`/admin/audit-logs?entry=${tenantCreated.id.replace('ffff', 'abcd')}`);
    expect(await screen.findByRole('dialog', { name: 'Entry not found' })).toHaveAccessibleDescription(
      'This entry does not exist in your organization.',
    );
  });

  it('has an empty state that clears the filters', async () => {
    const { currentUrl } = renderPortal('/admin/audit-logs?action=payment_method.removed');
    expect(await screen.findByRole('heading', { name: 'No entries match these filters' })).toBeInTheDocument();
    await userEvent.click(within(screen.getByTestId('audit-logs-empty')).getByRole('button', { name: 'Clear filters' }));
    expect(await screen.findAllByTestId('audit-log-row')).toHaveLength(4);
    expect(currentUrl()).toBe('/admin/audit-logs');
  });

  it('says when there is nothing recorded yet', async () => {
    serveAuditLogs([]);
    renderPortal('/admin/audit-logs');
    expect(await screen.findByRole('heading', { name: 'No entries yet' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Clear filters' })).not.toBeInTheDocument();
  });

  it('shows loading placeholders, then an API error with a retry that recovers', async () => {
    let fail: (error: unknown) => void = () => {};
    vi.mocked(getAuditLogs).mockReturnValueOnce(new Promise((_, reject) => (fail = reject)));
    renderPortal('/admin/audit-logs');

    expect(await screen.findByText('Loading the audit log…')).toBeInTheDocument();
    fail(new ApiError('The audit service is restarting.', 503));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load the audit log");
    expect(alert).toHaveTextContent('The audit service is restarting.');
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('audit-log-row')).toHaveLength(4);
  });

  it.each(['analyst', 'engineer'] as const)('shows an %s the 403 view and asks the API nothing', async (role) => {
    signInAs(role);
    renderPortal('/admin/audit-logs');
    expect(await screen.findByRole('heading', { name: "You don't have access to this page" })).toBeInTheDocument();
    expect(screen.getByTestId('required-role')).toHaveTextContent('Admin or higher');
    expect(screen.queryByRole('heading', { name: 'Audit log' })).not.toBeInTheDocument();
    expect(getAuditLogs).not.toHaveBeenCalled();
  });
});

describe('integrity check', () => {
  it('verifies the chain on request and says how many entries were checked', async () => {
    vi.mocked(verifyAuditChain).mockResolvedValue({
      valid: true,
      checked: 1234,
      firstBroken: null,
      head: { id: planChanged.id, hash: 'ab12'.repeat(16), createdAt: planChanged.createdAt },
      retention: { days: 365, purgedTotal: 5000, lastPurgedAt: '2026-11-20T03:00:00.000Z' },
      verifiedAt: '2026-11-24T10:00:00.000Z',
    });
    renderPortal('/admin/audit-logs');
    await userEvent.click(await screen.findByRole('button', { name: 'Verify integrity' }));
    expect(await screen.findByText(/Chain intact: 1,234 entries verified/)).toBeInTheDocument();
    // What retention removed, and the latest hash to keep outside CBP.
    expect(screen.getByTestId('audit-retention')).toHaveTextContent('Your plan keeps entries for 365 days; 5,000 older entries were removed');
    expect(screen.getByTestId('audit-head-hash')).toHaveTextContent('ab12ab12');
  });

  it('names the tampered entry and opens it', async () => {
    vi.mocked(verifyAuditChain).mockResolvedValue({
      valid: false,
      checked: 12,
      firstBroken: { id: planChanged.id, createdAt: planChanged.createdAt, reason: 'content_changed' },
      head: null,
      retention: { days: 30, purgedTotal: 0, lastPurgedAt: null },
      verifiedAt: '2026-11-24T10:00:00.000Z',
    });
    const { currentUrl } = renderPortal('/admin/audit-logs');
    await userEvent.click(await screen.findByRole('button', { name: 'Verify integrity' }));
    expect(await screen.findByText(/Tampering detected/)).toHaveTextContent('was edited');
    await userEvent.click(screen.getByRole('button', { name: 'Open that entry' }));
    expect(currentUrl()).toBe(`/admin/audit-logs?entry=${planChanged.id}`);
  });
});

describe('export', () => {
  it('exports every entry matching the filters of the view', async () => {
    vi.mocked(exportAuditLogs).mockResolvedValue(undefined);
    renderPortal('/admin/audit-logs?action=subscription.plan_changed');
    await userEvent.click(await screen.findByRole('button', { name: 'Export CSV' }));
    expect(exportAuditLogs).toHaveBeenCalledWith({ action: 'subscription.plan_changed' });
  });
});
