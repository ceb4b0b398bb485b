import { describe, expect, it } from 'vitest';
import { formatQuantity, formatTrendPeriod, listNames, overagePriceText, unitFor } from '@/components/billing/usage-format';

describe('usage-format', () => {
  it("reads the API's plural units in the singular for one unit", () => {
    expect(unitFor(1, 'calls')).toBe('call');
    expect(unitFor(1, 'GB')).toBe('GB');
    expect(formatQuantity(1, 'seats')).toBe('1 seat');
    expect(formatQuantity(1_234_567, 'calls')).toBe('1,234,567 calls');
  });

  it('prices overage per unit or per block of units, in minor units of the currency', () => {
    expect(overagePriceText({ overagePrice: 200, overageUnit: 10_000, currency: 'usd', unit: 'calls' })).toBe('$2.00 per 10,000 calls');
    expect(overagePriceText({ overagePrice: 50, overageUnit: 1, currency: 'usd', unit: 'GB' })).toBe('$0.50 per GB');
    expect(overagePriceText({ overagePrice: 500, overageUnit: 1, currency: 'jpy', unit: 'seats' })).toBe('¥500 per seat');
    expect(overagePriceText({ overagePrice: 0, overageUnit: 1, currency: 'usd', unit: 'seats' })).toBe('Not billed');
  });

  it('names months and days of a trend in UTC', () => {
    expect(formatTrendPeriod('2026-01')).toBe('January 2026');
    expect(formatTrendPeriod('2026-01', 'short')).toBe('Jan 2026');
    expect(formatTrendPeriod('2026-06-30')).toBe('Jun 30');
  });

  it('lists metric names as a sentence does', () => {
    expect(listNames(['API calls'])).toBe('API calls');
    expect(listNames(['API calls', 'Storage'])).toBe('API calls and Storage');
  });
});
