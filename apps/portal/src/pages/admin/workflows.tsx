import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { RefreshCw, Workflow as WorkflowIcon, X } from 'lucide-react';
import { RequireAccess } from '@/components/access/require-access';
import { dateAndTimeUtc, formatDateTimeUtc } from '@/components/admin/audit-log-format';
import {
  WORKFLOWS_PER_PAGE,
  WORKFLOW_REFRESH_MS,
  WorkflowStatusBadge,
  formatDuration,
  hasWorkflowFilters,
  readWorkflowView,
  workflowQueryOf,
  workflowStatusLooks,
  workflowStatuses,
  workflowViewParams,
  type WorkflowView,
} from '@/components/admin/workflow-format';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { DataTable, TableHeading } from '@/components/ui/data-table';
import { EmptyState } from '@/components/ui/empty-state';
import { FilterSelect, selectControl } from '@/components/ui/filter-select';
import { Pagination } from '@/components/ui/pagination';
import { useWorkflowPage } from '@/hooks/use-workflows';
import { useSession } from '@/hooks/use-session';
import { cn } from '@/lib/cn';
import type { Workflow, WorkflowStatus } from '@/types/workflow';

const cell = 'px-4 py-3 align-top';
const control = cn(selectControl, 'w-full');
const field = 'flex min-w-40 flex-1 basis-44 flex-col gap-1.5';

/** The view in the URL and a way to change it, building on the last URL asked for (two quick changes keep both). */
function useWorkflowView() {
  const [searchParams, setSearchParams] = useSearchParams();
  const latest = useRef(searchParams);
  useEffect(() => {
    latest.current = searchParams;
  }, [searchParams]);
  const update = (change: (current: WorkflowView) => WorkflowView) => {
    const next = workflowViewParams(change(readWorkflowView(latest.current)));
    latest.current = next;
    setSearchParams(next);
  };
  return [readWorkflowView(searchParams), update] as const;
}

/** A text field's draft, reset whenever the URL's value changes under it (a cleared filter). */
function useDraft(value: string) {
  const [draft, setDraft] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setDraft(value);
  }
  return [draft, setDraft] as const;
}

interface TenantOption {
  value: string;
  label: string;
}

function WorkflowFilters({
  view,
  onChange,
  onClear,
  types,
  tenants,
}: {
  view: WorkflowView;
  onChange: (change: Partial<WorkflowView>) => void;
  onClear: () => void;
  /** Types seen so far, offered while typing. */
  types: readonly string[];
  /** Staff only: the tenant filter's options. */
  tenants: readonly TenantOption[] | null;
}) {
  const [type, setType] = useDraft(view.type ?? '');
  const applyType = () => {
    const next = type.trim() || undefined;
    if (next !== view.type) onChange({ type: next });
  };
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    applyType();
  };
  return (
    <form role="search" aria-label="Workflow filters" onSubmit={submit} className="mb-4 rounded-xl border bg-card p-4 shadow-xs">
      <div className="flex flex-wrap items-end gap-3">
        <FilterSelect<WorkflowStatus>
          id="workflow-status"
          label="Status"
          value={view.status}
          allLabel="All statuses"
          options={workflowStatuses.map((status) => ({ value: status, label: workflowStatusLooks[status].label }))}
          onChange={(status) => onChange({ status })}
          className={field}
        />
        <div className={field}>
          <label htmlFor="workflow-type" className="text-sm font-medium">
            Type
          </label>
          <input
            id="workflow-type"
            value={type}
            onChange={(event) => setType(event.target.value)}
            onBlur={applyType}
            onKeyDown={(event) => {
              // Enter applies the type (the form has several fields and no submit button, so it would not submit).
              if (event.key === 'Enter') {
                event.preventDefault();
                applyType();
              }
            }}
            list="workflow-types"
            placeholder="e.g. billing.clock"
            maxLength={200}
            autoComplete="off"
            spellCheck={false}
            aria-describedby="workflow-type-hint"
            className={cn(control, 'font-mono')}
          />
          <datalist id="workflow-types">
            {types.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
          <span id="workflow-type-hint" className="sr-only">
            Exact type; press Enter to apply
          </span>
        </div>
        {tenants ? (
          <FilterSelect<string>
            id="workflow-tenant"
            label="Tenant"
            value={view.tenant}
            allLabel="All tenants"
            options={tenants}
            onChange={(tenant) => onChange({ tenant })}
            className={field}
          />
        ) : null}
        <fieldset className="grid min-w-64 flex-[2] basis-72 grid-cols-2 gap-2">
          <legend className="mb-1.5 text-sm font-medium">Started (UTC)</legend>
          <div className="flex flex-col gap-1">
            <label htmlFor="workflow-from" className="text-xs text-muted-foreground">
              From
            </label>
            <input
              id="workflow-from"
              type="date"
              value={view.from ?? ''}
              max={view.to}
              onChange={(event) => onChange({ from: event.target.value || undefined })}
              className={control}
            />
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor="workflow-to" className="text-xs text-muted-foreground">
              To
            </label>
            <input
              id="workflow-to"
              type="date"
              value={view.to ?? ''}
              min={view.from}
              onChange={(event) => onChange({ to: event.target.value || undefined })}
              className={control}
            />
          </div>
        </fieldset>
        {hasWorkflowFilters(view) ? (
          <Button type="button" variant="ghost" onClick={onClear}>
            <X aria-hidden="true" />
            Clear filters
          </Button>
        ) : null}
      </div>
    </form>
  );
}

