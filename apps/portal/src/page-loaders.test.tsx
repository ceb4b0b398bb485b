import { isValidElement, Suspense, type ReactElement, type ReactNode } from 'react';
import { createRoutesFromChildren, MemoryRouter, type RouteObject } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import { lazyPage, pageFor, pageOf, preloadPage } from '@/page-loaders';
import { AppRoutes } from '@/routes';

describe('page loaders', () => {
  it('know which page a path shows, parameters included', () => {
    expect(pageFor('/')).toBe('dashboard');
    expect(pageFor('/billing/invoices')).toBe('invoices');
    expect(pageFor('/billing/invoices/in_123')).toBe('invoiceDetail');
    expect(pageFor('/billing/invoices/')).toBe('invoices');
    expect(pageFor('/team/members/0b01')).toBe('memberDetail');
    expect(pageFor('/settings/profile')).toBe('profileSettings');
    expect(pageFor('/login')).toBe('login');
    // Redirects and unknown paths: nothing to preload.
    expect(pageFor('/admin')).toBeUndefined();
    expect(pageFor('/no/such/page')).toBeUndefined();
  });

  it('render a preloaded page at once, without its loading fallback', async () => {
    await preloadPage('notFound');
    const NotFound = lazyPage('notFound');
    const fallback = vi.fn(() => <p>Loading page</p>);
    const Fallback = fallback;
    render(
      <MemoryRouter>
        <Suspense fallback={<Fallback />}>
          <NotFound />
        </Suspense>
      </MemoryRouter>,
    );
    expect(screen.getByRole('heading', { name: 'Page not found' })).toBeInTheDocument();
    expect(fallback).not.toHaveBeenCalled();
  });

  it('show the fallback for a page whose code is not in yet', () => {
    const Outbox = lazyPage('outbox');
    const { unmount } = render(
      <MemoryRouter>
        <Suspense fallback={<p>Loading page</p>}>
          <Outbox />
        </Suspense>
      </MemoryRouter>,
    );
    expect(screen.getByText('Loading page')).toBeInTheDocument();
    unmount();
  });
});

describe('the paths page-loaders knows', () => {
  it('name the page routes.tsx renders at every path it routes to a page', () => {
    const suspense = AppRoutes() as ReactElement<{ children: ReactElement<{ children: ReactNode }> }>;
    const routes = createRoutesFromChildren(suspense.props.children.props.children);
    const checked: string[] = [];
    const visit = (list: RouteObject[], parent: string) => {
      for (const route of list) {
        const path = route.index ? parent : `${parent}/${route.path ?? ''}`.replace(/\/+/g, '/');
        const page = isValidElement(route.element) ? pageOf(route.element.type) : undefined;
        if (route.children) visit(route.children, path);
        else if (page && !path.includes('*')) {
          checked.push(path);
          expect(pageFor(path.replace(/:\w+/g, 'x') || '/'), path).toBe(page);
        }
      }
    };
    visit(routes, '');
    // Every page route was seen (sections and redirects have no page of their own).
    expect(checked.length).toBeGreaterThanOrEqual(30);
  });
});
