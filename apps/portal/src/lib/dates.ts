/*
 * Billing dates are shown in UTC, as the API writes them into line descriptions and invoice
 * PDFs: the same invoice then reads the same dates on screen, on paper and for every viewer.
 */
const longDate = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
const shortDate = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** "June 1, 2025" */
export function formatDate(iso: string): string {
  return longDate.format(new Date(iso));
}

/** "Jun 1, 2025" */
export function formatShortDate(iso: string): string {
  return shortDate.format(new Date(iso));
}

/** "Jun 1 – Jul 1, 2025" */
export function formatPeriod(startIso: string, endIso: string): string {
  return shortDate.formatRange(new Date(startIso), new Date(endIso));
}
