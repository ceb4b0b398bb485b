import { passesLuhn, type Problem } from '@cbp/contracts';
import { cardNumberLength, cvcLength, detectCardBrand, digitsOf } from '@/components/billing/card-brands';
import type { LocalCardRequest } from '@/types/payment-method';

/** What the card form holds, as typed (the number with its spaces, the expiry as "MM / YY"). */
export interface CardFormValues {
  number: string;
  expiry: string;
  cvc: string;
  postalCode: string;
  name: string;
}

export type CardField = keyof CardFormValues;
export type CardFormErrors = Partial<Record<CardField, string>>;

/** Field order on screen: the first invalid one gets the focus. */
export const cardFields: readonly CardField[] = ['number', 'expiry', 'cvc', 'postalCode', 'name'];

export const emptyCardForm: CardFormValues = { number: '', expiry: '', cvc: '', postalCode: '', name: '' };

/** Cards are not issued for longer than this; a later year is a typing mistake. */
const MAX_YEARS_AHEAD = 20;

/**
 * "MM / YY" as the user types: "4" becomes "04" (no month starts with 4), the separator appears
 * with the third digit, so deleting back over it never fights the user.
 */
export function formatExpiry(value: string): string {
  let digits = digitsOf(value).slice(0, 4);
  if (/^[2-9]/.test(digits)) digits = `0${digits}`.slice(0, 4);
  return digits.length > 2 ? `${digits.slice(0, 2)} / ${digits.slice(2)}` : digits;
}

/** Month and full year of an "MM / YY" value, or null while it is incomplete. */
export function parseExpiry(value: string): { month: number; year: number } | null {
  const digits = digitsOf(value);
  if (digits.length !== 4) return null;
  return { month: Number(digits.slice(0, 2)), year: 2000 + Number(digits.slice(2)) };
}

export function cardNumberError(number: string): string | null {
  const digits = digitsOf(number);
  if (!digits) return 'Enter your card number.';
  if (digits.length < cardNumberLength(detectCardBrand(digits))) return 'Your card number is incomplete.';
  if (!passesLuhn(digits)) return 'Your card number is invalid.';
  return null;
}

/** A card is valid through the last day of its expiry month. */
export function expiryError(expiry: string, now: Date): string | null {
  if (!expiry.trim()) return 'Enter the expiration date.';
  const parsed = parseExpiry(expiry);
  if (!parsed) return "Your card's expiration date is incomplete.";
  if (parsed.month < 1 || parsed.month > 12) return "Your card's expiration month is invalid.";
  const thisYear = now.getFullYear();
  if (parsed.year < thisYear || (parsed.year === thisYear && parsed.month < now.getMonth() + 1)) {
    return "Your card's expiration date is in the past.";
  }
  if (parsed.year > thisYear + MAX_YEARS_AHEAD) return "Your card's expiration year is invalid.";
  return null;
}

export function cvcError(cvc: string, number: string): string | null {
  if (!cvc) return 'Enter the security code.';
  if (cvc.length !== cvcLength(detectCardBrand(number))) return "Your card's security code is incomplete.";
  return null;
}

export function postalCodeError(postalCode: string): string | null {
  const trimmed = postalCode.trim();
  if (!trimmed) return 'Enter your postal code.';
  if (trimmed.length < 2) return 'Your postal code is incomplete.';
  return null;
}

/** The error of one field, or null when it is fine. The name on the card is optional. */
export function cardFieldError(field: CardField, values: CardFormValues, now: Date): string | null {
  switch (field) {
    case 'number':
      return cardNumberError(values.number);
    case 'expiry':
      return expiryError(values.expiry, now);
    case 'cvc':
      return cvcError(values.cvc, values.number);
    case 'postalCode':
      return postalCodeError(values.postalCode);
    case 'name':
      return null;
  }
}

export function validateCardForm(values: CardFormValues, now: Date): CardFormErrors {
  const errors: CardFormErrors = {};
  for (const field of cardFields) {
    const error = cardFieldError(field, values, now);
    if (error) errors[field] = error;
  }
  return errors;
}

/** The local gateway's request for a form that passed `validateCardForm`. */
export function toLocalCardRequest(values: CardFormValues): LocalCardRequest {
  const expiry = parseExpiry(values.expiry) ?? { month: 0, year: 0 };
  const name = values.name.trim();
  return {
    number: digitsOf(values.number),
    expMonth: expiry.month,
    expYear: expiry.year,
    cvc: values.cvc,
    postalCode: values.postalCode.trim(),
    ...(name ? { name } : {}),
  };
}

/** Which form field an API field path (`body.cvc`, `body.expMonth`) is about. */
function cardFieldOfPath(path: string): CardField | null {
  const name = path.replace(/^body\./, '');
  if (name === 'number' || name === 'cvc' || name === 'postalCode' || name === 'name') return name;
  if (name === 'expMonth' || name === 'expYear') return 'expiry';
  return null;
}

/** The local gateway refuses a card number or expiry with these codes; the sentence belongs under that field. */
const fieldOfCode: Record<string, CardField> = {
  INCORRECT_NUMBER: 'number',
  NOT_A_TEST_CARD: 'number',
  INVALID_EXPIRY: 'expiry',
};

/** Field errors in an API refusal, or null when the refusal is about the card as a whole (a decline). */
export function cardErrorsFromProblem(problem: Problem | null): CardFormErrors | null {
  if (!problem) return null;
  const field = fieldOfCode[problem.code];
  if (field) return { [field]: problem.detail ?? problem.title };
  const errors: CardFormErrors = {};
  for (const fieldError of problem.errors ?? []) {
    const errorField = cardFieldOfPath(fieldError.path);
    if (errorField) errors[errorField] ??= fieldError.message;
  }
  return Object.keys(errors).length > 0 ? errors : null;
}
