import { createHash, randomUUID } from 'node:crypto';
import type { AddPaymentMethodRequest, PaymentMethod, SetupIntent } from '@cbp/contracts';
import { GatewayError, type PaymentGateway } from '../../adapters/payments/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext as TenantCtx } from '../../platform/context.js';
import { readTenant, withTenant, type AppDb } from '../../platform/db.js';
import { AppError, gatewayProblem, notFound } from '../../platform/errors.js';
import { withIdempotency, type IdempotentResult } from '../../platform/idempotency.js';
import { customerIdOf, subscriptionIsPaid } from '../billing/subscriptions.service.js';
import { auditViewOf, columnsOf, labelOf, paymentMethodFrom } from './mappers.js';
import {
  countPaymentMethods,
  deletePaymentMethod,
  insertPaymentMethodIfAbsent,
  listPaymentMethods,
  lockPaymentMethods,
  makeDefault,
  paymentMethodByGatewayId,
  paymentMethodById,
} from './payment-methods.repo.js';

export interface PaymentMethodDeps {
  db: AppDb;
  gateway: PaymentGateway;
  publishableKey: string | null;
  /** The Idempotency-Key lease (default and most: `IDEMPOTENCY_LEASE_MS`). */
  idempotencyLeaseMs?: number;
}


/**
 * Gateway errors as the API answers them (`gatewayProblem`, the error handler's own mapping),
 * turned into an AppError here so that an Idempotency-Key keeps a refusal such as a decline.
 */
async function viaGateway<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw err instanceof GatewayError ? gatewayProblem(err) : err;
  }
}

export async function createSetupIntent(deps: PaymentMethodDeps, tenantId: string): Promise<SetupIntent> {
  const customerId = await customerIdOf(deps.db, tenantId);
  const intent = await viaGateway(() => deps.gateway.createSetupIntent({ customerId }));
  return { setupIntentId: intent.id, clientSecret: intent.clientSecret, gateway: deps.gateway.name, publishableKey: deps.publishableKey };
}

export async function listMethods({ db }: PaymentMethodDeps, tenantId: string): Promise<PaymentMethod[]> {
  return readTenant(db, tenantId, async (tx) => (await listPaymentMethods(tx, tenantId)).map(paymentMethodFrom));
}

export async function getMethod({ db }: PaymentMethodDeps, tenantId: string, id: string): Promise<PaymentMethod> {
  const row = await readTenant(db, tenantId, (tx) => paymentMethodById(tx, tenantId, id));
  if (!row) throw notFound('Payment method');
  return paymentMethodFrom(row);
}

/**
 * Another customer's method (another tenant's) answers exactly like an unknown id: whether a
 * `pm_...` id exists elsewhere is not for this tenant to learn (no existence oracle).
 */
const foreignAsUnknown =
  (paymentMethodId: string) =>
  (err: unknown): never => {
    if (err instanceof GatewayError && (err.code === 'payment_method_in_use' || err.code === 'resource_missing')) {
      throw new AppError(404, 'NOT_FOUND', `No such payment method: '${paymentMethodId}'.`);
    }
    throw err;
  };

/**
 * Verifies the method at the gateway (declines are refused there and nothing is stored),
 * attaches it, refuses a card already saved, and records it; the first method becomes the
 * default. The whole call is idempotent per Idempotency-Key, and safe to re-run after a crash:
 * a retry that takes over an expired claim re-attaches with the same gateway idempotency key
 * (the gateway answers with the method already attached) and adopts what the dead attempt left:
 * a method attached at the gateway without a CBP row gets its row and audit entry now, a row
 * written meanwhile by the gateway's `payment_method.attached` event is answered as the result.
 * The row is unique per gateway id and written under a per-tenant lock, so nothing is saved twice.
 */
