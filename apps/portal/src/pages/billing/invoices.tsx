import type { MouseEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { InvoiceStatus as InvoiceStatusSchema } from '@cbp/contracts';
import { FileText } from 'lucide-react';
import { BillingNav } from '@/components/billing/billing-nav';
import { INVOICES_PER_PAGE, invoiceFilterParams, readInvoiceFilters, type InvoiceFilters } from '@/components/billing/invoice-filters';
import { InvoicePdfButton } from '@/components/billing/invoice-pdf-button';
import { QueryError } from '@/components/billing/query-error';
import { InvoiceStatusBadge, invoiceStatusLooks } from '@/components/billing/status-badges';
import { PageHeader } from '@/components/layout/page-header';
import { EmptyState } from '@/components/ui/empty-state';
import { Pagination } from '@/components/ui/pagination';
import { Card } from '@/components/ui/card';
import { DataTable, tableCell as cell } from '@/components/ui/data-table';
import { useInvoicePage } from '@/hooks/use-billing';
import { useSession } from '@/hooks/use-session';
import { cn } from '@/lib/cn';
import { formatPeriod, formatShortDate } from '@/lib/dates';
import { formatMoney } from '@/lib/money';
import type { Invoice, InvoiceStatus } from '@/types/billing';

const columns = ['Invoice', 'Period', 'Status', 'Total', 'Amount due', 'Issued'] as const;

function InvoiceRow({ invoice }: { invoice: Invoice }) {
  const navigate = useNavigate();
  const href = `/billing/invoices/${invoice.id}`;
  // The whole row opens the invoice for pointer users; keyboard users have the number's link.
  const openRow = (event: MouseEvent<HTMLTableRowElement>) => {
    if ((event.target as HTMLElement).closest('a, button')) return;
    void navigate(href);
  };
  return (
    <tr className="cursor-pointer hover:bg-muted/50" onClick={openRow} data-testid="invoice-row">
      <td className={cell}>
        <Link to={href} className="font-medium text-primary underline-offset-4 hover:underline">
          {invoice.number}
        </Link>
      </td>
      <td className={cell}>{formatPeriod(invoice.periodStart, invoice.periodEnd)}</td>
      <td className={cell}>
        <InvoiceStatusBadge status={invoice.status} />
      </td>
      <td className={cn(cell, 'text-right tabular-nums')}>{formatMoney(invoice.total, invoice.currency)}</td>
      <td className={cn(cell, 'text-right tabular-nums')}>{formatMoney(invoice.amountDue, invoice.currency)}</td>
      <td className={cell}>{formatShortDate(invoice.createdAt)}</td>
      <td className={cn(cell, 'py-2 text-right')}>
        <InvoicePdfButton invoice={invoice} compact />
      </td>
    </tr>
  );
}

function NoInvoices({ filters, onReset }: { filters: InvoiceFilters; onReset: () => void }) {
  const [title, body, action] =
    filters.page > 1
      ? [`There are no invoices on page ${filters.page}.`, 'The list is shorter than that.', 'Go to the first page']
      : filters.status
        ? [
            `No ${invoiceStatusLooks[filters.status].label.toLowerCase()} invoices`,
            'No invoice has this status right now.',
            'Show all invoices',
          ]
        : ['No invoices yet', 'Your first invoice is issued at the end of your first billing period.', null];
  return (
    <EmptyState icon={FileText} title={title} body={body} action={action} onAction={onReset} testId="invoices-empty" />
  );
}

export default function InvoicesPage() {
  const { membership } = useSession();
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = readInvoiceFilters(searchParams);
  const invoices = useInvoicePage({ page: filters.page, limit: INVOICES_PER_PAGE, status: filters.status });
  const page = invoices.data;
  const pageCount = page ? Math.max(1, Math.ceil(page.total / INVOICES_PER_PAGE)) : 1;
  const setFilters = (next: InvoiceFilters) => setSearchParams(invoiceFilterParams(next));
  const statusLabel = filters.status ? invoiceStatusLooks[filters.status].label.toLowerCase() : null;

  return (
    <>
      <BillingNav />
      <PageHeader
        title="Invoices"
        description={membership ? `Every invoice of ${membership.name}, newest first` : 'Every invoice, newest first'}
      />
      <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
        <div className="flex flex-col gap-1.5">
          <label htmlFor="invoice-status-filter" className="text-sm font-medium">
            Status
          </label>
          <select
            id="invoice-status-filter"
            value={filters.status ?? ''}
            onChange={(event) => {
              const parsed = InvoiceStatusSchema.safeParse(event.target.value);
              setFilters({ page: 1, status: parsed.success ? parsed.data : undefined });
            }}
            className="h-9 min-w-44 rounded-md border border-input bg-card px-3 text-sm shadow-xs focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
          >
            <option value="">All statuses</option>
            {InvoiceStatusSchema.options.map((status: InvoiceStatus) => (
              <option key={status} value={status}>
                {invoiceStatusLooks[status].label}
              </option>
            ))}
          </select>
        </div>
        {page ? (
          <p className="text-sm text-muted-foreground" aria-live="polite" data-testid="invoice-count">
            {page.total === 1 ? '1 invoice' : `${page.total} invoices`}
            {statusLabel ? ` ${statusLabel}` : ''}
          </p>
        ) : null}
      </div>

      {invoices.error && !page ? (
        <QueryError title="We couldn't load your invoices" error={invoices.error} onRetry={() => void invoices.refetch()} />
      ) : (
        <Card className="overflow-hidden">
          {page && page.data.length === 0 ? (
            <NoInvoices filters={filters} onReset={() => setFilters({ page: 1, status: undefined })} />
          ) : (
            <DataTable
              caption={`${statusLabel ? `Invoices with status ${statusLabel}` : 'Invoices'}, page ${filters.page} of ${pageCount}`}
              columns={columns}
              numericColumns={['Total', 'Amount due']}
              actions
              actionsLabel="Download"
              rows={page?.data}
              renderRow={(invoice) => <InvoiceRow key={invoice.id} invoice={invoice} />}
              loadingLabel="Loading invoices…"
              skeleton={{ rows: 5, className: 'min-w-12' }}
              fetching={invoices.isFetching}
              stale={invoices.isPlaceholderData}
            />
          )}
          {page && page.total > INVOICES_PER_PAGE ? (
            <Pagination page={filters.page} pageCount={pageCount} onPage={(next) => setFilters({ ...filters, page: next })} />
          ) : null}
        </Card>
      )}
    </>
  );
}
