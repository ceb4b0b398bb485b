import { Link } from 'react-router';
import { ShieldAlert } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { useSession } from '@/hooks/use-session';
import { usePageTitle } from '@/lib/page-title';
import { requiredRoleFor, roleName } from '@/lib/role-parser';

interface AccessDeniedProps {
  resource: string;
  action: string;
}

/** The 403 view of any guarded route: what is needed, what you have, and a way back. */
export function AccessDenied({ resource, action }: AccessDeniedProps) {
  usePageTitle('Access denied');
  const { role, membership } = useSession();
  const required = requiredRoleFor(resource, action);

  return (
    <div className="mx-auto max-w-lg py-12 text-center">
      <span className="mx-auto flex size-12 items-center justify-center rounded-full bg-red-50 dark:bg-red-400/10">
        <ShieldAlert className="size-6 text-red-700 dark:text-red-300" aria-hidden="true" />
      </span>
      <p className="mt-4 text-sm font-medium text-muted-foreground">Error 403</p>
      <h1 className="mt-1 text-2xl font-semibold tracking-tight">You don't have access to this page</h1>
      <dl className="mx-auto mt-6 grid max-w-xs grid-cols-2 gap-x-4 gap-y-3 rounded-lg border bg-card p-4 text-left text-sm">
        <dt className="text-muted-foreground">Role needed</dt>
        <dd data-testid="required-role">
          {required ? <Badge>{roleName(required)} or higher</Badge> : <Badge variant="secondary">Not available</Badge>}
        </dd>
        <dt className="text-muted-foreground">Your role</dt>
        <dd data-testid="current-role">
          <Badge variant="secondary">{role ? roleName(role) : 'None'}</Badge>
        </dd>
      </dl>
      <p className="mt-6 text-sm text-muted-foreground">
        {membership
          ? `Ask an admin or owner of ${membership.name} if you need access.`
          : 'Ask an admin or owner of your organization if you need access.'}
      </p>
      <Button asChild variant="outline" className="mt-6">
        <Link to="/">Back to the dashboard</Link>
      </Button>
    </div>
  );
}
