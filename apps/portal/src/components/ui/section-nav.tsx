import { NavLink } from 'react-router';
import { cn } from '@/lib/cn';

export interface SectionLink {
  to: string;
  label: string;
  /** Active only on this exact path (the section's index page). */
  end: boolean;
}

/** Tabs-like links between the pages of one area; the active one carries `aria-current="page"`. */
export function SectionNav({ label, links }: { label: string; links: readonly SectionLink[] }) {
  return (
    <nav aria-label={label} className="mb-6 border-b">
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
