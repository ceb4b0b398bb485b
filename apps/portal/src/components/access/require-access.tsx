import type { ReactNode } from 'react';
import { useCan } from '@refinedev/core';
import { AccessDenied } from '@/components/access/access-denied';
import { PageLoading } from '@/components/layout/page-loading';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { errorMessage } from '@/lib/axios';

interface RequireAccessProps {
  resource: string;
  action: string;
  children: ReactNode;
}

/** Guards a route with Refine access control; lower roles get the 403 view, not a blank page. */
export function RequireAccess({ resource, action, children }: RequireAccessProps) {
  const { data, isError, error } = useCan({ resource, action });
  if (isError) {
    return (
      <Alert variant="destructive" role="alert">
        <AlertTitle>We couldn't check your access to this page</AlertTitle>
        <AlertDescription>{errorMessage(error)}</AlertDescription>
      </Alert>
    );
  }
  if (!data) return <PageLoading label="Checking access…" />;
  if (!data.can) return <AccessDenied resource={resource} action={action} />;
  return <>{children}</>;
}
