import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { AlertTriangle, ArrowLeft, FileQuestion } from 'lucide-react';
import { formatInvoiceLine } from '@cbp/contracts';
import { BillingNav } from '@/components/billing/billing-nav';
import { InvoicePdfButton } from '@/components/billing/invoice-pdf-button';
import { PayInvoiceDialog } from '@/components/billing/pay-invoice';
import { QueryError } from '@/components/billing/query-error';
import { InvoiceStatusBadge } from '@/components/billing/status-badges';
import { PageHeader } from '@/components/layout/page-header';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { useInvoice } from '@/hooks/use-billing';
import { usePaymentMethods } from '@/hooks/use-payment-methods';
import { useSession } from '@/hooks/use-session';
import { ApiError } from '@/lib/axios';
import { cn } from '@/lib/cn';
import { formatDate, formatPeriod } from '@/lib/dates';
import { formatMoney } from '@/lib/money';
import { canAccess } from '@/lib/role-parser';
import type { Invoice } from '@/types/billing';

const headerCell = 'px-4 py-2.5 text-left text-xs font-medium whitespace-nowrap text-muted-foreground';
const cell = 'px-4 py-3';

function BackLink() {
  return (
    <Link
      to="/billing/invoices"
      className="mb-3 inline-flex items-center gap-1 text-sm text-muted-foreground underline-offset-4 hover:text-foreground hover:underline"
    >
      <ArrowLeft className="size-3.5" aria-hidden="true" />
      All invoices
    </Link>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="text-sm font-medium">{children}</dd>
    </div>
  );
}

function TotalRow({ label, amount, currency, strong = false }: { label: string; amount: number; currency: string; strong?: boolean }) {
  return (
    <tr>
      <th scope="row" colSpan={4} className={cn('px-4 py-1.5 text-right font-normal text-muted-foreground', strong && 'font-semibold text-foreground')}>
        {label}
      </th>
      <td className={cn('px-4 py-1.5 text-right tabular-nums', strong && 'font-semibold')}>{formatMoney(amount, currency)}</td>
    </tr>
  );
}

