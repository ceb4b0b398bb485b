import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { cancelSubscription, getInvoices, getSubscription, getUpcomingInvoice, payInvoice, resumeSubscription } from '@/services/billing.service';
import { getPaymentMethods } from '@/services/payment-methods.service';
import { invoice, proCatalogPlan, subscriptionOn, upcomingInvoice } from '@/test/billing-fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { cardMethod } from '@/test/payment-method-fixtures';
import { renderPortal } from '@/test/render-portal';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/billing.service');
vi.mock('@/services/payment-methods.service');


beforeEach(() => {
  resetOidcDouble();
  signInAs('owner');
  vi.mocked(getSubscription).mockResolvedValue(subscriptionOn(proCatalogPlan));
  vi.mocked(getUpcomingInvoice).mockResolvedValue(upcomingInvoice);
  vi.mocked(getInvoices).mockImplementation(async ({ status }) =>
    status === 'open' ? { data: [invoice(7, 'open')], total: 1 } : { data: [invoice(7, 'open'), invoice(6), invoice(5)], total: 7 },
  );
  vi.mocked(getPaymentMethods).mockResolvedValue([]);
});

describe('/billing overview', () => {
  it('shows the current plan, its period, the next invoice with its lines and what the plan includes', async () => {
    renderPortal('/billing');

    expect(await screen.findByRole('heading', { level: 1, name: 'Billing' })).toBeInTheDocument();
    expect(await screen.findByTestId('billing-plan-name')).toHaveTextContent('Pro');
    expect(screen.getByTestId('billing-plan-price')).toHaveTextContent('$199.00 per month');
    expect(screen.getByTestId('subscription-status')).toHaveTextContent('Active');
    const plan = screen.getByRole('region', { name: 'Current plan' });
    expect(plan).toHaveTextContent('Current period');
    expect(plan).toHaveTextContent('Renews onJuly 1, 2025');

    expect(await screen.findByTestId('upcoming-amount')).toHaveTextContent('$199.00');
    expect(screen.getByTestId('upcoming-lines')).toHaveTextContent('Pro plan (Jul 1 – Aug 1, 2025)');

    const includes = screen.getByRole('region', { name: 'What your plan includes' });
    expect(within(includes).getByText('1,000,000 API calls included')).toBeInTheDocument();
    expect(within(includes).getByText('Soft limit 800,000 · Hard limit 1,500,000 · then $1.50 per 10,000 API calls')).toBeInTheDocument();
    expect(within(includes).getByText('50 users included')).toBeInTheDocument();
    expect(document.title).toBe('Billing · CBP Portal');
  });

  it('lists the latest three invoices with a link to all of them', async () => {
    renderPortal('/billing');
    const recent = await screen.findByTestId('recent-invoices');
    expect(within(recent).getAllByRole('row')).toHaveLength(4);
    expect(within(recent).getByRole('link', { name: 'INV-2025-0007' })).toHaveAttribute('href', `/billing/invoices/${invoice(7).id}`);
    expect(within(recent).getAllByText('Open')).toHaveLength(1);
    expect(within(recent).getAllByText('Paid')).toHaveLength(2);
    expect(getInvoices).toHaveBeenCalledWith({ page: 1, limit: 3 });
    expect(screen.getByRole('link', { name: 'All invoices' })).toHaveAttribute('href', '/billing/invoices');
  });

  it('has sub-navigation marking the page it is on', async () => {
    renderPortal('/billing');
    const nav = await screen.findByRole('navigation', { name: 'Billing' });
    expect(within(nav).getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getByRole('link', { name: 'Plans' })).not.toHaveAttribute('aria-current');
    expect(within(nav).getByRole('link', { name: 'Invoices' })).toHaveAttribute('href', '/billing/invoices');
    const main = screen.getByRole('navigation', { name: 'Main' });
    expect(within(main).getByRole('link', { name: 'Billing' })).toHaveAttribute('aria-current', 'page');
  });

  it('says when a credit is larger than the next invoice', async () => {
    vi.mocked(getUpcomingInvoice).mockResolvedValue({
      ...upcomingInvoice,
      amountDue: 0,
      lines: [
        { description: 'Starter plan (2025-07-01 – 2025-08-01)', amount: 4_900 },
        { description: 'Unused time on Pro after Jun 16, 2025', amount: -9_950 },
        { description: 'Remaining time on Starter after Jun 16, 2025', amount: 2_450 },
      ],
    });
    renderPortal('/billing');
    expect(await screen.findByTestId('upcoming-amount')).toHaveTextContent('$0.00');
    expect(screen.getByText('The remaining credit of $26.00 carries over to later invoices.')).toBeInTheDocument();
  });

  it('says that an ended subscription has no next invoice', async () => {
    vi.mocked(getSubscription).mockResolvedValue(subscriptionOn(proCatalogPlan, { status: 'canceled' }));
    vi.mocked(getUpcomingInvoice).mockRejectedValue(new ApiError('An ended subscription has no upcoming invoice.', 404));
    renderPortal('/billing');
    expect(await screen.findByText('This subscription has ended, so no further invoice is planned.')).toBeInTheDocument();
    expect(screen.getByTestId('subscription-status')).toHaveTextContent('Canceled');
    expect(screen.queryByRole('button', { name: 'Cancel subscription' })).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows the end of a trial', async () => {
    vi.mocked(getSubscription).mockResolvedValue(
      subscriptionOn(proCatalogPlan, { status: 'trialing', trialEnd: '2025-06-14T00:00:00.000Z' }),
    );
    renderPortal('/billing');
    expect(await screen.findByTestId('subscription-status')).toHaveTextContent('Trial');
    expect(screen.getByTestId('trial-end')).toHaveTextContent('Trial ends June 14, 2025');
  });

  it('lets an owner cancel at period end after saying that access continues until then', async () => {
    const canceling = subscriptionOn(proCatalogPlan, { cancelAtPeriodEnd: true });
    vi.mocked(cancelSubscription).mockImplementation(async () => {
      vi.mocked(getSubscription).mockResolvedValue(canceling);
      return canceling;
    });
    renderPortal('/billing');

    await userEvent.click(await screen.findByRole('button', { name: 'Cancel subscription' }));
    const dialog = await screen.findByRole('dialog', { name: 'Cancel your subscription?' });
    expect(dialog).toHaveTextContent('stays active until the end of the current billing period, July 1, 2025');
    expect(dialog).toHaveTextContent('keep full access to everything in Pro until July 1, 2025');
    expect(cancelSubscription).not.toHaveBeenCalled();

    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel at period end' }));
    expect(cancelSubscription).toHaveBeenCalledTimes(1);
    expect(await screen.findByTestId('cancels-on')).toHaveTextContent('Cancels on July 1, 2025');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByText('Your subscription will end on July 1, 2025.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel subscription' })).not.toBeInTheDocument();
  });

  it('offers an owner to resume a subscription that cancels at period end', async () => {
    vi.mocked(getSubscription).mockResolvedValue(subscriptionOn(proCatalogPlan, { cancelAtPeriodEnd: true }));
    vi.mocked(resumeSubscription).mockImplementation(async () => {
      vi.mocked(getSubscription).mockResolvedValue(subscriptionOn(proCatalogPlan));
      return subscriptionOn(proCatalogPlan);
    });
    renderPortal('/billing');

    expect(await screen.findByTestId('cancels-on')).toHaveTextContent('Cancels on July 1, 2025');
    await userEvent.click(screen.getByRole('button', { name: 'Resume subscription' }));
    expect(resumeSubscription).toHaveBeenCalledTimes(1);
    expect(await screen.findByText('Your subscription will renew on July 1, 2025.')).toBeInTheDocument();
    expect(screen.queryByTestId('cancels-on')).not.toBeInTheDocument();
  });

  it('shows owner-only actions disabled to other roles, with the reason', async () => {
    signInAs('analyst');
    renderPortal('/billing');

    const reason = 'Only an owner can cancel the subscription; your role is Analyst.';
    expect(await screen.findByText(reason)).toBeInTheDocument();
    const cancel = screen.getByRole('button', { name: 'Cancel subscription' });
    expect(cancel).toBeDisabled();
    expect(cancel).toHaveAccessibleDescription(reason);
  });

  it('shows a disabled Resume to other roles, with the reason', async () => {
    signInAs('admin');
    vi.mocked(getSubscription).mockResolvedValue(subscriptionOn(proCatalogPlan, { cancelAtPeriodEnd: true }));
    renderPortal('/billing');
    const reason = 'Only an owner can resume the subscription; your role is Admin.';
    expect(await screen.findByText(reason)).toBeInTheDocument();
    const resume = screen.getByRole('button', { name: 'Resume subscription' });
    expect(resume).toBeDisabled();
    expect(resume).toHaveAccessibleDescription(reason);
  });

  it('shows an API error in place with a retry that recovers', async () => {
    vi.mocked(getSubscription).mockRejectedValueOnce(new ApiError('The billing service is restarting.', 503));
    renderPortal('/billing');

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load your subscription");
    expect(alert).toHaveTextContent('The billing service is restarting.');
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('billing-plan-name')).toHaveTextContent('Pro');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('warns an owner that an open invoice cannot be paid without a card, with a link to add one', async () => {
    renderPortal('/billing');
    const open = await screen.findByTestId('open-invoices');
    expect(within(open).getByRole('heading', { name: 'An invoice is waiting to be paid' })).toBeInTheDocument();
    expect(await within(open).findByTestId('no-card-warning')).toHaveTextContent('No card on file');
    expect(within(open).getByRole('link', { name: 'Add a card' })).toHaveAttribute('href', '/billing/payment-methods/new');
    expect(getInvoices).toHaveBeenCalledWith({ page: 1, limit: 5, status: 'open' });
  });

  it('lets an owner with a card pay the open invoice from the overview', async () => {
    vi.mocked(getPaymentMethods).mockResolvedValue([cardMethod('mastercard', '4444', { isDefault: true })]);
    vi.mocked(payInvoice).mockImplementation(async (id) => {
      vi.mocked(getInvoices).mockResolvedValue({ data: [], total: 0 });
      return { ...invoice(7, 'paid'), id };
    });
    renderPortal('/billing');
    await userEvent.click(await screen.findByRole('button', { name: 'Pay $199.00 for invoice INV-2025-0007' }));
    const dialog = await screen.findByRole('dialog', { name: 'Pay invoice INV-2025-0007?' });
    expect(dialog).toHaveTextContent('Mastercard •••• 4444');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Pay $199.00' }));
    expect(await screen.findByText('Invoice INV-2025-0007 is paid: $199.00 was charged to Mastercard •••• 4444.')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByTestId('open-invoices')).not.toBeInTheDocument());
  });

  it('tells other roles that an owner pays invoices, without asking for payment methods', async () => {
    signInAs('admin');
    renderPortal('/billing');
    const open = await screen.findByTestId('open-invoices');
    expect(open).toHaveTextContent('An owner of the organization can pay it.');
    expect(within(open).queryByRole('button')).not.toBeInTheDocument();
    expect(getPaymentMethods).not.toHaveBeenCalled();
  });

  it("says why a card was declined when the gateway names a reason", async () => {
    vi.mocked(getPaymentMethods).mockResolvedValue([cardMethod('visa', '9995', { isDefault: true })]);
    vi.mocked(payInvoice).mockRejectedValue(
      new ApiError('Your card has insufficient funds.', 402, {
        type: 'https://cbp.dev/problems/card-declined',
        title: 'Payment required',
        status: 402,
        detail: 'Your card has insufficient funds.',
        code: 'CARD_DECLINED',
        declineCode: 'insufficient_funds',
      }),
    );
    renderPortal('/billing');
    await userEvent.click(await screen.findByRole('button', { name: 'Pay $199.00 for invoice INV-2025-0007' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Pay $199.00' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('Your card was declined');
    expect(alert).toHaveTextContent('Your card has insufficient funds. Nothing was charged.');
    expect(screen.getByTestId('open-invoices')).toBeInTheDocument();
  });
});
