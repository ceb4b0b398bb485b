import type { PaymentMethod, SetupIntent } from '@/types/payment-method';

/** Expiry month and year `months` from the current month (negative: in the past). */
export function expiryIn(months: number, now: Date = new Date()): { expMonth: number; expYear: number } {
  const date = new Date(now.getFullYear(), now.getMonth() + months, 1);
  return { expMonth: date.getMonth() + 1, expYear: date.getFullYear() };
}

let sequence = 0;

/** A saved card, valid for years unless the overrides say otherwise. */
export function cardMethod(brand: string, last4: string, overrides: Partial<PaymentMethod> & { expiresIn?: number } = {}): PaymentMethod {
  const { expiresIn = 36, ...rest } = overrides;
  sequence += 1;
  return {
    id: `eeeeeeee-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    stripePaymentMethodId: `pm_test_${sequence}`,
    type: 'card',
    isDefault: false,
    card: { brand, last4, ...expiryIn(expiresIn), funding: 'credit' },
    billingDetails: { name: 'Olivia Owner', email: null },
    createdAt: '2025-06-01T00:00:00.000Z',
    ...rest,
  };
}

export const localSetupIntent: SetupIntent = {
  setupIntentId: 'seti_local_1',
  clientSecret: 'seti_local_1_secret_abc',
  gateway: 'local',
  publishableKey: null,
};
