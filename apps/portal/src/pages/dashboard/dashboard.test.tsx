import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getAuditLogs } from '@/services/audit-logs.service';
import { getInvoices, getSubscription, getUpcomingInvoice, payInvoice } from '@/services/billing.service';
import { getDomains, getOrganization } from '@/services/organization.service';
import { getPaymentMethods } from '@/services/payment-methods.service';
import { getCurrentTenant, getPlans } from '@/services/session.service';
import { getInvitations, getMembers } from '@/services/team.service';
import { getUsageStatus, getUsageTrend } from '@/services/usage.service';
import { demoTrail } from '@/test/audit-log-fixtures';
import { invoice, proCatalogPlan, subscriptionOn, upcomingInvoice } from '@/test/billing-fixtures';
import { acme, proPlan, starterPlan } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { cardMethod } from '@/test/payment-method-fixtures';
import { acmeProfile as profile, pendingDomain } from '@/test/organization-fixtures';
import { renderPortal } from '@/test/render-portal';
import { signInAs } from '@/test/sign-in';
import { member } from '@/test/team-fixtures';
import { apiCallsStatus, monthlyTrend, storageStatus, usageStatus, usersStatus } from '@/test/usage-fixtures';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/billing.service');
vi.mock('@/services/usage.service');
vi.mock('@/services/payment-methods.service');
vi.mock('@/services/audit-logs.service');
vi.mock('@/services/team.service');
vi.mock('@/services/organization.service');

const openInvoice = invoice(7, 'open');
const visa = cardMethod('visa', '4242', { isDefault: true });
/** Storage at 12 of a 15 GB soft limit: 80 %, approaching. */
const statuses = [apiCallsStatus, storageStatus, usersStatus];
const quiet = [usageStatus('api_calls', { currentUsage: 1_000, includedQuantity: 100_000, softLimit: 80_000, hardLimit: 150_000 })];

beforeEach(() => {
  resetOidcDouble();
  signInAs('owner');
  vi.mocked(getCurrentTenant).mockResolvedValue(acme);
  vi.mocked(getPlans).mockResolvedValue([starterPlan, proPlan]);
  vi.mocked(getSubscription).mockResolvedValue(subscriptionOn(proCatalogPlan));
  vi.mocked(getUpcomingInvoice).mockResolvedValue(upcomingInvoice);
  vi.mocked(getInvoices).mockImplementation(async ({ status }) =>
    status === 'open' ? { data: [openInvoice], total: 1 } : { data: [openInvoice, invoice(6)], total: 2 },
  );
  vi.mocked(getPaymentMethods).mockResolvedValue([]);
  vi.mocked(getUsageStatus).mockResolvedValue(statuses);
  vi.mocked(getUsageTrend).mockResolvedValue(monthlyTrend);
  vi.mocked(getAuditLogs).mockResolvedValue({ data: demoTrail, total: demoTrail.length, totalCapped: false });
  vi.mocked(getMembers).mockResolvedValue({ data: [member('Olivia Owner', 'owner')], total: 5 });
  vi.mocked(getInvitations).mockResolvedValue({ data: [], total: 0 });
  vi.mocked(getOrganization).mockResolvedValue(profile);
  vi.mocked(getDomains).mockResolvedValue([pendingDomain]);
});

const attention = () => within(screen.getByTestId('attention-card'));
const task = async (key: string) => {
  const tasks = await screen.findAllByTestId('setup-task');
  const found = tasks.find((t) => t.dataset.task === key);
  if (!found) throw new Error(`no task ${key}`);
  return found;
};

