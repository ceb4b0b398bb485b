import { z } from 'zod';
import type { CustomerBillingUpdate, PaymentGateway } from '../../adapters/payments/port.js';
import { defineWorkflow, type WorkflowEngine } from '../../adapters/workflows/port.js';
import { withTenant, type AppDb, type TenantTx } from '../../platform/db.js';
import type { EventHandler } from '../../platform/events.js';
import { gatewayCustomerOf } from '../billing/billing-customer.js';
import { recordInvoiceCustomer } from '../billing/invoices.service.js';
import type { InvoiceParty } from '../billing/invoice-pdf.js';
import { profileOf } from './organization.repo.js';

/**
 * The organization profile as the customer's billing identity (issue 15): on invoice PDFs
 * (`BillingDeps.customerBillingDetails`) and on the payment gateway's customer (the
 * `organization.updated` event handler and workflow below).
 */
export interface BillingIdentity {
  /** Legal name, else the organization's name. */
  name: string;
  email: string | null;
  address: CustomerBillingUpdate['address'];
  /** The address as printed, one line each. */
  addressLines: string[];
  taxId: string | null;
}

export async function billingIdentityIn(tx: TenantTx, tenantId: string): Promise<BillingIdentity> {
  const { tenant, profile: p } = await profileOf(tx, tenantId);
  const address = {
    line1: p?.addressLine1 ?? null,
    line2: p?.addressLine2 ?? null,
    city: p?.addressCity ?? null,
    postalCode: p?.addressPostalCode ?? null,
    state: p?.addressRegion ?? null,
    country: p?.addressCountry ?? null,
  };
  const cityLine = [address.postalCode, address.city].filter(Boolean).join(' ');
  const addressLines = [address.line1, address.line2, cityLine, address.state, address.country].filter((l): l is string => !!l);
  return {
    name: p?.legalName || tenant.name,
    email: p?.billingEmail ?? null,
    address: Object.values(address).some((v) => v !== null) ? address : null,
    addressLines,
    taxId: p?.taxId ?? null,
  };
}

/** For `BillingDeps.customerBillingDetails`: the customer block of invoice PDFs. */
export const customerBillingDetails =
  (db: AppDb) =>
  async (tenantId: string): Promise<InvoiceParty> => {
    const { name, email, addressLines, taxId } = await withTenant(db, tenantId, (tx) => billingIdentityIn(tx, tenantId));
    return { name, email, addressLines, taxId };
  };

/**
 * The customer as billed on each issued invoice (decision 004): on `invoice.issued`, the billing
 * identity as it is then is written on the invoice once, in the delivery's transaction, through
 * the billing module's `recordInvoiceCustomer` (a repeated delivery changes nothing). Later
 * profile edits reach the next invoices, never an issued one.
 */
export function invoiceCustomerSnapshot(): EventHandler {
  return {
    name: 'organization.invoice_customer',
    async handle(tx, event) {
      if (event.type !== 'invoice.issued' || typeof event.payload.invoiceId !== 'string') return;
      const { name, email, addressLines, taxId } = await billingIdentityIn(tx, event.tenantId);
      await recordInvoiceCustomer(tx, event.tenantId, event.payload.invoiceId, { name, email, addressLines, taxId });
    },
  };
}

/** Profile fields the gateway's customer carries; a change of another field (website) calls nothing. */
const gatewayFields = /^(name|legalName|billingEmail|taxId|address\.)/;

export const gatewayCustomerSyncType = 'organization.gateway-customer-sync';
export const gatewayCustomerSyncId = (eventId: string) => `gateway-customer-sync:${eventId}`;

/**
 * Keeps the gateway customer's name, email, address and tax id equal to the profile, after the
 * change committed, never inside the request's transaction: the `organization.updated` event
 * handler starts one run per event (workflow id from the event id, so a repeated delivery starts
 * nothing more), in the delivery's transaction. The run's remote step sends the profile as it is
 * when the step runs, not the event's values: a retried step, or runs of several quick changes,
 * all leave the latest profile. A gateway error is retried with back-off by the engine.
 */
export function gatewayCustomerSync(engine: Pick<WorkflowEngine, 'start'>, gatewayName: PaymentGateway['name']): EventHandler {
  return {
    name: 'organization.gateway_customer',
    async handle(tx, event) {
      if (event.type !== 'organization.updated' || event.payload.section !== 'profile') return;
      const fields = Array.isArray(event.payload.fields) ? (event.payload.fields as unknown[]) : [];
      if (!fields.some((f) => typeof f === 'string' && gatewayFields.test(f))) return;
      const customer = await gatewayCustomerOf(tx, event.tenantId);
      // No customer yet (billing provisioning creates it), or one of another gateway: nothing to keep in step.
      if (!customer || customer.gateway !== gatewayName) return;
      await engine.start(
        { type: gatewayCustomerSyncType, tenantId: event.tenantId, workflowId: gatewayCustomerSyncId(event.id), input: { customerId: customer.customerId } },
        { tx },
      );
    },
  };
}

const SyncInput = z.object({ customerId: z.string().min(1) });

export function gatewayCustomerSyncWorkflows({ db, gateway }: { db: AppDb; gateway: PaymentGateway }) {
  return [
    defineWorkflow({
      type: gatewayCustomerSyncType,
      parseInput: (input) => SyncInput.parse(input),
      retry: { maxAttempts: 8, initialIntervalMs: 2_000, maxIntervalMs: 10 * 60_000 },
      async run(ctx, { customerId }) {
        const tenantId = ctx.tenantId;
        if (!tenantId) throw new Error(`${gatewayCustomerSyncType} is a tenant workflow`);
        await ctx.remoteStep('update-customer', async () => {
          const identity = await withTenant(db, tenantId, (tx) => billingIdentityIn(tx, tenantId));
          await gateway.updateCustomer({ customerId, name: identity.name, email: identity.email, address: identity.address, taxId: identity.taxId });
        });
        return { customerId };
      },
    }),
  ];
}
