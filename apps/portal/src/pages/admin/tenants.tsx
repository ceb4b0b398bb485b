import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Building2, X } from 'lucide-react';
import { TenantStatus } from '@cbp/contracts';
import { RequireAccess } from '@/components/access/require-access';
import { TenantStatusBadge, UsageStatusBadge, planOptions, tenantStatusLooks, tenantStatuses } from '@/components/admin/admin-tenant-format';
import { CreateTenantDialog } from '@/components/admin/create-tenant-dialog';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { SearchField } from '@/components/team/SearchField';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { DataTable, TableHeading } from '@/components/ui/data-table';
import { EmptyState } from '@/components/ui/empty-state';
import { FilterSelect } from '@/components/ui/filter-select';
import { Pagination } from '@/components/ui/pagination';
import { formatDate } from '@/lib/dates';
import { cn } from '@/lib/cn';
import { ADMIN_TENANTS_PER_PAGE, listAdminTenants, type AdminTenantFilters, type AdminTenantListItem } from '@/services/admin-tenants.service';

const cell = 'px-4 py-3 align-top';
const field = 'flex min-w-40 flex-1 basis-44 flex-col gap-1.5';

/** The list's view in the URL: ?search=&status=&plan=&page=. */
function readView(params: URLSearchParams): AdminTenantFilters {
  const status = TenantStatus.safeParse(params.get('status'));
  const plan = params.get('plan');
  const page = Number(params.get('page'));
  return {
    page: Number.isInteger(page) && page > 1 ? page : 1,
    search: params.get('search')?.trim() || undefined,
    status: status.success ? status.data : undefined,
    plan: planOptions.some((p) => p.value === plan) ? (plan ?? undefined) : undefined,
  };
}

function paramsOf(view: AdminTenantFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (view.search) params.set('search', view.search);
  if (view.status) params.set('status', view.status);
  if (view.plan) params.set('plan', view.plan);
  if (view.page > 1) params.set('page', String(view.page));
  return params;
}

function TenantRow({ tenant }: { tenant: AdminTenantListItem }) {
  return (
    <tr className="hover:bg-muted/50" data-testid="admin-tenant-row">
      <td className={cell}>
        <Link
          to={`/admin/tenants/${tenant.id}`}
          className="font-medium text-primary underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
        >
          {tenant.name}
        </Link>
        <span className="mt-0.5 block font-mono text-xs text-muted-foreground">{tenant.slug}</span>
      </td>
      <td className={cell}>{tenant.plan?.name ?? '—'}</td>
      <td className={cell}>
        <TenantStatusBadge status={tenant.status} />
      </td>
      <td className={cn(cell, 'tabular-nums')}>{tenant.members.toLocaleString('en-US')}</td>
      <td className={cell}>
        <UsageStatusBadge status={tenant.usageStatus} />
      </td>
      <td className={cn(cell, 'whitespace-nowrap tabular-nums')}>
        <time dateTime={tenant.createdAt}>{formatDate(tenant.createdAt)}</time>
      </td>
    </tr>
  );
}

function TenantList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const view = readView(searchParams);
  const tenants = useQuery({ queryKey: ['admin-tenants', 'list', view], queryFn: () => listAdminTenants(view), placeholderData: keepPreviousData });
  const result = tenants.data;
  const pageCount = result ? Math.max(1, Math.ceil(result.total / ADMIN_TENANTS_PER_PAGE)) : 1;
  const filtered = Boolean(view.search || view.status || view.plan);
  const change = (next: Partial<AdminTenantFilters>) => setSearchParams(paramsOf({ ...view, ...next, page: next.page ?? 1 }));
  const clear = () => setSearchParams(new URLSearchParams());

  const empty = filtered
    ? { title: 'No organizations match these filters', body: 'Try another search, status or plan.', action: 'Clear filters', onAction: clear }
    : view.page > 1
      ? { title: `There are no organizations on page ${view.page}.`, body: 'The list is shorter than that.', action: 'Go to the first page', onAction: () => change({ page: 1 }) }
      : { title: 'No organizations yet', body: 'Create the first one with "Create organization".', action: null, onAction: clear };

  return (
    <>
      <PageHeader title="Tenants" description="Every organization on the platform: its plan, status, members and usage" actions={<CreateTenantDialog />} />
      <div className="mb-4 flex flex-wrap items-end gap-3 rounded-xl border bg-card p-4 shadow-xs">
        <SearchField id="admin-tenant-search" label="Search" placeholder="Name or slug" value={view.search ?? ''} onSearch={(search) => change({ search })} />
        <FilterSelect
          id="admin-tenant-status"
          label="Status"
          value={view.status}
          allLabel="All statuses"
          options={tenantStatuses.map((status) => ({ value: status, label: tenantStatusLooks[status].label }))}
          onChange={(status) => change({ status })}
          className={field}
        />
        <FilterSelect id="admin-tenant-plan" label="Plan" value={view.plan} allLabel="All plans" options={planOptions} onChange={(plan) => change({ plan })} className={field} />
        {filtered ? (
          <Button type="button" variant="ghost" onClick={clear}>
            <X aria-hidden="true" />
            Clear filters
          </Button>
        ) : null}
      </div>
      {tenants.error && !result ? (
        <QueryError title="We couldn't load the organizations" error={tenants.error} onRetry={() => void tenants.refetch()} />
      ) : (
        <Card className="overflow-hidden">
          <TableHeading
            title="Organizations"
            count={result ? (result.total === 1 ? '1 organization' : `${result.total.toLocaleString('en-US')} organizations`) : undefined}
            countTestId="admin-tenant-count"
          />
          {result && result.data.length === 0 ? (
            <EmptyState icon={Building2} {...empty} testId="admin-tenants-empty" />
          ) : (
            <DataTable
              caption={`Organizations, page ${view.page} of ${pageCount}`}
              columns={['Organization', 'Plan', 'Status', 'Members', 'Usage', 'Created']}
              rows={result?.data}
              renderRow={(tenant) => <TenantRow key={tenant.id} tenant={tenant} />}
              loadingLabel="Loading organizations…"
              skeleton={{ rows: 4, className: 'min-w-16', cellClassName: cell }}
              fetching={tenants.isFetching}
              stale={tenants.isPlaceholderData}
            />
          )}
          {result && result.total > ADMIN_TENANTS_PER_PAGE ? <Pagination page={view.page} pageCount={pageCount} onPage={(page) => change({ page })} /> : null}
        </Card>
      )}
    </>
  );
}

/** The staff console: every tenant of the platform (platform staff only). */
export default function AdminTenantsPage() {
  return (
    <RequireAccess resource="admin-tenants" action="list">
      <TenantList />
    </RequireAccess>
  );
}
