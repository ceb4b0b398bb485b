import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { downloadInvoicePdf, getInvoice, getInvoices } from '@/services/billing.service';
import { getMe } from '@/services/session.service';
import { invoice } from '@/test/billing-fixtures';
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
      'Amount due',
      'Amount paid',
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
  const withLines = invoice(7, 'open', {
    subtotal: 22_900,
    amountDue: 22_900,
    lines: [
      { ...open.lines[0]!, description: 'Pro plan' },
      {
        id: 'dddddddd-0000-4000-8000-0000000000ff',
        kind: 'usage',
        description: 'API calls over the included 1,000,000',
        metricType: 'api_calls',
        quantity: 200_000,
        unitAmount: 150,
        amount: 3_000,
        periodStart: open.periodStart,
        periodEnd: open.periodEnd,
      },
    ],
  });

  it('shows the lines, the totals and a PDF button', async () => {
    vi.mocked(getInvoice).mockResolvedValue(withLines);
    vi.mocked(downloadInvoicePdf).mockResolvedValue();
    renderPortal(`/billing/invoices/${withLines.id}`);

    expect(await screen.findByRole('heading', { level: 1, name: 'Invoice INV-2025-0007' })).toBeInTheDocument();
    expect(getInvoice).toHaveBeenCalledWith(withLines.id);
    expect(screen.getByTestId('invoice-status')).toHaveTextContent('Open');
    const table = screen.getByRole('table', { name: 'Line items of invoice INV-2025-0007' });
    const lineRows = within(table).getAllByRole('row');
    expect(lineRows[1]).toHaveTextContent('Pro plan');
    expect(lineRows[2]).toHaveTextContent('API calls over the included 1,000,000');
    expect(lineRows[2]).toHaveTextContent('200,000');
    expect(lineRows[2]).toHaveTextContent('$1.50');
    expect(lineRows[2]).toHaveTextContent('$30.00');
    expect(lineRows[2]).toHaveTextContent('Usage over the plan');
    expect(lineRows[1]).not.toHaveTextContent('Usage over the plan');
    const totals = screen.getByTestId('invoice-totals');
    expect(within(totals).getByRole('rowheader', { name: 'Subtotal' }).nextElementSibling).toHaveTextContent('$229.00');
    expect(within(totals).getByRole('rowheader', { name: 'Total due' }).nextElementSibling).toHaveTextContent('$229.00');
    expect(within(totals).getByRole('rowheader', { name: 'Amount paid' }).nextElementSibling).toHaveTextContent('$0.00');
    expect(within(totals).getByRole('rowheader', { name: 'Amount remaining' }).nextElementSibling).toHaveTextContent('$229.00');
    expect(document.title).toBe('Invoice INV-2025-0007 · CBP Portal');

    await userEvent.click(screen.getByRole('button', { name: 'Download PDF' }));
    expect(downloadInvoicePdf).toHaveBeenCalledWith(expect.objectContaining({ id: withLines.id, number: 'INV-2025-0007' }));
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
