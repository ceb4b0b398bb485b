import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { AlertTriangle, ArrowRight, Check } from 'lucide-react';
import { PageHeader } from '@/components/layout/page-header';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Badge, type BadgeProps } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { useSession } from '@/hooks/use-session';
import { errorMessage } from '@/lib/axios';
import { formatMoney } from '@/lib/money';
import { roleDescription, roleName } from '@/lib/role-parser';
import { getCurrentTenant, getPlans } from '@/services/session.service';
import type { Plan, Tenant, TenantStatus } from '@/types/session';

const statusBadges: Record<TenantStatus, { label: string; variant: BadgeProps['variant'] }> = {
  active: { label: 'Active', variant: 'success' },
  suspended: { label: 'Suspended', variant: 'warning' },
  pending_deletion: { label: 'Pending deletion', variant: 'destructive' },
};

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

function CardSkeleton() {
  return (
    <div className="space-y-3">
      <Skeleton className="h-7 w-40" />
      <Skeleton className="h-4 w-28" />
      <Skeleton className="h-4 w-32" />
    </div>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-4 py-1.5 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 truncate text-right">{children}</dd>
    </div>
  );
}

function OrganizationCard({ tenant }: { tenant: Tenant | undefined }) {
  return (
    <Card aria-labelledby="organization-card-title" aria-busy={!tenant}>
      <CardHeader>
        <CardTitle id="organization-card-title">Organization</CardTitle>
      </CardHeader>
      <CardContent>
        {tenant ? (
          <>
            <p className="truncate text-xl font-semibold tracking-tight" data-testid="tenant-name">
              {tenant.name}
            </p>
            <dl className="mt-3 divide-y">
              <Field label="Slug">
                <code className="font-mono text-xs" data-testid="tenant-slug">
                  {tenant.slug}
                </code>
              </Field>
              <Field label="Status">
                <Badge variant={statusBadges[tenant.status].variant} data-testid="tenant-status">
                  {statusBadges[tenant.status].label}
                </Badge>
              </Field>
              <Field label="Created">{dateFormat.format(new Date(tenant.createdAt))}</Field>
            </dl>
          </>
        ) : (
          <CardSkeleton />
        )}
      </CardContent>
    </Card>
  );
}

function PlanSummary({ tenant, plans }: { tenant: Tenant; plans: Plan[] }) {
  if (!tenant.planId) {
    return (
      <>
        <p className="text-xl font-semibold tracking-tight" data-testid="plan-name">
          No plan
        </p>
        <p className="mt-1 text-sm text-muted-foreground">This organization has no subscription plan.</p>
      </>
    );
  }
  const plan = plans.find((p) => p.id === tenant.planId);
  if (!plan) {
    return (
      <>
        <p className="text-xl font-semibold tracking-tight" data-testid="plan-name">
          Unknown plan
        </p>
        <p className="mt-1 text-sm text-muted-foreground">The plan of this organization is not in the plan catalogue.</p>
      </>
    );
  }
  return (
    <>
      <div className="flex items-center gap-2">
        <p className="truncate text-xl font-semibold tracking-tight" data-testid="plan-name">
          {plan.name}
        </p>
        {plan.tier !== plan.name.toLowerCase() ? (
          <Badge variant="secondary" className="capitalize">
            {plan.tier}
          </Badge>
        ) : null}
      </div>
      <p className="mt-1 text-sm" data-testid="plan-price">
        <span className="font-medium">{formatMoney(plan.priceMonthly, plan.currency)}</span>
        <span className="text-muted-foreground">
          {' '}
          per month{plan.interval === 'year' ? ', billed yearly' : ''}
        </span>
      </p>
      {plan.features.length > 0 ? (
        <ul className="mt-3 space-y-1.5 text-sm" aria-label={`${plan.name} plan features`}>
          {plan.features.slice(0, 4).map((feature) => (
            <li key={feature} className="flex gap-2">
              <Check className="mt-0.5 size-4 shrink-0 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />
              <span className="min-w-0">{feature}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

function PlanCard({ tenant, plans, error, onRetry }: {
  tenant: Tenant | undefined;
  plans: Plan[] | undefined;
  error: unknown;
  onRetry: () => void;
}) {
  return (
    <Card aria-labelledby="plan-card-title" aria-busy={!error && (!tenant || !plans)} className="flex flex-col">
      <CardHeader>
        <CardTitle id="plan-card-title">Plan</CardTitle>
      </CardHeader>
      <CardContent className="flex-1">
        {error ? (
          <div role="alert" className="text-sm">
            <p className="font-medium">Plan details are unavailable</p>
            <p className="mt-1 text-muted-foreground">{errorMessage(error)}</p>
            <Button variant="outline" size="sm" className="mt-3" onClick={onRetry}>
              Try again
            </Button>
          </div>
        ) : tenant && plans ? (
          <PlanSummary tenant={tenant} plans={plans} />
        ) : (
          <CardSkeleton />
        )}
      </CardContent>
      <CardFooter>
        <Link
          to="/billing"
          className="inline-flex items-center gap-1 text-sm font-medium text-primary underline-offset-4 hover:underline"
        >
          Billing <ArrowRight className="size-3.5" aria-hidden="true" />
        </Link>
      </CardFooter>
    </Card>
  );
}

function AccessCard() {
  const { role, me } = useSession();
  return (
    <Card aria-labelledby="access-card-title">
      <CardHeader>
        <CardTitle id="access-card-title">Your role</CardTitle>
      </CardHeader>
      <CardContent>
        <p className="text-xl font-semibold tracking-tight" data-testid="user-role">
          {role ? roleName(role) : 'None'}
        </p>
        {role ? <p className="mt-1 text-sm text-muted-foreground">{roleDescription(role)}</p> : null}
        {me ? (
          <dl className="mt-3 divide-y">
            <Field label="Signed in as">{me.user.email}</Field>
          </dl>
        ) : null}
      </CardContent>
    </Card>
  );
}

export default function DashboardPage() {
  const { membership, tenantId } = useSession();
  const tenantQuery = useQuery({
    queryKey: ['tenant', tenantId, 'current'],
    queryFn: getCurrentTenant,
    enabled: tenantId !== null,
  });
  const plansQuery = useQuery({
    queryKey: ['tenant', tenantId, 'plans'],
    queryFn: getPlans,
    enabled: tenantId !== null,
  });

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={membership ? `Overview of ${membership.name}` : 'Overview of your organization'}
      />
      {tenantQuery.isLoading ? (
        <p role="status" className="sr-only">
          Loading your organization…
        </p>
      ) : null}
      {tenantQuery.error ? (
        <Alert variant="destructive" role="alert" className="mb-6">
          <AlertTriangle aria-hidden="true" />
          <div className="flex-1">
            <AlertTitle>We couldn't load your organization</AlertTitle>
            <AlertDescription>{errorMessage(tenantQuery.error)}</AlertDescription>
            <Button variant="outline" size="sm" className="mt-3" onClick={() => void tenantQuery.refetch()}>
              Try again
            </Button>
          </div>
        </Alert>
      ) : null}
      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
        {tenantQuery.error ? null : (
          <>
            <OrganizationCard tenant={tenantQuery.data} />
            <PlanCard
              tenant={tenantQuery.data}
              plans={plansQuery.data}
              error={plansQuery.error}
              onRetry={() => void plansQuery.refetch()}
            />
          </>
        )}
        <AccessCard />
      </div>
    </>
  );
}