describe('dashboard', () => {
  it('shows an owner what needs attention, usage with trends, the next invoice, activity, setup tasks and the organization', async () => {
    renderPortal('/');

    expect(await screen.findByRole('heading', { level: 1, name: 'Dashboard' })).toBeInTheDocument();
    // Needs attention: the open invoice (no card on file: a warning and a way to add one), the metrics from 80 %.
    const openRow = await screen.findByTestId('open-invoice');
    expect(openRow).toHaveTextContent('Invoice INV-2025-0007 is overdue');
    expect(openRow).toHaveTextContent('$199.00 due since');
    expect(within(openRow).getByTestId('no-card-warning')).toHaveTextContent('No card on file, so this invoice cannot be paid.');
    expect(within(openRow).getByRole('link', { name: 'Add a card' })).toHaveAttribute('href', '/billing/payment-methods/new');
    expect(within(openRow).queryByRole('button', { name: /^Pay/ })).not.toBeInTheDocument();
    const usageItems = attention().getAllByTestId('attention-usage');
    expect(usageItems.map((i) => i.textContent)).toEqual([
      expect.stringContaining('API calls: over the soft limit'),
      expect.stringMatching(/Storage: 80\s% of the soft limit/),
    ]);

    // Usage against limits, each with its sparkline.
    const rows = await screen.findAllByTestId('dashboard-usage');
    expect(rows.map((r) => r.dataset.metric)).toEqual(['api_calls', 'storage_gb', 'users']);
    expect(within(rows[1] as HTMLElement).getByTestId('usage-level')).toHaveTextContent('Approaching limit');
    expect(within(rows[2] as HTMLElement).getByTestId('usage-level')).toHaveTextContent('Within limits');
    await waitFor(() => expect(screen.getAllByTestId('sparkline')).toHaveLength(3));
    expect(getUsageTrend).toHaveBeenCalledWith({ metricType: 'api_calls', months: 6, granularity: 'month' });

    expect(await screen.findByTestId('next-invoice-amount')).toHaveTextContent('$199.00');
    expect(screen.getByTestId('next-invoice-date')).toHaveTextContent('Projected, billed on');

    const activity = await screen.findAllByTestId('activity-entry');
    expect(activity[0]).toHaveTextContent('Visa •••• 4242');
    expect(getAuditLogs).toHaveBeenCalledWith({ page: 1, limit: 5 });
    expect(screen.getByRole('link', { name: 'Audit log' })).toHaveAttribute('href', '/admin/audit-logs');

    await waitFor(async () => expect((await task('card')).dataset.done).toBe('false'));
    expect((await task('team')).dataset.done).toBe('true');
    expect((await task('domain')).dataset.done).toBe('false');
    expect(within(await task('card')).getByRole('link', { name: 'Add a payment method' })).toHaveAttribute('href', '/billing/payment-methods/new');
    expect(screen.getByTestId('setup-progress')).toHaveTextContent('1 of 3 done');

    expect(screen.getByTestId('tenant-name')).toHaveTextContent('Acme Corp');
    expect(screen.getByTestId('tenant-status')).toHaveTextContent('Active');
    expect(await screen.findByTestId('plan-name')).toHaveTextContent('Pro');
    expect(screen.getByTestId('plan-price')).toHaveTextContent('$49.00 per month');
    expect(screen.getByTestId('user-role')).toHaveTextContent('Owner');
    expect(document.title).toBe('Dashboard · CBP Portal');
  });

  it('pays an open invoice with the default card after a confirmation showing amount and card', async () => {
    vi.mocked(getPaymentMethods).mockResolvedValue([visa]);
    vi.mocked(payInvoice).mockImplementation(async (id) => {
      vi.mocked(getInvoices).mockResolvedValue({ data: [], total: 0 });
      return { ...openInvoice, id, status: 'paid', amountDue: 0, amountPaid: 19_900, paidAt: '2025-08-20T00:00:00.000Z' };
    });
    renderPortal('/');

    await userEvent.click(await screen.findByRole('button', { name: 'Pay $199.00 for invoice INV-2025-0007' }));
    const dialog = await screen.findByRole('dialog', { name: 'Pay invoice INV-2025-0007?' });
    expect(within(dialog).getByTestId('pay-summary')).toHaveTextContent('Amount$199.00');
    expect(within(dialog).getByTestId('pay-summary')).toHaveTextContent('CardVisa •••• 4242');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Pay $199.00' }));

    expect(await screen.findByText('Invoice INV-2025-0007 is paid: $199.00 was charged to Visa •••• 4242.')).toBeInTheDocument();
    expect(payInvoice).toHaveBeenCalledWith(openInvoice.id, expect.stringMatching(/^[0-9a-f-]{36}$/));
    await waitFor(() => expect(screen.queryByTestId('open-invoice')).not.toBeInTheDocument());
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('says so when the card is declined, and leaves the invoice to pay', async () => {
    vi.mocked(getPaymentMethods).mockResolvedValue([visa]);
    vi.mocked(payInvoice).mockRejectedValue(
      new ApiError('Your card was declined.', 402, {
        type: 'https://cbp.dev/problems/card-declined',
        title: 'Payment required',
        status: 402,
        detail: 'Your card was declined.',
        code: 'CARD_DECLINED',
        declineCode: 'card_declined',
      }),
    );
    renderPortal('/');

    await userEvent.click(await screen.findByRole('button', { name: 'Pay $199.00 for invoice INV-2025-0007' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Pay $199.00' }));

    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('Your card was declined');
    expect(alert).toHaveTextContent('Nothing was charged.');
    expect(within(alert).getByRole('link', { name: 'Manage payment methods' })).toHaveAttribute('href', '/billing/payment-methods');
    expect(await screen.findByText('Your card was declined. Nothing was charged. Try another card, or ask your bank.')).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.getByTestId('open-invoice')).toBeInTheDocument();
  });

  it('sends the same Idempotency-Key again after a payment lost on the way, and a new one after a decline', async () => {
    vi.mocked(getPaymentMethods).mockResolvedValue([visa]);
    vi.mocked(payInvoice)
      .mockRejectedValueOnce(new ApiError('Cannot reach the CBP API. Check your connection and try again.', 0))
      .mockRejectedValueOnce(
        new ApiError('Your card was declined.', 402, { type: 'about:blank', title: 'Payment required', status: 402, detail: 'Your card was declined.', code: 'CARD_DECLINED' }),
      )
      .mockResolvedValue({ ...openInvoice, status: 'paid', amountDue: 0, amountPaid: 19_900 });
    renderPortal('/');
    await userEvent.click(await screen.findByRole('button', { name: 'Pay $199.00 for invoice INV-2025-0007' }));
    const dialog = await screen.findByRole('dialog');
    const payNow = within(dialog).getByRole('button', { name: 'Pay $199.00' });
    await userEvent.click(payNow);
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The payment did not go through');
    await userEvent.click(payNow);
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Your card was declined');
    await userEvent.click(payNow);
    await waitFor(() => expect(payInvoice).toHaveBeenCalledTimes(3));
    const keys = vi.mocked(payInvoice).mock.calls.map(([, key]) => key);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[1]);
  });

  it('is all clear when no invoice is open and usage is below 80 % of its limits', async () => {
    vi.mocked(getInvoices).mockResolvedValue({ data: [], total: 0 });
    vi.mocked(getUsageStatus).mockResolvedValue(quiet);
    renderPortal('/');
    expect(await screen.findByTestId('all-clear')).toHaveTextContent('All clear.');
    expect(attention().queryByRole('list')).not.toBeInTheDocument();
  });

  it('lists a scheduled deletion first, with the way to cancel it', async () => {
    vi.mocked(getOrganization).mockResolvedValue({ ...profile, deletion: { scheduledFor: '2027-01-15T00:00:00.000Z' } });
    renderPortal('/');
    const item = await screen.findByTestId('attention-deletion');
    expect(item).toHaveTextContent('This organization is scheduled for deletion on January 15, 2027');
    expect(within(item).getByRole('link', { name: 'Review or cancel' })).toHaveAttribute('href', '/organization');
  });

  it('shows an analyst only what an analyst may read, and asks the API for nothing else', async () => {
    signInAs('analyst');
    renderPortal('/');
    const openRow = await screen.findByTestId('open-invoice');
    expect(openRow).toHaveTextContent('An owner of the organization can pay it.');
    expect(within(openRow).queryByRole('button')).not.toBeInTheDocument();
    expect(within(openRow).queryByTestId('no-card-warning')).not.toBeInTheDocument();
    expect(await screen.findAllByTestId('dashboard-usage')).toHaveLength(3);
    expect(await screen.findByTestId('user-role')).toHaveTextContent('Analyst');
    expect(screen.queryByRole('region', { name: 'Recent activity' })).not.toBeInTheDocument();
    expect(screen.queryByTestId('setup-tasks')).not.toBeInTheDocument();
    expect(getPaymentMethods).not.toHaveBeenCalled();
    expect(getAuditLogs).not.toHaveBeenCalled();
    expect(getInvitations).not.toHaveBeenCalled();
    expect(getDomains).not.toHaveBeenCalled();
  });

  it('shows an admin the activity and the team and domain tasks, but no card task and no Pay', async () => {
    signInAs('admin');
    vi.mocked(getDomains).mockResolvedValue([{ ...pendingDomain, status: 'verified' }]);
    renderPortal('/');
    expect(await screen.findAllByTestId('activity-entry')).toHaveLength(demoTrail.length);
    await waitFor(async () => expect((await task('domain')).dataset.done).toBe('true'));
    expect(screen.getAllByTestId('setup-task').map((t) => t.dataset.task)).toEqual(['team', 'domain']);
    expect(await screen.findByTestId('open-invoice')).toHaveTextContent('An owner of the organization can pay it.');
    expect(getPaymentMethods).not.toHaveBeenCalled();
  });

  it('keeps the rest of the page when one query fails, with a retry in its card', async () => {
    vi.mocked(getUsageStatus).mockRejectedValueOnce(new ApiError('The usage service is restarting.', 503)).mockResolvedValue(statuses);
    renderPortal('/');

    const usageCard = within(await screen.findByRole('region', { name: 'Usage this period' }));
    expect(await usageCard.findByRole('alert')).toHaveTextContent("We couldn't load your usage");
    expect(await screen.findByTestId('next-invoice-amount')).toHaveTextContent('$199.00');
    expect(screen.getByTestId('tenant-name')).toHaveTextContent('Acme Corp');
    expect(await screen.findByTestId('open-invoice')).toBeInTheDocument();

    await userEvent.click(usageCard.getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('dashboard-usage')).toHaveLength(3);
  });

  it('shows loading placeholders until the data arrives', async () => {
    let release: (value: typeof acme) => void = () => {};
    vi.mocked(getCurrentTenant).mockReturnValue(new Promise((resolve) => (release = resolve)));
    vi.mocked(getUsageStatus).mockReturnValue(new Promise(() => {}));
    renderPortal('/');

    expect(await screen.findByTestId('attention-loading')).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Organization' })).toHaveAttribute('aria-busy', 'true');
    expect(screen.queryByTestId('tenant-name')).not.toBeInTheDocument();
    release(acme);
    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Acme Corp');
  });
});
