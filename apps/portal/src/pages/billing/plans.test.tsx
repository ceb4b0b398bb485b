import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { changePlan, getInvoices, getSubscription, getUpcomingInvoice, previewPlanChange } from '@/services/billing.service';
import { getPlans } from '@/services/session.service';
import { catalog, downgradePreview, enterpriseCatalogPlan, freeCatalogPlan, proCatalogPlan, starterCatalogPlan, subscriptionOn, upcomingInvoice } from '@/test/billing-fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import type { PlanChangePreview } from '@/types/billing';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/billing.service');


beforeEach(() => {
  resetOidcDouble();
  signInAs('owner');
  vi.mocked(getPlans).mockResolvedValue(catalog);
  vi.mocked(getSubscription).mockResolvedValue(subscriptionOn(proCatalogPlan));
  vi.mocked(getUpcomingInvoice).mockResolvedValue(upcomingInvoice);
  vi.mocked(getInvoices).mockResolvedValue({ data: [], total: 0 });
});

describe('/billing/plans', () => {
  it('compares the plans with price, features and limits, marking the current one', async () => {
    renderPortal('/billing/plans');

    expect(await screen.findByRole('heading', { level: 1, name: 'Plans' })).toBeInTheDocument();
    const list = await screen.findByRole('list', { name: 'Plans' });
    const cards = within(list).getAllByRole('region');
    expect(cards.map((card) => within(card).getByRole('heading', { level: 2 }).textContent)).toEqual([
      'Free',
      'Starter',
      'Pro',
      'Enterprise',
    ]);
    const pro = screen.getByRole('region', { name: 'Pro' });
    expect(within(pro).getByTestId('current-plan-badge')).toHaveTextContent('Current plan');
    expect(within(pro).getByText("You're on this plan")).toBeInTheDocument();
    expect(within(pro).queryByRole('button')).not.toBeInTheDocument();
    const enterprise = screen.getByRole('region', { name: 'Enterprise' });
    expect(enterprise).toHaveTextContent('$999.00 per month');
    expect(within(enterprise).getByText('10,000,000 API calls included')).toBeInTheDocument();
    expect(within(enterprise).getByText(/No hard limit/)).toBeInTheDocument();
    expect(within(enterprise).getByText('Custom contracts')).toBeInTheDocument();
    expect(within(screen.getByRole('region', { name: 'Starter' })).getByRole('button', { name: 'Switch to Starter' })).toBeEnabled();
  });

  it('shows the proration before the change can be confirmed, then switches and shows the new plan', async () => {
    let answerPreview: (preview: PlanChangePreview) => void = () => {};
    vi.mocked(previewPlanChange).mockReturnValue(new Promise((resolve) => (answerPreview = resolve)));
    const onStarter = subscriptionOn(starterCatalogPlan);
    vi.mocked(changePlan).mockImplementation(async () => {
      vi.mocked(getSubscription).mockResolvedValue(onStarter);
      return onStarter;
    });
    const { currentUrl } = renderPortal('/billing/plans');

    await userEvent.click(await screen.findByRole('button', { name: 'Switch to Starter' }));
    const dialog = await screen.findByRole('dialog', { name: 'Switch to Starter?' });
    expect(dialog).toHaveTextContent('Downgrade from Pro ($199.00/month) to Starter ($49.00/month)');
    expect(within(dialog).getByRole('status')).toHaveTextContent('Calculating what changes on your next invoice…');
    const confirm = within(dialog).getByRole('button', { name: 'Confirm change' });
    expect(confirm).toBeDisabled();
    expect(previewPlanChange).toHaveBeenCalledWith(starterCatalogPlan.id);

    answerPreview(downgradePreview);
    const lines = await within(dialog).findByTestId('proration-lines');
    expect(lines).toHaveTextContent('Unused time on Pro after Jun 16, 2025 (credit)');
    expect(lines).toHaveTextContent('-$99.50');
    expect(lines).toHaveTextContent('Remaining time on Starter after Jun 16, 2025');
    expect(lines).toHaveTextContent('$24.50');
    expect(within(dialog).getByTestId('proration-amount')).toHaveTextContent('-$75.00');
    expect(within(dialog).getByTestId('proration-summary')).toHaveTextContent("You'll get a credit of $75.00 on your next invoice.");
    expect(dialog).toHaveTextContent('Next invoice dateJuly 1, 2025');
    expect(changePlan).not.toHaveBeenCalled();

    await userEvent.click(confirm);
    // The preview's proration date goes along, so the charge is the one shown.
    expect(changePlan).toHaveBeenCalledWith(starterCatalogPlan.id, downgradePreview.prorationDate);
    expect(await screen.findByText("You're now on the Starter plan.")).toBeInTheDocument();
    expect(await screen.findByTestId('billing-plan-name')).toHaveTextContent('Starter');
    expect(currentUrl()).toBe('/billing');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('says how much an upgrade adds to the next invoice', async () => {
    vi.mocked(previewPlanChange).mockResolvedValue({
      ...downgradePreview,
      newPlan: enterpriseCatalogPlan,
      direction: 'upgrade',
      lines: [
        { description: 'Unused time on Pro', amount: -9_950 },
        { description: 'Remaining time on Enterprise', amount: 49_950 },
      ],
      prorationAmount: 40_000,
      nextInvoiceAmount: 139_900,
    });
    renderPortal('/billing/plans');

    await userEvent.click(await screen.findByRole('button', { name: 'Switch to Enterprise' }));
    const dialog = await screen.findByRole('dialog', { name: 'Switch to Enterprise?' });
    expect(await within(dialog).findByTestId('proration-summary')).toHaveTextContent('$400.00 will be added to your next invoice.');
    expect(within(dialog).getByTestId('next-invoice-amount')).toHaveTextContent('$1,399.00');
    expect(within(dialog).getByRole('button', { name: 'Confirm change' })).toBeEnabled();
  });

  it('warns which of the target plan limits current usage exceeds, and what happens to each', async () => {
    const impact = { included: 10_000, hardLimit: 10_000, overagePrice: 0, overageUnit: 1 };
    vi.mocked(previewPlanChange).mockResolvedValue({
      ...downgradePreview,
      newPlan: freeCatalogPlan,
      limitImpacts: [
        { ...impact, metricType: 'api_calls', current: 762_001, outcome: 'blocked', message: 'API calls: 762,001 calls this period; the Free plan stops at 10,000 calls a period. From the next period, usage above that is refused.' },
        { ...impact, metricType: 'storage_gb', current: 12, outcome: 'overage', message: 'Storage: 12 GB this period; the Free plan includes 10 GB. From the next period, usage above that is billed as overage.' },
      ],
      allowed: true,
    });
    renderPortal('/billing/plans');

    await userEvent.click(await screen.findByRole('button', { name: `Switch to ${freeCatalogPlan.name}` }));
    const dialog = await screen.findByRole('dialog');
    const warning = await within(dialog).findByTestId('limit-impacts');
    expect(warning).toHaveTextContent(`Your usage is above the ${freeCatalogPlan.name} plan's limits`);
    expect(warning).toHaveTextContent('Capped: API calls: 762,001 calls this period');
    expect(warning).toHaveTextContent('Overage: Storage: 12 GB this period');
    expect(warning).toHaveTextContent('the new ones apply from the next period');
    // A warning, not a refusal: the change can still be confirmed.
    expect(within(dialog).getByRole('button', { name: 'Confirm change' })).toBeEnabled();
  });

  it('does not offer to confirm a change the team does not fit, and points to the members page', async () => {
    vi.mocked(previewPlanChange).mockResolvedValue({
      ...downgradePreview,
      limitImpacts: [
        {
          metricType: 'users',
          current: 4,
          included: 3,
          hardLimit: 3,
          overagePrice: 0,
          overageUnit: 1,
          outcome: 'refused',
          message: '4 active members; the Starter plan allows 3. Remove or suspend 1 member first.',
        },
      ],
      allowed: false,
    });
    renderPortal('/billing/plans');

    await userEvent.click(await screen.findByRole('button', { name: 'Switch to Starter' }));
    const dialog = await screen.findByRole('dialog');
    const warning = await within(dialog).findByTestId('limit-impacts');
    expect(warning).toHaveTextContent('Your team does not fit the Starter plan');
    expect(warning).toHaveTextContent('Blocks the change: 4 active members; the Starter plan allows 3. Remove or suspend 1 member first.');
    expect(within(warning).getByRole('link', { name: 'Manage members' })).toHaveAttribute('href', '/team');
    expect(within(dialog).getByRole('button', { name: 'Confirm change' })).toBeDisabled();
  });

  it('keeps the dialog open with the reason when the change is refused', async () => {
    vi.mocked(previewPlanChange).mockResolvedValue(downgradePreview);
    vi.mocked(changePlan).mockRejectedValue(
      new ApiError('The subscription is already on this plan.', 422, {
        type: 'about:blank',
        title: 'Business rule violated',
        status: 422,
        detail: 'The subscription is already on this plan.',
        code: 'SAME_PLAN',
      }),
    );
    renderPortal('/billing/plans');

    await userEvent.click(await screen.findByRole('button', { name: 'Switch to Starter' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(await within(dialog).findByRole('button', { name: 'Confirm change' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The plan was not changed');
    expect(within(dialog).getByRole('alert')).toHaveTextContent('The subscription is already on this plan.');
  });

  it('prices the change again when the confirmed preview has expired', async () => {
    vi.mocked(previewPlanChange).mockResolvedValue(downgradePreview);
    vi.mocked(changePlan).mockRejectedValue(
      new ApiError('The preview has expired; preview the change again.', 422, {
        type: 'about:blank',
        title: 'Business rule violated',
        status: 422,
        detail: 'The preview has expired; preview the change again.',
        code: 'PRORATION_DATE_OUT_OF_RANGE',
      }),
    );
    renderPortal('/billing/plans');

    await userEvent.click(await screen.findByRole('button', { name: 'Switch to Starter' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(await within(dialog).findByRole('button', { name: 'Confirm change' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The preview has expired; preview the change again.');
    await vi.waitFor(() => expect(previewPlanChange).toHaveBeenCalledTimes(2));
  });

  it('shows a preview error with a retry, and no way to confirm', async () => {
    vi.mocked(previewPlanChange).mockRejectedValueOnce(new ApiError('Pricing is unavailable.', 503)).mockResolvedValue(downgradePreview);
    renderPortal('/billing/plans');

    await userEvent.click(await screen.findByRole('button', { name: 'Switch to Starter' }));
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByRole('alert')).toHaveTextContent("We couldn't calculate the change");
    expect(within(dialog).getByRole('button', { name: 'Confirm change' })).toBeDisabled();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Try again' }));
    expect(await within(dialog).findByTestId('proration-summary')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Confirm change' })).toBeEnabled();
  });

  it('shows other roles the switch buttons disabled, with the reason', async () => {
    signInAs('analyst');
    renderPortal('/billing/plans');

    const reason = 'Only an owner can change the plan; your role is Analyst.';
    expect(await screen.findByTestId('plan-change-explanation')).toHaveTextContent(reason);
    await screen.findByRole('list', { name: 'Plans' });
    for (const name of ['Switch to Free', 'Switch to Starter', 'Switch to Enterprise']) {
      const button = screen.getByRole('button', { name });
      expect(button).toBeDisabled();
      expect(button).toHaveAccessibleDescription(reason);
    }
    expect(previewPlanChange).not.toHaveBeenCalled();
  });

  it('shows an error state with a retry when the plans cannot be loaded', async () => {
    vi.mocked(getPlans).mockRejectedValueOnce(new ApiError('Cannot reach the CBP API. Check your connection and try again.', 0));
    renderPortal('/billing/plans');

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load the plans");
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('list', { name: 'Plans' })).toBeInTheDocument();
  });
});
