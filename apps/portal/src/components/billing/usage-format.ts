import { metricTypes } from '@cbp/contracts';
import { formatMoney } from '@/lib/money';
import type { Quota, UsageStatus } from '@/types/usage';

const count = new Intl.NumberFormat();
const monthYear = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
const shortMonthYear = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
const monthDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** "85,000" */
export function formatCount(quantity: number): string {
  return count.format(quantity);
}

/** The API's units are plural ("calls", "seats", "GB"): one of them reads "call", "seat", "GB". */
export function unitFor(quantity: number, unit: string): string {
  return quantity === 1 && /[a-z]s$/.test(unit) ? unit.slice(0, -1) : unit;
}

/** "85,000 calls", "1 seat" */
export function formatQuantity(quantity: number, unit: string): string {
  return `${count.format(quantity)} ${unitFor(quantity, unit)}`;
}

/** "$2.00 per 10,000 calls", "$0.50 per GB"; a price of zero means usage past the included quantity is not billed. */
export function overagePriceText(quota: Pick<Quota, 'overagePrice' | 'overageUnit' | 'currency' | 'unit'>): string {
  if (quota.overagePrice === 0) return 'Not billed';
  const per = quota.overageUnit === 1 ? unitFor(1, quota.unit) : formatQuantity(quota.overageUnit, quota.unit);
  return `${formatMoney(quota.overagePrice, quota.currency)} per ${per}`;
}

/** `2026-05` -> "May 2026" (a billing period's name). */
export function formatBillingMonth(billingPeriod: string): string {
  const [year, month] = billingPeriod.split('-').map(Number);
  if (!year || !month) return billingPeriod;
  return monthYear.format(new Date(Date.UTC(year, month - 1, 1)));
}

/** A trend bar's label: `2026-05` -> "May 2026", `2026-06-12` -> "Jun 12". */
export function formatTrendPeriod(period: string, style: 'short' | 'long' = 'long'): string {
  const [year, month, day] = period.split('-').map(Number);
  if (!year || !month) return period;
  const date = new Date(Date.UTC(year, month - 1, day ?? 1));
  if (day) return monthDay.format(date);
  return style === 'short' ? shortMonthYear.format(date) : monthYear.format(date);
}

/** Known metrics in the contract's order, then any others alphabetically. */
export function byMetricOrder<T extends { metricType: string }>(items: readonly T[]): T[] {
  const rank = (metric: string) => {
    const index = (metricTypes as readonly string[]).indexOf(metric);
    return index === -1 ? metricTypes.length : index;
  };
  return [...items].sort((a, b) => rank(a.metricType) - rank(b.metricType) || a.metricType.localeCompare(b.metricType));
}

// The rule is the contract's, so the staff console's tenant list (API) says the same.
export { APPROACHING_SHARE, usageLevel, type UsageLevel } from '@cbp/contracts';

/** Usage as a share of its soft limit (else its included quantity), in percent; null without either. */
export function percentOfLimit(status: Pick<UsageStatus, 'currentUsage' | 'softLimit' | 'includedQuantity'>): number | null {
  const limit = status.softLimit ?? (status.includedQuantity > 0 ? status.includedQuantity : null);
  return limit ? Math.round((status.currentUsage / limit) * 100) : null;
}

const conjunction = new Intl.ListFormat(undefined, { type: 'conjunction' });

/** "API calls", "API calls and Storage", "API calls, Storage, and Users" */
export function listNames(names: readonly string[]): string {
  return conjunction.format(names);
}
