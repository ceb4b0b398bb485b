import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '@/lib/axios';

/** Client errors (4xx) will not change on retry; network and 5xx errors get one more try. */
function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.statusCode >= 400 && error.statusCode < 500) return false;
  return failureCount < 1;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { refetchOnWindowFocus: false, retry: shouldRetry },
    },
  });
}

export const queryClient = createQueryClient();

/** Answers that do not depend on the tenant: Refine's auth check (refetching it blanks the layout) and /me. */
const tenantIndependent = new Set<unknown>(['auth', 'me']);

/** After a tenant switch every other cached answer may belong to the old tenant. */
export function invalidateTenantData(client: QueryClient): Promise<void> {
  return client.invalidateQueries({ predicate: (query) => !tenantIndependent.has(query.queryKey[0]) });
}
