import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { downloadInvoicePdf, getInvoice, getInvoices, payInvoice } from '@/services/billing.service';
import { getPaymentMethods } from '@/services/payment-methods.service';
import { getMe } from '@/services/session.service';
import { invoice } from '@/test/billing-fixtures';
import { cardMethod } from '@/test/payment-method-fixtures';
import { acme, meWith, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import type { Invoice } from '@/types/billing';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/billing.service');
vi.mock('@/services/payment-methods.service');

const open = invoice(7, 'open');
const paid = [6, 5, 4, 3, 2, 1].map((n) => invoice(n, 'paid'));
const all: Invoice[] = [open, ...paid];

/** Answers like the API: filtered by status, newest first, paged. */
function serveInvoices(invoices: Invoice[]) {
  vi.mocked(getInvoices).mockImplementation(async ({ page, limit, status }) => {
    const matching = invoices.filter((i) => !status || i.status === status);
    return { data: matching.slice((page - 1) * limit, page * limit), total: matching.length };
  });
}

const rows = () => screen.getAllByTestId('invoice-row');

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'analyst')));
  serveInvoices(all);
});

describe('/billing/invoices', () => {
  it('lists invoices with number, period, status, amounts and date in a captioned table', async () => {
    renderPortal('/billing/invoices');

    expect(await screen.findByRole('heading', { level: 1, name: 'Invoices' })).toBeInTheDocument();
    // The table (with skeleton rows) is there while loading; wait for the invoices themselves.
    expect(await screen.findAllByTestId('invoice-row')).toHaveLength(7);
    const table = screen.getByRole('table', { name: 'Invoices, page 1 of 1' });
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
      'Invoice',
      'Period',
      'Status',
      'Total',
      'Amount due',
      'Issued',
      'Download',
    ]);
    const first = within(rows()[0] as HTMLElement);
    expect(first.getByRole('link', { name: 'INV-2025-0007' })).toHaveAttribute('href', `/billing/invoices/${open.id}`);
    expect(first.getByText('Open')).toBeInTheDocument();
    expect(first.getByText('Jul 1 – Aug 1, 2025')).toBeInTheDocument();
    expect(within(rows()[1] as HTMLElement).getByText('Paid')).toBeInTheDocument();
    expect(screen.getByTestId('invoice-count')).toHaveTextContent('7 invoices');
    expect(getInvoices).toHaveBeenCalledWith({ page: 1, limit: 10, status: undefined });
    expect(screen.getByRole('link', { name: 'Invoices', current: 'page' })).toBeInTheDocument();
  });

  it('filters by status through the URL and the request', async () => {
    const { currentUrl } = renderPortal('/billing/invoices');
    await screen.findAllByTestId('invoice-row');

    await userEvent.selectOptions(screen.getByLabelText('Status'), 'open');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(currentUrl()).toBe('/billing/invoices?status=open');
    expect(getInvoices).toHaveBeenLastCalledWith({ page: 1, limit: 10, status: 'open' });
    expect(within(rows()[0] as HTMLElement).getByText('Open')).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText('Status'), '');
    await waitFor(() => expect(rows()).toHaveLength(7));
    expect(currentUrl()).toBe('/billing/invoices');
  });

  it('reads status and page from the URL, and pages through the list', async () => {
    serveInvoices(Array.from({ length: 25 }, (_, i) => invoice(25 - i, 'paid')));
    const { currentUrl } = renderPortal('/billing/invoices?status=paid&page=2');

    expect(await screen.findByTestId('page-indicator')).toHaveTextContent('Page 2 of 3');
    expect(getInvoices).toHaveBeenCalledWith({ page: 2, limit: 10, status: 'paid' });
    expect(screen.getByLabelText('Status')).toHaveValue('paid');
    expect(within(rows()[0] as HTMLElement).getByRole('link')).toHaveTextContent('INV-2025-0015');

    const pagination = screen.getByRole('navigation', { name: 'Pagination' });
    await userEvent.click(within(pagination).getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('Page 3 of 3')).toBeInTheDocument();
    expect(currentUrl()).toBe('/billing/invoices?status=paid&page=3');
    expect(within(pagination).getByRole('button', { name: 'Next' })).toBeDisabled();
    await waitFor(() => expect(rows()).toHaveLength(5));

    await userEvent.selectOptions(screen.getByLabelText('Status'), 'open');
    expect(currentUrl()).toBe('/billing/invoices?status=open');
  });

  it('ignores filters the API would refuse', async () => {
    renderPortal('/billing/invoices?status=overdue&page=-3');
    await screen.findAllByTestId('invoice-row');
    expect(getInvoices).toHaveBeenCalledWith({ page: 1, limit: 10, status: undefined });
  });

  it('downloads a PDF per row', async () => {
    vi.mocked(downloadInvoicePdf).mockResolvedValue();
    renderPortal('/billing/invoices');
    await userEvent.click(await screen.findByRole('button', { name: 'Download invoice INV-2025-0006 as PDF' }));
    expect(downloadInvoicePdf).toHaveBeenCalledWith(expect.objectContaining({ id: paid[0]?.id, number: 'INV-2025-0006' }));
    expect(screen.getByRole('heading', { level: 1, name: 'Invoices' })).toBeInTheDocument();
  });

  it('opens an invoice from its row', async () => {
    vi.mocked(getInvoice).mockResolvedValue(open);
    const { currentUrl } = renderPortal('/billing/invoices');
    await userEvent.click(await screen.findByText('Jul 1 – Aug 1, 2025'));
    expect(await screen.findByRole('heading', { level: 1, name: 'Invoice INV-2025-0007' })).toBeInTheDocument();
    expect(currentUrl()).toBe(`/billing/invoices/${open.id}`);
  });

  it('says so when no invoice matches, with a way back to all', async () => {
    serveInvoices(paid);
    const { currentUrl } = renderPortal('/billing/invoices?status=open');
    expect(await screen.findByRole('heading', { name: 'No open invoices' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Show all invoices' }));
    expect(await screen.findAllByTestId('invoice-row')).toHaveLength(6);
    expect(currentUrl()).toBe('/billing/invoices');
  });

  it('has an empty state for a tenant without invoices', async () => {
    serveInvoices([]);
    renderPortal('/billing/invoices');
    expect(await screen.findByRole('heading', { name: 'No invoices yet' })).toBeInTheDocument();
  });

  it('shows loading placeholders, then an API error with a retry that recovers', async () => {
    let fail: (error: unknown) => void = () => {};
    vi.mocked(getInvoices).mockReturnValueOnce(new Promise((_, reject) => (fail = reject)));
    renderPortal('/billing/invoices');

    expect(await screen.findByText('Loading invoices…')).toBeInTheDocument();
    fail(new ApiError('The billing service is restarting.', 503));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load your invoices");
    expect(alert).toHaveTextContent('The billing service is restarting.');
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('invoice-row')).toHaveLength(7);
  });
});

