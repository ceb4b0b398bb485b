import { useEffect, useRef, useState } from 'react';
import { NavLink, useLocation } from 'react-router';
import { cn } from '@/lib/cn';

export interface SectionLink {
  to: string;
  label: string;
  /** Active only on this exact path (the section's index page). */
  end: boolean;
}

/** Which ends of a horizontally scrolling list hide links (a phone shows only some tabs). */
function useHiddenEnds(list: HTMLElement | null): { start: boolean; end: boolean } {
  const [hidden, setHidden] = useState({ start: false, end: false });
  useEffect(() => {
    if (!list) return;
    const measure = () => {
      const start = list.scrollLeft > 1;
      const end = list.scrollLeft + list.clientWidth < list.scrollWidth - 1;
      setHidden((was) => (was.start === start && was.end === end ? was : { start, end }));
    };
    measure();
    list.addEventListener('scroll', measure, { passive: true });
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure);
    observer?.observe(list);
    return () => {
      list.removeEventListener('scroll', measure);
      observer?.disconnect();
    };
  }, [list]);
  return hidden;
}

/**
 * Tabs-like links between the pages of one area; the active one carries `aria-current="page"`.
 * On a narrow screen the row scrolls sideways: the active tab is scrolled into view and a fade
 * at either edge shows that more tabs are there.
 */
export function SectionNav({ label, links }: { label: string; links: readonly SectionLink[] }) {
  const [list, setList] = useState<HTMLUListElement | null>(null);
  const hidden = useHiddenEnds(list);
  const { pathname } = useLocation();
  const scrolled = useRef<string | null>(null);

  useEffect(() => {
    if (!list || scrolled.current === pathname) return;
    scrolled.current = pathname;
    const active = list.querySelector<HTMLElement>('[aria-current="page"]');
    if (active && list.scrollWidth > list.clientWidth) {
      list.scrollTo({ left: Math.max(0, active.offsetLeft - (list.clientWidth - active.offsetWidth) / 2) });
    }
  }, [list, pathname]);

  return (
    <nav aria-label={label} className="relative mb-6 border-b">
      <ul ref={setList} className="-mb-px flex gap-6 overflow-x-auto [scrollbar-width:none]">
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
      {hidden.start ? (
        <span aria-hidden="true" data-testid="section-nav-more-start" className="pointer-events-none absolute inset-y-0 left-0 w-8 bg-gradient-to-r from-background to-transparent" />
      ) : null}
      {hidden.end ? (
        <span aria-hidden="true" data-testid="section-nav-more-end" className="pointer-events-none absolute inset-y-0 right-0 w-8 bg-gradient-to-l from-background to-transparent" />
      ) : null}
    </nav>
  );
}
