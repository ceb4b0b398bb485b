import { describe, expect, it } from 'vitest';
import { cardBrandName, detectCardBrand, formatCardNumber, paymentMethodLabel } from '@/components/billing/card-brands';
import { cardExpiryStatus, formatCardExpiry } from '@/components/billing/card-expiry';
import {
  cardErrorsFromProblem,
  cardNumberError,
  cvcError,
  expiryError,
  formatExpiry,
  toLocalCardRequest,
  validateCardForm,
} from '@/components/billing/card-validation';
import { cardMethod } from '@/test/payment-method-fixtures';

const june2026 = new Date(2026, 5, 15);

describe('card brands', () => {
  it('tells the brand from the first digits and spaces the number as printed on the card', () => {
    expect(detectCardBrand('4')).toBe('visa');
    expect(detectCardBrand('5555')).toBe('mastercard');
    expect(detectCardBrand('2221 00')).toBe('mastercard');
    expect(detectCardBrand('37')).toBe('amex');
    expect(detectCardBrand('6011')).toBe('discover');
    expect(detectCardBrand('9')).toBeNull();
    expect(formatCardNumber('4242424242424242999')).toBe('4242 4242 4242 4242');
    expect(formatCardNumber('42424')).toBe('4242 4');
    expect(formatCardNumber('378282246310005')).toBe('3782 822463 10005');
    expect(formatCardNumber('3782-8224-6310-0059')).toBe('3782 822463 10005');
    expect(cardBrandName('amex')).toBe('American Express');
    expect(cardBrandName('cartes_bancaires')).toBe('Cartes_bancaires');
    expect(paymentMethodLabel(cardMethod('mastercard', '4444'))).toBe('Mastercard •••• 4444');
  });
});

describe('card validation', () => {
  it('checks the number for length and with the Luhn checksum', () => {
    expect(cardNumberError('')).toBe('Enter your card number.');
    expect(cardNumberError('4242 4242 4242')).toBe('Your card number is incomplete.');
    expect(cardNumberError('4242 4242 4242 4241')).toBe('Your card number is invalid.');
    expect(cardNumberError('4242 4242 4242 4242')).toBeNull();
    expect(cardNumberError('3782 822463 10005')).toBeNull();
  });

  it('formats the expiry as MM / YY and refuses a past or impossible one', () => {
    expect(formatExpiry('4')).toBe('04');
    expect(formatExpiry('12')).toBe('12');
    expect(formatExpiry('1230')).toBe('12 / 30');
    expect(formatExpiry('12 / 3')).toBe('12 / 3');
    expect(expiryError('', june2026)).toBe('Enter the expiration date.');
    expect(expiryError('12 / 3', june2026)).toBe("Your card's expiration date is incomplete.");
    expect(expiryError('13 / 30', june2026)).toBe("Your card's expiration month is invalid.");
    expect(expiryError('05 / 26', june2026)).toBe("Your card's expiration date is in the past.");
    expect(expiryError('06 / 26', june2026)).toBeNull();
    expect(expiryError('01 / 99', june2026)).toBe("Your card's expiration year is invalid.");
  });

  it('wants 3 digits of security code, 4 for American Express', () => {
    expect(cvcError('', '4242')).toBe('Enter the security code.');
    expect(cvcError('12', '4242')).toBe("Your card's security code is incomplete.");
    expect(cvcError('123', '4242')).toBeNull();
    expect(cvcError('123', '3782')).toBe("Your card's security code is incomplete.");
    expect(cvcError('1234', '3782')).toBeNull();
  });

  it('builds the local gateway request from a valid form, without the spaces', () => {
    const values = { number: '4242 4242 4242 4242', expiry: '12 / 31', cvc: '123', postalCode: ' 10115 ', name: '' };
    expect(validateCardForm(values, june2026)).toEqual({});
    expect(toLocalCardRequest(values)).toEqual({ number: '4242424242424242', expMonth: 12, expYear: 2031, cvc: '123', postalCode: '10115' });
    expect(toLocalCardRequest({ ...values, name: ' Olivia Owner ' }).name).toBe('Olivia Owner');
  });

  it('puts the gateway refusals of a number, an expiry or a malformed field under that field', () => {
    const problem = { type: 'about:blank', title: 'Request refused', status: 422 };
    expect(cardErrorsFromProblem({ ...problem, code: 'NOT_A_TEST_CARD', detail: 'Test cards only.' })).toEqual({ number: 'Test cards only.' });
    expect(cardErrorsFromProblem({ ...problem, code: 'INVALID_EXPIRY', detail: 'In the past.' })).toEqual({ expiry: 'In the past.' });
    expect(
      cardErrorsFromProblem({ ...problem, status: 400, code: 'VALIDATION_FAILED', errors: [{ path: 'body.expYear', message: 'Too late' }] }),
    ).toEqual({ expiry: 'Too late' });
    expect(cardErrorsFromProblem({ ...problem, status: 402, code: 'CARD_DECLINED', detail: 'Your card was declined.' })).toBeNull();
    expect(cardErrorsFromProblem(null)).toBeNull();
  });
});

describe('card expiry', () => {
  it('is expired after its month, and expires soon in its month or the next two', () => {
    expect(cardExpiryStatus({ expMonth: 5, expYear: 2026 }, june2026)).toBe('expired');
    expect(cardExpiryStatus({ expMonth: 6, expYear: 2026 }, june2026)).toBe('expiring-soon');
    expect(cardExpiryStatus({ expMonth: 8, expYear: 2026 }, june2026)).toBe('expiring-soon');
    expect(cardExpiryStatus({ expMonth: 9, expYear: 2026 }, june2026)).toBe('valid');
    expect(cardExpiryStatus({ expMonth: 1, expYear: 2027 }, new Date(2026, 11, 1))).toBe('expiring-soon');
    expect(formatCardExpiry({ expMonth: 4, expYear: 2031 })).toBe('04/31');
  });
});
