import type { GatewayEvent } from '../../adapters/payments/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import { systemContext } from '../../platform/context.js';
import type { ScopedTx } from '../../platform/db.js';
import { auditViewOf, columnsOf, labelOf } from './mappers.js';
import {
  deletePaymentMethod,
  insertPaymentMethod,
  listPaymentMethods,
  lockPaymentMethods,
  makeDefault,
  paymentMethodByGatewayId,
  updatePaymentMethod,
} from './payment-methods.repo.js';

export type PaymentMethodEvent = Extract<
  GatewayEvent,
  { type: 'payment_method.attached' | 'payment_method.updated' | 'payment_method.detached' | 'customer.default_payment_method' }
>;

/**
 * Reconciles payment methods changed outside CBP (Stripe's dashboard, card updates by the
 * network) inside the event's transaction, already scoped to `tenantId`. Events of CBP's own
 * changes find the records already in that state and change nothing.
 */
export async function applyPaymentMethodEvent(tx: ScopedTx, tenantId: string, event: PaymentMethodEvent): Promise<void> {
  const ctx = systemContext(tenantId);
  const metadata = { source: 'gateway', eventId: event.id, eventType: event.stripeType };
  // After an add in flight has written its row (or before it starts): never beside it.
  await lockPaymentMethods(tx, tenantId);
  switch (event.type) {
    case 'payment_method.attached':
    case 'payment_method.updated': {
      const existing = await paymentMethodByGatewayId(tx, event.paymentMethod.id);
      if (existing) {
        await updatePaymentMethod(tx, existing.id, columnsOf(event.paymentMethod));
        return;
      }
      if (event.type === 'payment_method.updated') return;
      const row = await insertPaymentMethod(tx, { tenantId, ...columnsOf(event.paymentMethod), isDefault: false });
      await recordAuditEntry(tx, ctx, {
        action: 'payment_method.added',
        targetType: 'payment_method',
        targetId: row.id,
        targetName: labelOf(row),
        after: auditViewOf(row),
        metadata,
      });
      return;
    }
    case 'payment_method.detached': {
      const existing = await paymentMethodByGatewayId(tx, event.paymentMethodId);
      if (!existing || existing.tenantId !== tenantId) return;
      await deletePaymentMethod(tx, existing.id);
      await recordAuditEntry(tx, ctx, {
        action: 'payment_method.removed',
        targetType: 'payment_method',
        targetId: existing.id,
        targetName: labelOf(existing),
        before: auditViewOf(existing),
        metadata,
      });
      return;
    }
    case 'customer.default_payment_method': {
      const all = await listPaymentMethods(tx, tenantId);
      const previous = all.find((m) => m.isDefault);
      const next = all.find((m) => m.gatewayPaymentMethodId === event.paymentMethodId);
      if (previous?.id === next?.id) return;
      await makeDefault(tx, tenantId, next?.id ?? null);
      await recordAuditEntry(tx, ctx, {
        action: 'payment_method.default_changed',
        targetType: 'payment_method',
        targetId: next?.id ?? previous?.id ?? null,
        targetName: next ? labelOf(next) : null,
        before: { default: previous ? labelOf(previous) : null },
        after: { default: next ? labelOf(next) : null },
        metadata,
      });
      return;
    }
  }
}

export async function tenantOfPaymentMethod(tx: ScopedTx, gatewayId: string): Promise<string | undefined> {
  return (await paymentMethodByGatewayId(tx, gatewayId))?.tenantId;
}