export function addMethod(
  deps: PaymentMethodDeps,
  ctx: TenantCtx,
  body: AddPaymentMethodRequest,
  idempotencyKey: string | undefined,
): Promise<IdempotentResult<PaymentMethod>> {
  const { tenantId } = ctx;
  const claim = { tenantId, scope: 'payment_methods.add', key: idempotencyKey, request: body, leaseMs: deps.idempotencyLeaseMs };
  return withIdempotency<PaymentMethod>(deps.db, claim, async ({ takeover }) => {
    // Only this tenant's methods count (filtered here too: the embedded database runs as a
    // superuser, whom RLS does not bind); another tenant's id goes on like an unknown one.
    const found = await withTenant(deps.db, tenantId, (tx) => paymentMethodByGatewayId(tx, body.stripePaymentMethodId));
    const known = found?.tenantId === tenantId ? found : undefined;
    // After a crash the gateway's attach event may have saved the method before this retry: adopt it.
    if (known && !(takeover && known.tenantId === tenantId)) {
      throw new AppError(409, 'PAYMENT_METHOD_EXISTS', 'This payment method is already saved.');
    }
    const customerId = await customerIdOf(deps.db, tenantId);
    const attached = await viaGateway(() =>
      deps.gateway
        .attachPaymentMethod({ customerId, paymentMethodId: body.stripePaymentMethodId, idempotencyKey: gatewayKeyOf(tenantId, idempotencyKey) })
        .catch(foreignAsUnknown(body.stripePaymentMethodId)),
    );
    // One writer of the tenant's methods at a time (adds, default changes, gateway events), so
    // "the first method becomes the default" holds under concurrent adds.
    const outcome = await withTenant(deps.db, tenantId, async (tx) => {
      await lockPaymentMethods(tx, tenantId);
      const all = await listPaymentMethods(tx, tenantId);
      const fingerprint = attached.card?.fingerprint;
      const duplicate = fingerprint ? all.find((m) => m.cardFingerprint === fingerprint && m.gatewayPaymentMethodId !== attached.id) : undefined;
      if (duplicate) return { duplicate };
      const others = all.filter((m) => m.gatewayPaymentMethodId !== attached.id);
      const { row: written, inserted } = await insertPaymentMethodIfAbsent(tx, { tenantId, ...columnsOf(attached), isDefault: false });
      const isDefault = written.isDefault || others.length === 0 || body.setAsDefault === true;
      const makesDefault = isDefault && !written.isDefault;
      if (makesDefault) await makeDefault(tx, tenantId, written.id);
      const row = { ...written, isDefault };
      if (inserted) {
        await recordAuditEntry(tx, ctx, {
          action: 'payment_method.added',
          targetType: 'payment_method',
          targetId: row.id,
          targetName: labelOf(row),
          after: auditViewOf(row),
          ...(takeover ? { metadata: { recoveredAttempt: true } } : {}),
        });
      } else if (makesDefault) {
        // Adopted (saved meanwhile by the gateway's event): only the default is this request's change.
        const previous = others.find((m) => m.isDefault);
        await recordAuditEntry(tx, ctx, {
          action: 'payment_method.default_changed',
          targetType: 'payment_method',
          targetId: row.id,
          targetName: labelOf(row),
          before: { default: previous ? labelOf(previous) : null },
          after: { default: labelOf(row) },
        });
      }
      return { row };
    });
    if (outcome.duplicate) {
      await viaGateway(() => deps.gateway.detachPaymentMethod({ paymentMethodId: attached.id }));
      throw new AppError(409, 'DUPLICATE_PAYMENT_METHOD', `This card is already saved as ${labelOf(outcome.duplicate)}.`);
    }
    const { row } = outcome;
    if (!row) throw new Error('unreachable: no duplicate and no row');
    // The gateway's default follows CBP's. Until the answer is stored under the key, a crash or a
    // gateway failure here is repaired by the retry: it adopts the row and sets the default again.
    if (row.isDefault) await viaGateway(() => deps.gateway.setDefaultPaymentMethod({ customerId, paymentMethodId: attached.id }));
    return { status: 201, body: paymentMethodFrom(row) };
  });
}

/**
 * The gateway's idempotency key of an add: derived from the tenant and the client's key (Stripe's
 * keys are account-wide, so two tenants' keys must not meet), the same on every retry.
 */
function gatewayKeyOf(tenantId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return randomUUID();
  return `cbp-pm-add-${createHash('sha256').update(`${tenantId}:${idempotencyKey}`).digest('hex').slice(0, 40)}`;
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
    await lockPaymentMethods(tx, ctx.tenantId);
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
