import type { PaymentMethod } from '@cbp/contracts';
import type { GatewayPaymentMethod } from '../../adapters/payments/port.js';
import type { NewPaymentMethod, PaymentMethodRow } from './payment-methods.repo.js';

export function paymentMethodFrom(row: PaymentMethodRow): PaymentMethod {
  return {
    id: row.id,
    stripePaymentMethodId: row.gatewayPaymentMethodId,
    type: row.type,
    isDefault: row.isDefault,
    ...(row.type === 'card' && row.cardBrand && row.cardLast4 && row.cardExpMonth && row.cardExpYear
      ? {
          card: {
            brand: row.cardBrand,
            last4: row.cardLast4,
            expMonth: row.cardExpMonth,
            expYear: row.cardExpYear,
            funding: row.cardFunding ?? 'unknown',
          },
        }
      : {}),
    ...(row.bankLast4 ? { bankAccount: { bankName: row.bankName, last4: row.bankLast4 } } : {}),
    billingDetails: { name: row.billingName, email: row.billingEmail },
    createdAt: row.createdAt.toISOString(),
  };
}

/** Columns of a gateway payment method (what CBP keeps: brand, last4, expiry; never the number). */
export function columnsOf(pm: GatewayPaymentMethod): Omit<NewPaymentMethod, 'tenantId' | 'isDefault'> {
  return {
    gatewayPaymentMethodId: pm.id,
    type: pm.type,
    cardBrand: pm.card?.brand ?? null,
    cardLast4: pm.card?.last4 ?? null,
    cardExpMonth: pm.card?.expMonth ?? null,
    cardExpYear: pm.card?.expYear ?? null,
    cardFunding: pm.card?.funding ?? null,
    cardFingerprint: pm.card?.fingerprint ?? null,
    bankName: pm.bankAccount?.bankName ?? null,
    bankLast4: pm.bankAccount?.last4 ?? null,
    billingName: pm.billingDetails.name,
    billingEmail: pm.billingDetails.email,
  };
}

const brandNames: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', discover: 'Discover' };

/** "Visa •••• 4242": how a method is named to people and in the audit trail. */
export function labelOf(row: Pick<PaymentMethodRow, 'type' | 'cardBrand' | 'cardLast4' | 'bankName' | 'bankLast4'>): string {
  if (row.type === 'card') return `${brandNames[row.cardBrand ?? ''] ?? row.cardBrand ?? 'Card'} •••• ${row.cardLast4 ?? ''}`;
  return `${row.bankName ?? 'Bank account'} •••• ${row.bankLast4 ?? ''}`;
}

/** What the audit trail records of a method: never more than brand, last4 and expiry. */
export function auditViewOf(row: PaymentMethodRow) {
  return {
    label: labelOf(row),
    type: row.type,
    brand: row.cardBrand,
    last4: row.cardLast4 ?? row.bankLast4,
    expMonth: row.cardExpMonth,
    expYear: row.cardExpYear,
    isDefault: row.isDefault,
  };
}
