import { SectionNav } from '@/components/ui/section-nav';

const links = [
  { to: '/billing', label: 'Overview', end: true },
  { to: '/billing/plans', label: 'Plans', end: false },
  { to: '/billing/invoices', label: 'Invoices', end: false },
  { to: '/billing/payment-methods', label: 'Payment methods', end: false },
] as const;

/** Links between the billing pages. */
export function BillingNav() {
  return <SectionNav label="Billing" links={links} />;
}
