import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { QueryClient } from '@tanstack/react-query';
import { Portal } from '@/App';

export function createTestQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } });
}

/** The whole portal (Refine, providers, routes) at `path`, as a signed-in browser would see it. */
export function renderPortal(path: string, queryClient: QueryClient = createTestQueryClient()) {
  const result = render(
    <MemoryRouter initialEntries={[path]}>
      <Portal queryClient={queryClient} />
    </MemoryRouter>,
  );
  return { ...result, queryClient };
}
