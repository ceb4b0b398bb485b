import { randomUUID } from 'node:crypto';
import type { AddPaymentMethodRequest, PaymentMethod, SetupIntent } from '@cbp/contracts';
import { GatewayError, type PaymentGateway } from '../../adapters/payments/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext as TenantCtx } from '../../platform/context.js';
import { withTenant, type AppDb } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { withIdempotency, type IdempotentResult } from '../../platform/idempotency.js';
import { customerIdOf, subscriptionIsPaid } from '../billing/subscriptions.service.js';
import { auditViewOf, columnsOf, labelOf, paymentMethodFrom } from './mappers.js';
import {
  countPaymentMethods,
  deletePaymentMethod,
  insertPaymentMethod,
  listPaymentMethods,
  makeDefault,
  paymentMethodByFingerprint,
  paymentMethodByGatewayId,
  paymentMethodById,
} from './payment-methods.repo.js';

export interface PaymentMethodDeps {
  db: AppDb;
  gateway: PaymentGateway;
  publishableKey: string | null;
}


/** Gateway refusals become problem+json with the gateway's code and its human sentence. */
async function viaGateway<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof GatewayError) {
      throw new AppError(err.status >= 500 ? 503 : err.status, err.status >= 500 ? 'PAYMENT_GATEWAY_UNAVAILABLE' : err.code.toUpperCase(), err.message);
    }
    throw err;
  }
}

export async function createSetupIntent(deps: PaymentMethodDeps, tenantId: string): Promise<SetupIntent> {
  const customerId = await customerIdOf(deps.db, tenantId);
  const intent = await viaGateway(() => deps.gateway.createSetupIntent({ customerId }));
  return { setupIntentId: intent.id, clientSecret: intent.clientSecret, gateway: deps.gateway.name, publishableKey: deps.publishableKey };
}

export async function listMethods({ db }: PaymentMethodDeps, tenantId: string): Promise<PaymentMethod[]> {
  return withTenant(db, tenantId, async (tx) => (await listPaymentMethods(tx, tenantId)).map(paymentMethodFrom));
}

export async function getMethod({ db }: PaymentMethodDeps, tenantId: string, id: string): Promise<PaymentMethod> {
  const row = await withTenant(db, tenantId, (tx) => paymentMethodById(tx, tenantId, id));
  if (!row) throw notFound('Payment method');
  return paymentMethodFrom(row);
}

/**
 * Verifies the method at the gateway (declines are refused there and nothing is stored),
 * attaches it, refuses a card already saved, and records it; the first method becomes the
 * default. The whole call is idempotent per Idempotency-Key.
 */
export function addMethod(
  deps: PaymentMethodDeps,
  ctx: TenantCtx,
  body: AddPaymentMethodRequest,
  idempotencyKey: string | undefined,
): Promise<IdempotentResult<PaymentMethod>> {
  return withIdempotency(deps.db, { tenantId: ctx.tenantId, scope: 'payment_methods.add', key: idempotencyKey, request: body }, async () => {
    const known = await paymentMethodByGatewayId(deps.db, body.stripePaymentMethodId);
    if (known) throw new AppError(409, 'PAYMENT_METHOD_EXISTS', 'This payment method is already saved.');
    const customerId = await customerIdOf(deps.db, ctx.tenantId);
    const attached = await viaGateway(() =>
      deps.gateway.attachPaymentMethod({ customerId, paymentMethodId: body.stripePaymentMethodId, idempotencyKey: idempotencyKey ?? randomUUID() }),
    );
    const fingerprint = attached.card?.fingerprint;
    const duplicate = fingerprint ? await withTenant(deps.db, ctx.tenantId, (tx) => paymentMethodByFingerprint(tx, ctx.tenantId, fingerprint)) : undefined;
    if (duplicate && duplicate.gatewayPaymentMethodId !== attached.id) {
      await viaGateway(() => deps.gateway.detachPaymentMethod({ paymentMethodId: attached.id }));
      throw new AppError(409, 'DUPLICATE_PAYMENT_METHOD', `This card is already saved as ${labelOf(duplicate)}.`);
    }
    const existing = await withTenant(deps.db, ctx.tenantId, (tx) => countPaymentMethods(tx, ctx.tenantId));
    const isDefault = existing === 0 || body.setAsDefault === true;
    if (isDefault) await viaGateway(() => deps.gateway.setDefaultPaymentMethod({ customerId, paymentMethodId: attached.id }));
    const row = await withTenant(deps.db, ctx.tenantId, async (tx) => {
      const inserted = await insertPaymentMethod(tx, { tenantId: ctx.tenantId, ...columnsOf(attached), isDefault: false });
      if (isDefault) await makeDefault(tx, ctx.tenantId, inserted.id);
      const saved = { ...inserted, isDefault };
      await recordAuditEntry(tx, ctx, {
        action: 'payment_method.added',
        targetType: 'payment_method',
        targetId: saved.id,
        targetName: labelOf(saved),
        after: auditViewOf(saved),
      });
      return saved;
    });
    return { status: 201, body: paymentMethodFrom(row) };
  });
}

export async function setDefaultMethod(deps: PaymentMethodDeps, ctx: TenantCtx, id: string): Promise<PaymentMethod> {
  const { row, previous } = await withTenant(deps.db, ctx.tenantId, async (tx) => {
    const all = await listPaymentMethods(tx, ctx.tenantId);
    return { row: all.find((m) => m.id === id), previous: all.find((m) => m.isDefault) };
  });
  if (!row) throw notFound('Payment method');
  if (row.isDefault) return paymentMethodFrom(row);
  const customerId = await customerIdOf(deps.db, ctx.tenantId);
  await viaGateway(() => deps.gateway.setDefaultPaymentMethod({ customerId, paymentMethodId: row.gatewayPaymentMethodId }));
  await withTenant(deps.db, ctx.tenantId, async (tx) => {
    await makeDefault(tx, ctx.tenantId, row.id);
    await recordAuditEntry(tx, ctx, {
      action: 'payment_method.default_changed',
      targetType: 'payment_method',
      targetId: row.id,
      targetName: labelOf(row),
      before: { default: previous ? labelOf(previous) : null },
      after: { default: labelOf(row) },
    });
  });
  return paymentMethodFrom({ ...row, isDefault: true });
}

export async function removeMethod(deps: PaymentMethodDeps, ctx: TenantCtx, id: string): Promise<void> {
  const { row, total } = await withTenant(deps.db, ctx.tenantId, async (tx) => ({
    row: await paymentMethodById(tx, ctx.tenantId, id),
    total: await countPaymentMethods(tx, ctx.tenantId),
  }));
  if (!row) throw notFound('Payment method');
  if (await subscriptionIsPaid(deps.db, ctx.tenantId)) {
    if (total === 1) {
      throw new AppError(422, 'LAST_PAYMENT_METHOD', 'Your subscription is paid, so it needs a payment method. Add another one before removing this one.');
    }
    if (row.isDefault) {
      throw new AppError(422, 'DEFAULT_PAYMENT_METHOD', `${labelOf(row)} is your default payment method. Make another method the default before removing it.`);
    }
  }
  await viaGateway(() => deps.gateway.detachPaymentMethod({ paymentMethodId: row.gatewayPaymentMethodId }));
  await withTenant(deps.db, ctx.tenantId, async (tx) => {
    await deletePaymentMethod(tx, row.id);
    await recordAuditEntry(tx, ctx, {
      action: 'payment_method.removed',
      targetType: 'payment_method',
      targetId: row.id,
      targetName: labelOf(row),
      before: auditViewOf(row),
    });
  });
}