function WorkflowRow({ run, tenantName }: { run: Workflow; tenantName: string | null }) {
  const [day, time] = dateAndTimeUtc(run.startedAt);
  return (
    <tr className="hover:bg-muted/50" data-testid="workflow-row">
      <td className={cell}>
        <Link
          to={`/workflows/${run.id}`}
          className="font-mono text-sm font-medium text-primary underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
        >
          {run.type}
        </Link>
        <span className="mt-0.5 block font-mono text-xs text-muted-foreground" title={run.id}>
          {run.id.slice(0, 8)}
          {run.attempt > 1 ? ` · attempt ${run.attempt}` : ''}
        </span>
      </td>
      <td className={cell}>
        <WorkflowStatusBadge status={run.status} />
      </td>
      <td className={cn(cell, 'max-w-72')}>
        {run.status === 'failed' && run.error ? (
          <>
            <span className="block font-mono text-xs">{run.error.step ?? 'workflow code'}</span>
            <span className="mt-0.5 block truncate text-xs text-red-700 dark:text-red-300" title={run.error.message}>
              {run.error.message}
            </span>
          </>
        ) : (
          <span className="font-mono text-xs text-muted-foreground">{run.currentStep ?? '—'}</span>
        )}
      </td>
      <td className={cn(cell, 'whitespace-nowrap tabular-nums')}>
        <time dateTime={run.startedAt} title={formatDateTimeUtc(run.startedAt)}>
          <span className="block">{day}</span>
          <span className="block text-xs text-muted-foreground">{time}</span>
        </time>
      </td>
      <td className={cn(cell, 'whitespace-nowrap tabular-nums')}>
        {formatDuration(run.duration)}
        {run.status === 'running' ? <span className="block text-xs text-muted-foreground">so far</span> : null}
      </td>
      {tenantName !== null ? <td className={cn(cell, 'whitespace-nowrap')}>{tenantName}</td> : null}
    </tr>
  );
}

