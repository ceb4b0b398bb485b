import type { QuotaRow } from './usage.repo.js';

/** Overage of a quantity over the included one, priced per started `overageUnit`. */
export function overageOf(q: Pick<QuotaRow, 'includedQuantity' | 'overagePrice' | 'overageUnit'>, total: number) {
  const quantity = Math.max(0, total - q.includedQuantity);
  return { quantity, amount: Math.ceil(quantity / q.overageUnit) * q.overagePrice };
}

/** Share of the period elapsed at `now`, 0..1. */
export function elapsedShare(start: Date, end: Date, now = new Date()): number {
  const length = end.getTime() - start.getTime();
  if (length <= 0) return 1;
  return Math.min(1, Math.max(0, (now.getTime() - start.getTime()) / length));
}

/**
 * End-of-period usage at the current run rate. Too early in a period (under 5% elapsed) the
 * rate says little, so the projection is the usage so far.
 */
export function projectedUsage(current: number, elapsed: number): number {
  if (elapsed >= 1 || elapsed < 0.05) return current;
  return Math.round(current / elapsed);
}

/** `YYYY-MM` of a period: the month it starts in (UTC). */
export const periodKey = (start: Date) => start.toISOString().slice(0, 7);

export { shiftMonths } from '../../adapters/payments/proration.js';
