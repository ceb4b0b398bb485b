import type { QuoteLine } from './port.js';

export interface PricedPlan {
  name: string;
  priceMonthly: number;
}

/** A date as invoice lines print it, e.g. "Nov 25, 2026" (UTC). */
export const shortDate = (d: Date) => d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

const day = (d: Date) => d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/**
 * Stripe's `create_prorations` for a price change at `at` inside [start, end): a credit for the
 * unused time on the old price and a charge for the remaining time on the new one, both
 * proportional to the seconds left in the period and rounded to the minor unit.
 */
export function prorationLines(from: PricedPlan, to: PricedPlan, start: Date, end: Date, at: Date): QuoteLine[] {
  const total = Math.floor((end.getTime() - start.getTime()) / 1000);
  // A change at (or, with rounding, just before) the period start prorates the whole period.
  const left = Math.min(total, Math.floor((end.getTime() - at.getTime()) / 1000));
  if (total <= 0 || left <= 0) return [];
  const fraction = left / total;
  const lines: QuoteLine[] = [];
  const credit = Math.round(from.priceMonthly * fraction);
  const charge = Math.round(to.priceMonthly * fraction);
  if (credit !== 0) lines.push({ description: `Unused time on ${from.name} after ${day(at)}`, amount: -credit });
  if (charge !== 0) lines.push({ description: `Remaining time on ${to.name} after ${day(at)}`, amount: charge });
  return lines;
}

/** The same day `months` months later (or earlier), clamped to short months: Stripe's billing anchor. */
export function shiftMonths(d: Date, months: number): Date {
  const shifted = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
  const lastDay = new Date(Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, 0)).getUTCDate();
  shifted.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return shifted;
}

export const addMonth = (d: Date) => shiftMonths(d, 1);
