import { Invoice, pageOf, type ChangePlanRequest, PlanChangePreview, Subscription, UpcomingInvoice } from '@cbp/contracts';
import { saveBlob } from '@/lib/download';
import { parseResponse, platformApi } from '@/lib/axios';
import type { InvoiceStatus } from '@/types/billing';

const InvoicePage = pageOf(Invoice);

export interface InvoicePageRequest {
  page: number;
  limit: number;
  status?: InvoiceStatus;
}

/*
 * Reads are `silent`: the billing pages show their errors in place, with a retry. Mutations
 * made from a dialog are silent too (a toast behind a modal dialog is hidden from screen readers).
 */

/** The tenant's subscription with its plan embedded. */
export async function getSubscription(): Promise<Subscription> {
  const { data } = await platformApi.get<unknown>('/subscriptions/current', { silent: true });
  return parseResponse(Subscription, data, 'GET /subscriptions/current');
}

/** What switching to `planId` would credit and charge; changes nothing. */
export async function previewPlanChange(planId: string): Promise<PlanChangePreview> {
  const { data } = await platformApi.get<unknown>('/subscriptions/preview-change', { params: { planId }, silent: true });
  return parseResponse(PlanChangePreview, data, 'GET /subscriptions/preview-change');
}

/**
 * Owner only. Prorates right away; 422 `SAME_PLAN` when `planId` is the current plan. Pass the
 * confirmed preview's `prorationDate` so the charge is the one shown (422
 * `PRORATION_DATE_OUT_OF_RANGE` once that preview is too old).
 */
export async function changePlan(planId: string, prorationDate?: string): Promise<Subscription> {
  const body: ChangePlanRequest = prorationDate ? { planId, prorationDate } : { planId };
  const { data } = await platformApi.post<unknown>('/subscriptions/change-plan', body, { silent: true });
  return parseResponse(Subscription, data, 'POST /subscriptions/change-plan');
}

/** Owner only. Cancels at the end of the current period; access continues until then. */
export async function cancelSubscription(): Promise<Subscription> {
  const { data } = await platformApi.post<unknown>('/subscriptions/cancel', undefined, { silent: true });
  return parseResponse(Subscription, data, 'POST /subscriptions/cancel');
}

/** Owner only. Undoes a pending cancellation. Errors are toasted (the button is on the page). */
export async function resumeSubscription(): Promise<Subscription> {
  const { data } = await platformApi.post<unknown>('/subscriptions/resume');
  return parseResponse(Subscription, data, 'POST /subscriptions/resume');
}

/** A page of invoices, newest first. */
export async function getInvoices({ page, limit, status }: InvoicePageRequest): Promise<{ data: Invoice[]; total: number }> {
  const params = status ? { page, limit, status } : { page, limit };
  const { data } = await platformApi.get<unknown>('/invoices', { params, silent: true });
  return parseResponse(InvoicePage, data, 'GET /invoices');
}

/** One invoice with its lines. */
export async function getInvoice(id: string): Promise<Invoice> {
  const { data } = await platformApi.get<unknown>(`/invoices/${encodeURIComponent(id)}`, { silent: true });
  return parseResponse(Invoice, data, 'GET /invoices/:id');
}

/** The next invoice as it stands now: the next period's plan plus pending prorations. */
export async function getUpcomingInvoice(): Promise<UpcomingInvoice> {
  const { data } = await platformApi.get<unknown>('/invoices/upcoming', { silent: true });
  return parseResponse(UpcomingInvoice, data, 'GET /invoices/upcoming');
}

/** Fetches the PDF with the caller's token (a plain link would carry none) and saves it; errors are toasted. */
export async function downloadInvoicePdf(invoice: Pick<Invoice, 'id' | 'number'>): Promise<void> {
  const { data } = await platformApi.get<Blob>(`/invoices/${encodeURIComponent(invoice.id)}/pdf`, {
    responseType: 'blob',
    headers: { Accept: 'application/pdf' },
  });
  saveBlob(data, `invoice-${invoice.number}.pdf`);
}


/**
 * Owner only. Pays an open invoice now with the default payment method. Refusals: 402
 * `CARD_DECLINED` (with `declineCode`), 409 `INVOICE_ALREADY_PAID` / `INVOICE_NOT_PAYABLE`, 422
 * `NO_PAYMENT_METHOD`. Send the same `idempotencyKey` when retrying one attempt: it is charged once.
 */
export async function payInvoice(id: string, idempotencyKey: string): Promise<Invoice> {
  const { data } = await platformApi.post<unknown>(`/invoices/${encodeURIComponent(id)}/pay`, undefined, {
    headers: { 'Idempotency-Key': idempotencyKey },
    silent: true,
  });
  return parseResponse(Invoice, data, 'POST /invoices/:id/pay');
}