function WorkflowList() {
  const { me, role } = useSession();
  const staff = role === 'super_admin';
  const [view, updateView] = useWorkflowView();
  const runs = useWorkflowPage(workflowQueryOf(view, staff));
  const result = runs.data;
  const pageCount = result ? Math.max(1, Math.ceil(result.total / WORKFLOWS_PER_PAGE)) : 1;
  const active = result?.data.some((run) => run.status === 'running') ?? false;

  // Types seen on any page so far, offered in the type filter.
  const [types, setTypes] = useState<string[]>([]);
  const seen = result?.data.map((run) => run.type) ?? [];
  if (seen.some((type) => !types.includes(type))) setTypes([...new Set([...types, ...seen])].sort());

  const tenantNames = new Map((me?.tenants ?? []).map((tenant) => [tenant.id, tenant.name]));
  const tenantOf = (id: string | null) => (id === null ? 'Platform' : (tenantNames.get(id) ?? `Tenant ${id.slice(0, 8)}`));
  const tenantOptions = staff
    ? [{ value: 'platform', label: 'Platform runs' }, ...(me?.tenants ?? []).map((tenant) => ({ value: tenant.id, label: tenant.name }))]
    : null;
  const columns = ['Type', 'Status', 'Step', 'Started', 'Duration', ...(staff ? ['Tenant'] : [])];

  const changeFilters = (change: Partial<WorkflowView>) => updateView((current) => ({ ...current, ...change, page: 1 }));
  const clear = () => updateView(() => ({ page: 1 }));
  const goTo = (page: number) => updateView((current) => ({ ...current, page }));

  const empty: { title: string; body: string; action: string | null; onAction: () => void } = hasWorkflowFilters(view)
    ? { title: 'No workflows match these filters', body: 'Try another status or a wider date range.', action: 'Clear filters', onAction: clear }
    : view.page > 1
      ? { title: `There are no workflows on page ${view.page}.`, body: 'The list is shorter than that.', action: 'Go to the first page', onAction: () => goTo(1) }
      : { title: 'No workflows yet', body: 'Background work such as billing renewals and usage period closes appears here as it runs.', action: null, onAction: clear };

  return (
    <>
      <PageHeader
        title="Workflows"
        description={staff ? "Durable background work of every tenant and of the platform, newest first" : "Your organization's durable background work: each run, its steps and their errors, newest first"}
      />
      <WorkflowFilters view={view} onChange={changeFilters} onClear={clear} types={types} tenants={tenantOptions} />
      {runs.error && !result ? (
        <QueryError title="We couldn't load the workflows" error={runs.error} onRetry={() => void runs.refetch()} />
      ) : (
        <Card className="overflow-hidden">
          <TableHeading
            title="Runs"
            count={result ? (result.total === 1 ? '1 run' : `${result.total.toLocaleString('en-US')} runs`) : undefined}
            countTestId="workflow-count"
          />
          {active ? (
            <p className="flex items-center gap-2 border-b bg-muted/30 px-4 py-2 text-xs text-muted-foreground" data-testid="workflow-auto-refresh">
              <RefreshCw className={cn('size-3.5', runs.isFetching && 'animate-spin motion-reduce:animate-none')} aria-hidden="true" />
              Refreshing every {WORKFLOW_REFRESH_MS / 1000} seconds while runs are active
            </p>
          ) : null}
          {runs.error && result ? (
            <p role="alert" className="border-b px-4 py-2 text-xs text-red-700 dark:text-red-300">
              The last refresh failed; showing the runs as they were.
            </p>
          ) : null}
          {result && result.data.length === 0 ? (
            <EmptyState icon={WorkflowIcon} {...empty} testId="workflows-empty" />
          ) : (
            <DataTable
              caption={`Workflow runs, page ${view.page} of ${pageCount}`}
              columns={columns}
              rows={result?.data}
              renderRow={(run) => <WorkflowRow key={run.id} run={run} tenantName={staff ? tenantOf(run.tenantId) : null} />}
              loadingLabel="Loading workflows…"
              skeleton={{ rows: 5, className: 'min-w-16', cellClassName: cell }}
              fetching={runs.isFetching}
              stale={runs.isPlaceholderData}
            />
          )}
          {result && result.total > WORKFLOWS_PER_PAGE ? <Pagination page={view.page} pageCount={pageCount} onPage={goTo} /> : null}
        </Card>
      )}
    </>
  );
}

/** Workflow monitoring (engineer and above): runs with their status, filters in the URL, live while runs are active. */
export default function WorkflowsPage() {
  return (
    <RequireAccess resource="workflows" action="list">
      <WorkflowList />
    </RequireAccess>
  );
}
