import { NavLink } from 'react-router';
import { CanAccess } from '@refinedev/core';
import { cn } from '@/lib/cn';
import { navItems, type NavItem } from '@/components/layout/navigation';

function NavEntry({ item, onNavigate }: { item: NavItem; onNavigate?: () => void }) {
  const Icon = item.icon;
  return (
    <li>
      <NavLink
        to={item.to}
        end={item.to === '/'}
        onClick={onNavigate}
        className={({ isActive }) =>
          cn(
            'flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium transition-colors',
            isActive
              ? 'bg-accent text-foreground'
              : 'text-muted-foreground hover:bg-accent/60 hover:text-foreground',
          )
        }
      >
        <Icon className="size-4 shrink-0" aria-hidden="true" />
        {item.label}
      </NavLink>
    </li>
  );
}

/** The portal's main navigation; entries the role cannot open are not shown. */
export function SidebarNav({ onNavigate }: { onNavigate?: () => void }) {
  return (
    <nav aria-label="Main" className="flex-1 px-3 py-4">
      <ul className="space-y-1">
        {navItems.map((item) =>
          item.access ? (
            <CanAccess key={item.to} resource={item.access.resource} action={item.access.action}>
              <NavEntry item={item} onNavigate={onNavigate} />
            </CanAccess>
          ) : (
            <NavEntry key={item.to} item={item} onNavigate={onNavigate} />
          ),
        )}
      </ul>
    </nav>
  );
}
