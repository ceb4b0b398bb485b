import { NavLink } from 'react-router';
import { cn } from '@/lib/cn';

const links = [
  { to: '/billing', label: 'Overview', end: true },
  { to: '/billing/plans', label: 'Plans', end: false },
  { to: '/billing/invoices', label: 'Invoices', end: false },
  { to: '/billing/payment-methods', label: 'Payment methods', end: false },
] as const;

/** Tabs-like links between the billing pages; the active one carries `aria-current="page"`. */
export function BillingNav() {
  return (
    <nav aria-label="Billing" className="mb-6 border-b">
      <ul className="-mb-px flex gap-6 overflow-x-auto">
        {links.map((link) => (
          <li key={link.to}>
            <NavLink
              to={link.to}
              end={link.end}
              className={({ isActive }) =>
                cn(
                  'inline-flex border-b-2 px-0.5 pb-2.5 text-sm font-medium whitespace-nowrap transition-colors',
                  isActive
                    ? 'border-primary text-foreground'
                    : 'border-transparent text-muted-foreground hover:border-border hover:text-foreground',
                )
              }
            >
              {link.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
