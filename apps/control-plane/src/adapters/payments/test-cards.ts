import { createHash } from 'node:crypto';
import type { GatewayPaymentMethod } from './port.js';

/**
 * What a test card does when it is verified for off-session use (Stripe's documented test cards);
 * `charge_fails` is verified and attached, then every charge is declined (4000 0000 0000 0341).
 */
export type CardBehaviour = 'succeeds' | 'charge_fails' | 'card_declined' | 'insufficient_funds' | 'expired_card' | 'authentication_required';
type Refusal = Exclude<CardBehaviour, 'succeeds' | 'charge_fails'>;

interface TestCard {
  number: string;
  brand: string;
  funding: 'credit' | 'debit';
  behaviour: CardBehaviour;
}

const cards: TestCard[] = [
  { number: '4242424242424242', brand: 'visa', funding: 'credit', behaviour: 'succeeds' },
  { number: '4000056655665556', brand: 'visa', funding: 'debit', behaviour: 'succeeds' },
  { number: '5555555555554444', brand: 'mastercard', funding: 'credit', behaviour: 'succeeds' },
  { number: '2223003122003222', brand: 'mastercard', funding: 'credit', behaviour: 'succeeds' },
  { number: '378282246310005', brand: 'amex', funding: 'credit', behaviour: 'succeeds' },
  { number: '6011111111111117', brand: 'discover', funding: 'credit', behaviour: 'succeeds' },
  { number: '4000000000000002', brand: 'visa', funding: 'credit', behaviour: 'card_declined' },
  { number: '4000000000009995', brand: 'visa', funding: 'credit', behaviour: 'insufficient_funds' },
  { number: '4000000000000069', brand: 'visa', funding: 'credit', behaviour: 'expired_card' },
  { number: '4000002500003155', brand: 'visa', funding: 'credit', behaviour: 'authentication_required' },
  { number: '4000000000000341', brand: 'visa', funding: 'credit', behaviour: 'charge_fails' },
];

/** Stripe's test PaymentMethod ids, as accepted by Stripe's test mode in place of a card. */
const testPaymentMethods: Record<string, string> = {
  pm_card_visa: '4242424242424242',
  pm_card_visa_debit: '4000056655665556',
  pm_card_mastercard: '5555555555554444',
  pm_card_amex: '378282246310005',
  pm_card_discover: '6011111111111117',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_visa_chargeDeclined: '4000000000000002',
  pm_card_visa_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeDeclinedExpiredCard: '4000000000000069',
  pm_card_authenticationRequired: '4000002500003155',
  pm_card_chargeCustomerFail: '4000000000000341',
};

export const declineMessages: Record<Refusal, string> = {
  card_declined: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  expired_card: 'Your card has expired.',
  authentication_required: 'This card requires authentication, which the local gateway cannot perform. Use 4242 4242 4242 4242.',
};

/** Why verifying the card for off-session use fails (null: it is attached). */
export function attachRefusal(behaviour: CardBehaviour): Refusal | null {
  return behaviour === 'succeeds' || behaviour === 'charge_fails' ? null : behaviour;
}

/** Why charging the card fails (null: the charge succeeds); a card that fails charges is `card_declined`. */
export function chargeRefusal(behaviour: CardBehaviour): Refusal | null {
  return behaviour === 'succeeds' ? null : behaviour === 'charge_fails' ? 'card_declined' : behaviour;
}

export function testCardByNumber(number: string): TestCard | undefined {
  const digits = number.replace(/\D/g, '');
  return cards.find((c) => c.number === digits);
}

export function testCardByPaymentMethodId(id: string): TestCard | undefined {
  const number = testPaymentMethods[id];
  return number ? testCardByNumber(number) : undefined;
}

export function fingerprintOf(number: string): string {
  return createHash('sha256').update(`cbp-local:${number.replace(/\D/g, '')}`).digest('base64url').slice(0, 16);
}

/** The card part of a payment method made from a test card (never the number itself). */
export function cardOf(card: TestCard, expMonth: number, expYear: number): NonNullable<GatewayPaymentMethod['card']> {
  return {
    brand: card.brand,
    last4: card.number.slice(-4),
    expMonth,
    expYear,
    funding: card.funding,
    fingerprint: fingerprintOf(card.number),
  };
}
