import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { SectionNav } from '@/components/ui/section-nav';

const links = ['Profile', 'Password', 'Appearance', 'Sessions', 'Notifications'].map((label, i) => ({
  to: i === 0 ? '/settings' : `/settings/${label.toLowerCase()}`,
  label,
  end: i === 0,
}));

/** jsdom lays nothing out: a 200 px wide row of five 100 px tabs, as on a phone. */
function layOut(list: HTMLElement, { width, scrollWidth }: { width: number; scrollWidth: number }) {
  Object.defineProperty(list, 'clientWidth', { configurable: true, get: () => width });
  Object.defineProperty(list, 'scrollWidth', { configurable: true, get: () => scrollWidth });
  list.querySelectorAll('a').forEach((a, i) => {
    Object.defineProperty(a, 'offsetLeft', { configurable: true, get: () => i * 100 });
    Object.defineProperty(a, 'offsetWidth', { configurable: true, get: () => 100 });
  });
}


describe('SectionNav', () => {
  it('marks the current page and shows a fade where tabs are scrolled out of sight', () => {
    render(
      <MemoryRouter initialEntries={['/settings/notifications']}>
        <SectionNav label="Settings" links={links} />
      </MemoryRouter>,
    );
    const nav = screen.getByRole('navigation', { name: 'Settings' });
    expect(screen.getByRole('link', { name: 'Notifications' })).toHaveAttribute('aria-current', 'page');
    const list = nav.querySelector('ul');
    if (!list) throw new Error('no list');
    layOut(list, { width: 200, scrollWidth: 500 });
    // Scrolled to the start: more tabs hide at the end only.
    list.scrollLeft = 0;
    fireEvent.scroll(list);
    expect(screen.queryByTestId('section-nav-more-start')).not.toBeInTheDocument();
    expect(screen.getByTestId('section-nav-more-end')).toBeInTheDocument();
    // Scrolled to the end: the first tabs hide.
    list.scrollLeft = 300;
    fireEvent.scroll(list);
    expect(screen.getByTestId('section-nav-more-start')).toBeInTheDocument();
    expect(screen.queryByTestId('section-nav-more-end')).not.toBeInTheDocument();
    // Everything fits: no fade at all.
    layOut(list, { width: 600, scrollWidth: 500 });
    list.scrollLeft = 0;
    fireEvent.scroll(list);
    expect(screen.queryByTestId('section-nav-more-start')).not.toBeInTheDocument();
    expect(screen.queryByTestId('section-nav-more-end')).not.toBeInTheDocument();
  });
});
