import { useEffect, useMemo } from 'react';
import { BrowserRouter } from 'react-router';
import { Refine } from '@refinedev/core';
import routerProvider from '@refinedev/react-router';
import type { QueryClient } from '@tanstack/react-query';
import { Toaster } from 'sonner';
import { followSignOutElsewhere } from '@/lib/oidc';
import { queryClient as defaultQueryClient } from '@/lib/query-client';
import { useTheme } from '@/lib/theme';
import { createAccessControlProvider } from '@/providers/access-control';
import { createAuthProvider } from '@/providers/auth-provider';
import { createDataProvider } from '@/providers/dataProvider';
import { AppRoutes } from '@/routes';

/** Refine with CBP's providers and routes, inside whatever router the caller gives (tests use MemoryRouter). */
export function Portal({ queryClient }: { queryClient: QueryClient }) {
  const theme = useTheme();
  const providers = useMemo(
    () => ({
      auth: createAuthProvider(queryClient),
      accessControl: createAccessControlProvider(queryClient),
      data: createDataProvider(),
    }),
    [queryClient],
  );
  return (
    <Refine
      routerProvider={routerProvider}
      authProvider={providers.auth}
      accessControlProvider={providers.accessControl}
      dataProvider={providers.data}
      options={{ disableTelemetry: true, reactQuery: { clientConfig: queryClient } }}
    >
      <AppRoutes />
      <Toaster theme={theme} position="bottom-right" closeButton />
    </Refine>
  );
}

export function App() {
  useEffect(() => followSignOutElsewhere(), []);
  return (
    <BrowserRouter>
      <Portal queryClient={defaultQueryClient} />
    </BrowserRouter>
  );
}