describe('/billing/invoices/:id', () => {
  const overageLine = {
    id: 'dddddddd-0000-4000-8000-0000000000ff',
    kind: 'usage' as const,
    description: 'API calls Oct 1 – Nov 1: 1,065,000 (1,000,000 included)',
    metricType: 'api_calls',
    quantity: 7,
    unitAmount: 150,
    unitSize: 10_000,
    usedQuantity: 1_065_000,
    includedQuantity: 1_000_000,
    amount: 1_050,
    periodStart: open.periodStart,
    periodEnd: open.periodEnd,
  };
  // ACME-0006 of the issue: Pro plus 65,000 calls over, paid in full.
  const withLines = invoice(6, 'paid', {
    subtotal: 20_950,
    total: 20_950,
    amountPaid: 20_950,
    amountDue: 0,
    lines: [{ ...open.lines[0]!, description: 'Pro plan' }, overageLine],
  });

  it('shows each line as used, included, billed quantity in the priced unit and unit price, adding up to the amount', async () => {
    vi.mocked(getInvoice).mockResolvedValue(withLines);
    vi.mocked(downloadInvoicePdf).mockResolvedValue();
    renderPortal(`/billing/invoices/${withLines.id}`);

    expect(await screen.findByRole('heading', { level: 1, name: 'Invoice INV-2025-0006' })).toBeInTheDocument();
    expect(getInvoice).toHaveBeenCalledWith(withLines.id);
    expect(screen.getByTestId('invoice-status')).toHaveTextContent('Paid');
    const table = screen.getByRole('table', { name: 'Line items of invoice INV-2025-0006' });
    const [plan, overage] = within(table).getAllByTestId('invoice-line').map((row) => within(row));
    expect(plan?.getByTestId('line-quantity')).toHaveTextContent(/^1$/);
    expect(plan?.getByTestId('line-unit-price')).toHaveTextContent(/^\$199\.00$/);
    expect(overage?.getByText('API calls: 1,065,000 used, 1,000,000 included, 65,000 over')).toBeInTheDocument();
    expect(overage?.getByText('Usage over the plan')).toBeInTheDocument();
    expect(overage?.getByTestId('line-quantity')).toHaveTextContent('7 × 10,000 calls');
    expect(overage?.getByTestId('line-unit-price')).toHaveTextContent('$1.50 per 10,000 calls');
    expect(overage?.getByTestId('line-amount')).toHaveTextContent('$10.50');
    // Phones get the same words in a list.
    const list = screen.getByRole('list', { name: 'Line items of invoice INV-2025-0006' });
    expect(list).toHaveTextContent('7 × 10,000 calls × $1.50 per 10,000 calls');

    const totals = within(screen.getByTestId('invoice-totals'));
    const total = (label: string) => totals.getByRole('rowheader', { name: label }).nextElementSibling;
    expect(total('Subtotal')).toHaveTextContent('$209.50');
    expect(total('Total')).toHaveTextContent('$209.50');
    expect(total('Amount paid')).toHaveTextContent('$209.50');
    // Paid in full: nothing is due, the same as the API and the PDF say.
    expect(total('Amount due')).toHaveTextContent('$0.00');
    expect(screen.getByTestId('invoice-amount-due')).toHaveTextContent('$0.00');
    expect(document.title).toBe('Invoice INV-2025-0006 · CBP Portal');
    // The customer as billed when it was issued.
    expect(screen.getByRole('region', { name: 'Billed to' })).toHaveTextContent(
      ['Acme Corporation Ltd', 'accounts@acme.test', '1 Road Runner Way', '85001 Phoenix', 'Tax ID: US-99-1234567'].join(''),
    );

    await userEvent.click(screen.getByRole('button', { name: 'Download PDF' }));
    expect(downloadInvoicePdf).toHaveBeenCalledWith(expect.objectContaining({ id: withLines.id, number: 'INV-2025-0006' }));
  });

  it('shows an open invoice as due in full', async () => {
    const unpaid = invoice(7, 'open', { subtotal: 20_950, total: 20_950, amountDue: 20_950, lines: withLines.lines });
    vi.mocked(getInvoice).mockResolvedValue(unpaid);
    renderPortal(`/billing/invoices/${unpaid.id}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'Invoice INV-2025-0007' })).toBeInTheDocument();
    const totals = within(screen.getByTestId('invoice-totals'));
    expect(totals.getByRole('rowheader', { name: 'Amount paid' }).nextElementSibling).toHaveTextContent('$0.00');
    expect(totals.getByRole('rowheader', { name: 'Amount due' }).nextElementSibling).toHaveTextContent('$209.50');
    expect(screen.getByTestId('invoice-amount-due')).toHaveTextContent('$209.50');
  });

  it('lets an owner pay an open invoice from its page with the default card', async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner')));
    const unpaid = invoice(7, 'open');
    vi.mocked(getInvoice).mockResolvedValue(unpaid);
    vi.mocked(getPaymentMethods).mockResolvedValue([cardMethod('mastercard', '4444'), cardMethod('visa', '4242', { isDefault: true })]);
    vi.mocked(payInvoice).mockResolvedValue({ ...unpaid, status: 'paid', amountPaid: unpaid.total, amountDue: 0 });
    renderPortal(`/billing/invoices/${unpaid.id}`);
    await userEvent.click(await screen.findByRole('button', { name: 'Pay $199.00 for invoice INV-2025-0007' }));
    const dialog = await screen.findByRole('dialog', { name: 'Pay invoice INV-2025-0007?' });
    expect(within(dialog).getByTestId('pay-summary')).toHaveTextContent(/Visa.*4242/);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Pay $199.00' }));
    await waitFor(() => expect(payInvoice).toHaveBeenCalledWith(unpaid.id, expect.any(String)));
  });

  it('tells an owner without a card how to pay, and shows analysts no Pay button', async () => {
    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'owner')));
    const unpaid = invoice(7, 'open');
    vi.mocked(getInvoice).mockResolvedValue(unpaid);
    vi.mocked(getPaymentMethods).mockResolvedValue([]);
    const { unmount } = renderPortal(`/billing/invoices/${unpaid.id}`);
    expect(await screen.findByTestId('no-card-warning')).toHaveTextContent('No card on file, so this invoice cannot be paid.');
    expect(screen.getByRole('link', { name: 'Add a card' })).toHaveAttribute('href', '/billing/payment-methods/new');
    expect(screen.queryByRole('button', { name: /^Pay / })).not.toBeInTheDocument();
    unmount();

    vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'analyst')));
    vi.mocked(getPaymentMethods).mockClear();
    renderPortal(`/billing/invoices/${unpaid.id}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'Invoice INV-2025-0007' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Pay / })).not.toBeInTheDocument();
    expect(screen.queryByTestId('no-card-warning')).not.toBeInTheDocument();
    expect(getPaymentMethods).not.toHaveBeenCalled();
  });

  it('leaves out the customer block of an invoice issued before CBP kept it', async () => {
    const older = invoice(8, 'paid', { customer: null });
    vi.mocked(getInvoice).mockResolvedValue(older);
    renderPortal(`/billing/invoices/${older.id}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'Invoice INV-2025-0008' })).toBeInTheDocument();
    expect(screen.queryByTestId('invoice-billed-to')).not.toBeInTheDocument();
  });

  it('says plainly when the invoice does not exist', async () => {
    vi.mocked(getInvoice).mockRejectedValue(new ApiError('Invoice not found.', 404));
    renderPortal(`/billing/invoices/${open.id}`);
    expect(await screen.findByRole('heading', { name: 'This invoice does not exist' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Back to invoices' })).toHaveAttribute('href', '/billing/invoices');
  });

  it('shows other errors with a retry', async () => {
    vi.mocked(getInvoice).mockRejectedValueOnce(new ApiError('The billing service is restarting.', 503)).mockResolvedValue(open);
    renderPortal(`/billing/invoices/${open.id}`);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load this invoice");
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Invoice INV-2025-0007' })).toBeInTheDocument();
  });
});