/** Subtotal, total, amount paid and amount due as the API serves them (the PDF prints the same). */
function Totals({ invoice }: { invoice: Invoice }) {
  const money = (amount: number) => formatMoney(amount, invoice.currency);
  const rows: [string, number, boolean][] = [
    ['Subtotal', invoice.subtotal, false],
    ['Total', invoice.total, false],
    ['Amount paid', invoice.amountPaid, false],
    ['Amount due', invoice.amountDue, true],
  ];
  return (
    <dl className="space-y-1.5 border-t px-4 py-3 text-sm sm:hidden" data-testid="invoice-totals-list">
      {rows.map(([label, amount, strong]) => (
        <div key={label} className={cn('flex justify-between gap-4', strong ? 'font-semibold' : 'text-muted-foreground')}>
          <dt>{label}</dt>
          <dd className="tabular-nums text-foreground">{money(amount)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The customer as billed when the invoice was issued (a later profile edit does not change it). */
function BilledTo({ customer }: { customer: NonNullable<Invoice['customer']> }) {
  return (
    <section aria-labelledby="invoice-billed-to-title" className="mt-4 border-t pt-4 text-sm" data-testid="invoice-billed-to">
      <h3 id="invoice-billed-to-title" className="text-xs text-muted-foreground">
        Billed to
      </h3>
      <address className="mt-1 not-italic">
        <span className="block font-medium">{customer.name}</span>
        {customer.email ? <span className="block">{customer.email}</span> : null}
        {customer.addressLines.map((line) => (
          <span key={line} className="block">
            {line}
          </span>
        ))}
        {customer.taxId ? <span className="block text-muted-foreground">Tax ID: {customer.taxId}</span> : null}
      </address>
    </section>
  );
}

function InvoiceView({ invoice }: { invoice: Invoice }) {
  const money = (amount: number) => formatMoney(amount, invoice.currency);
  const lines = invoice.lines.map((line) => ({ line, text: formatInvoiceLine(line, invoice.currency) }));
  return (
    <>
      <Card aria-labelledby="invoice-summary-title">
        <CardHeader>
          <CardTitle id="invoice-summary-title">Summary</CardTitle>
        </CardHeader>
        <CardContent>
          <dl className="grid grid-cols-2 gap-x-6 gap-y-4 sm:grid-cols-3 lg:flex lg:flex-wrap lg:justify-between">
            <Field label="Status">
              <InvoiceStatusBadge status={invoice.status} data-testid="invoice-status" />
            </Field>
            <Field label="Billing period">{formatPeriod(invoice.periodStart, invoice.periodEnd)}</Field>
            <Field label="Issued">{formatDate(invoice.createdAt)}</Field>
            <Field label={invoice.paidAt ? 'Paid on' : 'Due on'}>
              {invoice.paidAt ? formatDate(invoice.paidAt) : invoice.dueDate ? formatDate(invoice.dueDate) : '—'}
            </Field>
            <Field label="Total">
              <span className="tabular-nums">{money(invoice.total)}</span>
            </Field>
            <Field label="Amount paid">
              <span className="tabular-nums">{money(invoice.amountPaid)}</span>
            </Field>
            <Field label="Amount due">
              <span className="tabular-nums" data-testid="invoice-amount-due">
                {money(invoice.amountDue)}
              </span>
            </Field>
          </dl>
          {invoice.customer ? <BilledTo customer={invoice.customer} /> : null}
        </CardContent>
      </Card>

      <Card aria-labelledby="invoice-lines-title" className="mt-4 overflow-hidden">
        <CardHeader>
          <CardTitle id="invoice-lines-title">Line items</CardTitle>
        </CardHeader>
        {/* Phones: one block per line, nothing to scroll sideways. */}
        <ul className="divide-y border-t sm:hidden" aria-label={`Line items of invoice ${invoice.number}`} data-testid="invoice-lines-list">
          {lines.length === 0 ? <li className={cn(cell, 'text-center text-muted-foreground')}>This invoice has no lines.</li> : null}
          {lines.map(({ line, text }) => (
            <li key={line.id} className="space-y-1 px-4 py-3 text-sm">
              <div className="flex justify-between gap-3">
                <span className="font-medium">{text.description}</span>
                <span className="tabular-nums font-medium">{text.amount}</span>
              </div>
              <p className="text-xs text-muted-foreground">{formatPeriod(line.periodStart, line.periodEnd)}</p>
              <p className="text-xs text-muted-foreground tabular-nums">
                {text.quantity} × {text.unitPrice}
              </p>
            </li>
          ))}
        </ul>
        <Totals invoice={invoice} />
        <div className="hidden overflow-x-auto sm:block">
          <table className="w-full text-sm" data-testid="invoice-lines">
            <caption className="sr-only">Line items of invoice {invoice.number}</caption>
            <thead className="border-y bg-muted/40">
              <tr>
                <th scope="col" className={headerCell}>
                  Description
                </th>
                <th scope="col" className={headerCell}>
                  Period
                </th>
                <th scope="col" className={cn(headerCell, 'text-right')}>
                  Quantity
                </th>
                <th scope="col" className={cn(headerCell, 'text-right')}>
                  Unit price
                </th>
                <th scope="col" className={cn(headerCell, 'text-right')}>
                  Amount
                </th>
              </tr>
            </thead>
            <tbody className="divide-y">
              {lines.length === 0 ? (
                <tr>
                  <td colSpan={5} className={cn(cell, 'text-center text-muted-foreground')}>
                    This invoice has no lines.
                  </td>
                </tr>
              ) : (
                lines.map(({ line, text }) => (
                  <tr key={line.id} data-testid="invoice-line">
                    <td className={cell}>
                      {text.description}
                      {line.kind === 'usage' ? <span className="block text-xs text-muted-foreground">Usage over the plan</span> : null}
                    </td>
                    <td className={cn(cell, 'whitespace-nowrap')}>{formatPeriod(line.periodStart, line.periodEnd)}</td>
                    <td className={cn(cell, 'text-right whitespace-nowrap tabular-nums')} data-testid="line-quantity">
                      {text.quantity}
                    </td>
                    <td className={cn(cell, 'text-right whitespace-nowrap tabular-nums')} data-testid="line-unit-price">
                      {text.unitPrice}
                    </td>
                    <td className={cn(cell, 'text-right tabular-nums')} data-testid="line-amount">
                      {text.amount}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
            <tfoot className="border-t [&_tr:first-child>*]:pt-3 [&_tr:last-child>*]:pb-4" data-testid="invoice-totals">
              <TotalRow label="Subtotal" amount={invoice.subtotal} currency={invoice.currency} />
              <TotalRow label="Total" amount={invoice.total} currency={invoice.currency} />
              <TotalRow label="Amount paid" amount={invoice.amountPaid} currency={invoice.currency} />
              <TotalRow label="Amount due" amount={invoice.amountDue} currency={invoice.currency} strong />
            </tfoot>
          </table>
        </div>
      </Card>
    </>
  );
}

/**
 * Paying an open invoice from its page (owners): the default card, or the first one, as on the
 * dashboard; undefined while the cards load, null when there is none.
 */
function useCardToPay(invoice: Invoice | undefined) {
  const { role } = useSession();
  const canPay = canAccess(role, 'invoices', 'edit') && invoice?.status === 'open';
  const methods = usePaymentMethods({ enabled: canPay });
  if (!canPay) return { canPay, card: undefined };
  return { canPay, card: methods.data ? (methods.data.find((m) => m.isDefault) ?? methods.data[0] ?? null) : undefined };
}

function NoCardNotice() {
  return (
    <p
      className="mb-4 flex items-start gap-2 rounded-lg border border-amber-300 bg-amber-50/60 px-4 py-3 text-sm text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/5 dark:text-amber-100"
      data-testid="no-card-warning"
    >
      <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
      <span>
        No card on file, so this invoice cannot be paid.{' '}
        <Link to="/billing/payment-methods/new" className="font-medium underline underline-offset-4">
          Add a card
        </Link>
      </span>
    </p>
  );
}

function NotFound() {
  return (
    <div className="mx-auto max-w-md py-12 text-center" data-testid="invoice-not-found">
      <span className="mx-auto flex size-10 items-center justify-center rounded-full bg-muted">
        <FileQuestion className="size-5 text-muted-foreground" aria-hidden="true" />
      </span>
      <h2 className="mt-3 text-base font-semibold">This invoice does not exist</h2>
      <p className="mt-1 text-sm text-muted-foreground">It may belong to another organization, or the link is wrong.</p>
      <Button asChild variant="outline" className="mt-4">
        <Link to="/billing/invoices">Back to invoices</Link>
      </Button>
    </div>
  );
}

export default function InvoiceDetailPage() {
  const { invoiceId = '' } = useParams();
  const query = useInvoice(invoiceId);
  const invoice = query.data;
  const notFound = query.error instanceof ApiError && (query.error.statusCode === 404 || query.error.statusCode === 400);
  const { canPay, card } = useCardToPay(invoice);

  return (
    <>
      <BillingNav />
      <BackLink />
      <PageHeader
        title={invoice ? `Invoice ${invoice.number}` : 'Invoice'}
        description={invoice ? `For ${formatPeriod(invoice.periodStart, invoice.periodEnd)}` : undefined}
        actions={
          invoice ? (
            <div className="flex flex-wrap gap-2">
              {canPay && card ? <PayInvoiceDialog invoice={invoice} card={card} size="default" /> : null}
              <InvoicePdfButton invoice={invoice} />
            </div>
          ) : null
        }
      />
      {invoice && canPay && card === null ? <NoCardNotice /> : null}
      {invoice ? (
        <InvoiceView invoice={invoice} />
      ) : notFound ? (
        <NotFound />
      ) : query.error ? (
        <QueryError title="We couldn't load this invoice" error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <div className="space-y-4">
          <p role="status" className="sr-only">
            Loading the invoice…
          </p>
          <Skeleton className="h-28 rounded-xl" />
          <Skeleton className="h-64 rounded-xl" />
        </div>
      )}
    </>
  );
}
