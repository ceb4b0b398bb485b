/** Formats integer minor units in their ISO currency (2 decimals for USD, 0 for JPY, ...). */
export function formatMoney(minorUnits: number, currency: string, locale?: string): string {
  const formatter = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() });
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  return formatter.format(minorUnits / 10 ** digits);
}
