import type { PaymentMethod } from '@/types/payment-method';

/** Card brands as Stripe names them (`card.brand`). */
export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay';

interface BrandFacts {
  name: string;
  /** Leading digits that identify the brand; tested on partial numbers while typing. */
  prefix: RegExp;
  /** Digits per group as printed on the card: 4-4-4-4, American Express 4-6-5. */
  groups: readonly number[];
  cvcLength: number;
}

const brands: Record<CardBrand, BrandFacts> = {
  visa: { name: 'Visa', prefix: /^4/, groups: [4, 4, 4, 4], cvcLength: 3 },
  mastercard: { name: 'Mastercard', prefix: /^(5[1-5]|2(2[2-9]|[3-6]|7[01]|720))/, groups: [4, 4, 4, 4], cvcLength: 3 },
  amex: { name: 'American Express', prefix: /^3[47]/, groups: [4, 6, 5], cvcLength: 4 },
  discover: { name: 'Discover', prefix: /^6(011|4[4-9]|5)/, groups: [4, 4, 4, 4], cvcLength: 3 },
  diners: { name: 'Diners Club', prefix: /^3(0[0-5]|[689])/, groups: [4, 6, 4], cvcLength: 3 },
  jcb: { name: 'JCB', prefix: /^35/, groups: [4, 4, 4, 4], cvcLength: 3 },
  unionpay: { name: 'UnionPay', prefix: /^62/, groups: [4, 4, 4, 4], cvcLength: 3 },
};

const unknownBrand = { groups: [4, 4, 4, 4], cvcLength: 3 } as const;

function isCardBrand(brand: string): brand is CardBrand {
  return Object.hasOwn(brands, brand);
}

export function digitsOf(value: string): string {
  return value.replace(/\D/g, '');
}

/** The brand a (partial) card number belongs to, or null while it cannot be told. */
export function detectCardBrand(number: string): CardBrand | null {
  const digits = digitsOf(number);
  if (!digits) return null;
  for (const [brand, facts] of Object.entries(brands) as [CardBrand, BrandFacts][]) {
    if (facts.prefix.test(digits)) return brand;
  }
  return null;
}

/** "Visa", "American Express"; a brand CBP does not know is shown as Stripe sent it. */
export function cardBrandName(brand: string): string {
  return isCardBrand(brand) ? brands[brand].name : brand ? brand.charAt(0).toUpperCase() + brand.slice(1) : 'Card';
}

/** How many digits a complete number of this brand has. */
export function cardNumberLength(brand: CardBrand | null): number {
  return (brand ? brands[brand].groups : unknownBrand.groups).reduce((sum, n) => sum + n, 0);
}

export function cvcLength(brand: CardBrand | null): number {
  return brand ? brands[brand].cvcLength : unknownBrand.cvcLength;
}

/** Digits grouped as printed on the card, cut to the brand's length: "4242 4242 42", "3782 822463 10005". */
export function formatCardNumber(value: string): string {
  const brand = detectCardBrand(value);
  const digits = digitsOf(value).slice(0, cardNumberLength(brand));
  const groups: string[] = [];
  let start = 0;
  for (const size of brand ? brands[brand].groups : unknownBrand.groups) {
    if (start >= digits.length) break;
    groups.push(digits.slice(start, start + size));
    start += size;
  }
  return groups.join(' ');
}

const bankTypeNames: Record<Exclude<PaymentMethod['type'], 'card'>, string> = {
  us_bank_account: 'US bank account',
  sepa_debit: 'SEPA Direct Debit',
};

/** The method's kind for sentences: "card" or "bank account". */
export function paymentMethodNoun(method: PaymentMethod): string {
  return method.type === 'card' ? 'card' : 'bank account';
}

/** "Visa", "Chase" or "SEPA Direct Debit": what the method is, without its last digits. */
export function paymentMethodName(method: PaymentMethod): string {
  if (method.type === 'card') return cardBrandName(method.card?.brand ?? '');
  return method.bankAccount?.bankName ?? bankTypeNames[method.type];
}

function lastDigits(method: PaymentMethod): string {
  return (method.type === 'card' ? method.card?.last4 : method.bankAccount?.last4) ?? '';
}

/** "Visa •••• 4242", as the API names a method in its messages. */
export function paymentMethodLabel(method: PaymentMethod): string {
  return `${paymentMethodName(method)} •••• ${lastDigits(method)}`;
}

/** "Visa ending in 4242": the label as a screen reader should say it. */
export function paymentMethodSpokenLabel(method: PaymentMethod): string {
  return `${paymentMethodName(method)} ending in ${lastDigits(method)}`;
}
