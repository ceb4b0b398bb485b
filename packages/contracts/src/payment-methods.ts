import { z } from 'zod';

export const PaymentMethodType = z.enum(['card', 'us_bank_account', 'sepa_debit']);
export type PaymentMethodType = z.infer<typeof PaymentMethodType>;

export const CardDetails = z.object({
  brand: z.string().describe('visa, mastercard, amex, discover, ...'),
  last4: z.string().regex(/^\d{4}$/),
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int(),
  funding: z.enum(['credit', 'debit', 'prepaid', 'unknown']),
});
export type CardDetails = z.infer<typeof CardDetails>;

export const PaymentMethod = z.object({
  id: z.uuid(),
  stripePaymentMethodId: z.string(),
  type: PaymentMethodType,
  isDefault: z.boolean(),
  card: CardDetails.optional(),
  bankAccount: z.object({ bankName: z.string().nullable(), last4: z.string() }).optional(),
  billingDetails: z.object({ name: z.string().nullable(), email: z.string().nullable() }),
  createdAt: z.iso.datetime(),
});
export type PaymentMethod = z.infer<typeof PaymentMethod>;

export const SetupIntent = z.object({
  setupIntentId: z.string(),
  clientSecret: z.string(),
  /** Which gateway the portal must confirm with: Stripe Elements, or the local card form. */
  gateway: z.enum(['stripe', 'local']),
  publishableKey: z.string().nullable(),
});
export type SetupIntent = z.infer<typeof SetupIntent>;

export const AddPaymentMethodRequest = z.object({
  stripePaymentMethodId: z.string().regex(/^pm_[A-Za-z0-9_]+$/, 'Must be a Stripe PaymentMethod id (pm_...)'),
  setAsDefault: z.boolean().optional(),
});
export type AddPaymentMethodRequest = z.infer<typeof AddPaymentMethodRequest>;

/** The local gateway's stand-in for Stripe.js tokenisation: accepts Stripe's test cards only. */
export const LocalCardRequest = z.object({
  number: z.string().regex(/^[\d ]{12,23}$/, 'Enter a card number'),
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int().min(2000).max(2100),
  cvc: z.string().regex(/^\d{3,4}$/, 'Enter the 3 or 4 digit security code'),
  postalCode: z.string().trim().min(2).max(12),
  name: z.string().trim().max(200).optional(),
});
export type LocalCardRequest = z.infer<typeof LocalCardRequest>;

export const LocalCardResponse = z.object({ paymentMethodId: z.string() });

/** Luhn checksum, used by the portal's card form and the local gateway alike. */
export function passesLuhn(digits: string): boolean {
  const d = digits.replace(/\D/g, '');
  if (d.length < 12) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = Number(d[d.length - 1 - i]);
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}
