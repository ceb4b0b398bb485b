import { createHash, randomUUID } from 'node:crypto';
import type { Invoice } from '@cbp/contracts';
import { GatewayError, type GatewayPaymentMethod, type InvoicePayment } from '../../adapters/payments/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext } from '../../platform/context.js';
import { withTenant } from '../../platform/db.js';
import { AppError, gatewayProblem, notFound } from '../../platform/errors.js';
import { withIdempotency, type IdempotentResult } from '../../platform/idempotency.js';
import { invoiceById, linesOf, lockInvoice, markInvoicePaid } from './billing.repo.js';
import { invoiceFrom } from './mappers.js';
import { customerIdOf, type BillingDeps } from './subscriptions.service.js';

export interface InvoicePaymentDeps extends BillingDeps {
  /** The Idempotency-Key lease (default and most: `IDEMPOTENCY_LEASE_MS`). */
  idempotencyLeaseMs?: number;
}

/** Gateway refusals as AppErrors, so that an Idempotency-Key keeps a refusal such as a decline. */
async function viaGateway<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw err instanceof GatewayError ? gatewayProblem(err) : err;
  }
}

const brandNames: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', discover: 'Discover' };
const labelOf = (pm: GatewayPaymentMethod) =>
  pm.card ? `${brandNames[pm.card.brand] ?? pm.card.brand} •••• ${pm.card.last4}` : `${pm.bankAccount?.bankName ?? 'Bank account'} •••• ${pm.bankAccount?.last4 ?? ''}`;

/**
 * The gateway's idempotency key of a payment: derived from the tenant, the invoice and the
 * client's key (Stripe's keys are account-wide), the same on every retry with that key.
 */
function gatewayKeyOf(tenantId: string, invoiceId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return randomUUID();
  return `cbp-invoice-pay-${createHash('sha256').update(`${tenantId}:${invoiceId}:${idempotencyKey}`).digest('hex').slice(0, 40)}`;
}

/**
 * Pays an open invoice now with the organization's default payment method at the gateway
 * (local gateway or Stripe). Refusals change nothing: another tenant's or an unknown invoice is
 * 404, a paid one 409 INVOICE_ALREADY_PAID, a draft/void/uncollectible one 409
 * INVOICE_NOT_PAYABLE, no default method 422 NO_PAYMENT_METHOD, a declined card 402
 * CARD_DECLINED (the reason as `declineCode`). On success the invoice is marked paid and the
 * payment recorded on it (amount paid, paid at) with its `invoice.paid` audit entry (actor,
 * card, the gateway's payment id) in one transaction; the gateway's own `invoice.paid` event
 * later finds the invoice paid already. Idempotent per Idempotency-Key, and the gateway call
 * carries a key derived from it, so a retry never charges twice.
 */
export function payInvoice(deps: InvoicePaymentDeps, ctx: TenantContext, invoiceId: string, idempotencyKey: string | undefined): Promise<IdempotentResult<Invoice>> {
  const { tenantId } = ctx;
  const claim = { tenantId, scope: 'invoices.pay', key: idempotencyKey, request: { invoiceId }, leaseMs: deps.idempotencyLeaseMs };
  return withIdempotency<Invoice>(deps.db, claim, async () => {
    const row = await withTenant(deps.db, tenantId, (tx) => invoiceById(tx, tenantId, invoiceId));
    if (!row) throw notFound('Invoice');
    if (row.status === 'paid') throw new AppError(409, 'INVOICE_ALREADY_PAID', `Invoice ${row.number} is already paid.`);
    if (row.status !== 'open') throw new AppError(409, 'INVOICE_NOT_PAYABLE', `Invoice ${row.number} is ${row.status}; only an open invoice can be paid.`);
    const due = Math.max(0, row.amountDue - row.amountPaid);
    const customerId = await customerIdOf(deps.db, tenantId);
    const methodId = await viaGateway(() => deps.gateway.defaultPaymentMethodOf(customerId));
    const method = methodId ? await viaGateway(() => deps.gateway.retrievePaymentMethod(methodId)) : null;
    if (!methodId || !method) {
      throw new AppError(422, 'NO_PAYMENT_METHOD', 'There is no card on file to pay with. Add a payment method, then pay the invoice.');
    }
    const payment: InvoicePayment =
      due > 0
        ? await viaGateway(() =>
            deps.gateway.payInvoice({
              customerId,
              invoiceId: row.gatewayInvoiceId,
              paymentMethodId: methodId,
              amount: due,
              currency: row.currency,
              idempotencyKey: gatewayKeyOf(tenantId, invoiceId, idempotencyKey),
            }),
          )
        : { paymentId: 'nothing_due', amountPaid: 0, paidAt: new Date() };
    const paid = await withTenant(deps.db, tenantId, async (tx) => {
      const current = await lockInvoice(tx, tenantId, invoiceId);
      if (!current) throw notFound('Invoice');
      if (current.status !== 'paid') await markInvoicePaid(tx, current.id, { amountPaid: current.amountDue, paidAt: payment.paidAt });
      await recordAuditEntry(tx, ctx, {
        action: 'invoice.paid',
        targetType: 'invoice',
        targetId: current.id,
        targetName: current.number,
        before: { status: current.status, amountDue: due },
        after: { status: 'paid', amountPaid: current.amountDue },
        metadata: { paymentMethod: labelOf(method), paymentId: payment.paymentId, charged: payment.amountPaid, currency: current.currency, gateway: deps.gateway.name },
      });
      const after = await invoiceById(tx, tenantId, invoiceId);
      if (!after) throw notFound('Invoice');
      return invoiceFrom(after, await linesOf(tx, [after.id]));
    });
    return { status: 200, body: paid };
  });
}
