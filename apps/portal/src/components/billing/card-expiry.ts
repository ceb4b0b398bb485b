import type { CardDetails } from '@/types/payment-method';

export type CardExpiryStatus = 'expired' | 'expiring-soon' | 'valid';

/** Months from now's month to the expiry month: 0 = expires this month, -1 = expired last month. */
function monthsUntilExpiry(card: Pick<CardDetails, 'expMonth' | 'expYear'>, now: Date): number {
  return card.expYear * 12 + (card.expMonth - 1) - (now.getFullYear() * 12 + now.getMonth());
}

/**
 * A card works through the last day of its expiry month. "Expires soon": it expires this month
 * or within the next two, early enough to add a new card before an invoice fails.
 */
export function cardExpiryStatus(card: Pick<CardDetails, 'expMonth' | 'expYear'>, now: Date = new Date()): CardExpiryStatus {
  const months = monthsUntilExpiry(card, now);
  if (months < 0) return 'expired';
  if (months <= 2) return 'expiring-soon';
  return 'valid';
}

/** "04/27" */
export function formatCardExpiry(card: Pick<CardDetails, 'expMonth' | 'expYear'>): string {
  return `${String(card.expMonth).padStart(2, '0')}/${String(card.expYear % 100).padStart(2, '0')}`;
}
