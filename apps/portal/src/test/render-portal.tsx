import { useEffect } from 'react';
import { render } from '@testing-library/react';
import { MemoryRouter, useLocation, type Location } from 'react-router';
import { QueryClient } from '@tanstack/react-query';
import { AxiosError, type AxiosAdapter } from 'axios';
import { Portal } from '@/App';
import { platformApi } from '@/lib/axios';

/**
 * A page under test never reaches a real API: a call its test did not mock (the quota banner's
 * status in a team test, say) fails at once, as with the network down.
 */
const noNetwork: AxiosAdapter = async (config) => {
  throw new AxiosError('No API in tests', AxiosError.ERR_NETWORK, config);
};
platformApi.defaults.adapter = noNetwork;

export function createTestQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } });
}

function LocationProbe({ onChange }: { onChange: (location: Location) => void }) {
  const location = useLocation();
  useEffect(() => {
    onChange(location);
  }, [location, onChange]);
  return null;
}

/** The whole portal (Refine, providers, routes) at `path`, as a signed-in browser would see it. */
export function renderPortal(path: string, queryClient: QueryClient = createTestQueryClient()) {
  let current: Location | null = null;
  const result = render(
    <MemoryRouter initialEntries={[path]}>
      <Portal queryClient={queryClient} />
      <LocationProbe
        onChange={(location) => {
          current = location;
        }}
      />
    </MemoryRouter>,
  );
  /** Path plus query string of the page shown now, e.g. `/billing/invoices?status=open`. */
  const currentUrl = () => (current ? `${current.pathname}${current.search}` : path);
  return { ...result, queryClient, currentUrl };
}
