import { InvoiceListQuery } from '@cbp/contracts';
import type { InvoiceStatus } from '@/types/billing';

/** Rows per page of the invoice list. */
export const INVOICES_PER_PAGE = 10;

export interface InvoiceFilters {
  page: number;
  status: InvoiceStatus | undefined;
}

/**
 * The invoice list's filters live in the URL (`?status=paid&page=2`) and are parsed with the
 * same schema the API validates with; a value it would refuse falls back to the default.
 */
export function readInvoiceFilters(params: URLSearchParams): InvoiceFilters {
  const page = InvoiceListQuery.shape.page.safeParse(params.get('page') ?? undefined);
  const status = InvoiceListQuery.shape.status.safeParse(params.get('status') ?? undefined);
  return { page: page.success ? page.data : 1, status: status.success ? status.data : undefined };
}

/** Defaults are left out, so the plain list stays at `/billing/invoices`. */
export function invoiceFilterParams({ page, status }: InvoiceFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (page > 1) params.set('page', String(page));
  return params;
}
