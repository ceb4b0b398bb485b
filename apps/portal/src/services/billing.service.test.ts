import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { platformApi } from '@/lib/axios';
import { downloadInvoicePdf, getInvoices, getSubscription } from '@/services/billing.service';
import { invoice, proCatalogPlan, subscriptionOn } from '@/test/billing-fixtures';
import { resetOidcDouble } from '@/test/oidc-double';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));

const originalAdapter = platformApi.defaults.adapter;
let sent: InternalAxiosRequestConfig[] = [];

function answer(body: unknown, contentType = 'application/json') {
  const adapter: AxiosAdapter = async (config) => {
    sent.push(config);
    return { data: body, status: 200, statusText: 'OK', headers: new AxiosHeaders({ 'content-type': contentType }), config };
  };
  platformApi.defaults.adapter = adapter;
}

beforeEach(() => {
  resetOidcDouble();
  sent = [];
});
afterEach(() => {
  platformApi.defaults.adapter = originalAdapter;
  vi.restoreAllMocks();
});

describe('billing.service', () => {
  it('parses the subscription with the contract schema', async () => {
    answer(subscriptionOn(proCatalogPlan));
    await expect(getSubscription()).resolves.toMatchObject({ plan: { name: 'Pro' }, cancelAtPeriodEnd: false });
    answer({ ...subscriptionOn(proCatalogPlan), status: 'paused' });
    await expect(getSubscription()).rejects.toThrow('The server sent GET /subscriptions/current in an unexpected shape.');
  });

  it('asks for a page of invoices, with the status only when filtering', async () => {
    answer({ data: [invoice(1)], total: 1 });
    await expect(getInvoices({ page: 2, limit: 10 })).resolves.toMatchObject({ total: 1 });
    expect(sent[0]?.url).toBe('/invoices');
    expect(sent[0]?.params).toEqual({ page: 2, limit: 10 });
    await getInvoices({ page: 1, limit: 10, status: 'open' });
    expect(sent[1]?.params).toEqual({ page: 1, limit: 10, status: 'open' });
  });

  it('downloads the PDF with the token and saves it as invoice-<number>.pdf', async () => {
    const pdf = new Blob(['%PDF-1.7'], { type: 'application/pdf' });
    answer(pdf, 'application/pdf');
    const createObjectURL = vi.fn(() => 'blob:invoice');
    const revokeObjectURL = vi.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const clicks: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this);
    });

    await downloadInvoicePdf(invoice(3));

    expect(sent[0]?.url).toBe(`/invoices/${invoice(3).id}/pdf`);
    expect(sent[0]?.responseType).toBe('blob');
    expect(sent[0]?.headers.get('Authorization')).toBe('Bearer test-access-token');
    expect(createObjectURL).toHaveBeenCalledWith(pdf);
    expect(clicks).toHaveLength(1);
    expect(clicks[0]?.download).toBe('invoice-INV-2025-0003.pdf');
    expect(clicks[0]?.href).toBe('blob:invoice');
    expect(clicks[0]?.isConnected).toBe(false);
    await vi.waitFor(() => expect(revokeObjectURL).toHaveBeenCalledWith('blob:invoice'));
  });
});
