import { useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router';
import { ScrollText } from 'lucide-react';
import { RequireAccess } from '@/components/access/require-access';
import { AuditLogDetail } from '@/components/admin/AuditLogDetail';
import { AuditLogFilters } from '@/components/admin/AuditLogFilters';
import { AuditLogRow, actorName, auditLogCell, auditLogColumns, targetName } from '@/components/admin/AuditLogRow';
import {
  AUDIT_LOGS_PER_PAGE,
  auditLogViewParams,
  emptyView,
  hasFilters,
  readAuditLogView,
  type AuditLogView,
} from '@/components/admin/audit-log-search-params';
import { AuditChainStatus } from '@/components/admin/AuditChainStatus';
import { ExportButton } from '@/components/admin/ExportButton';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { EmptyState } from '@/components/ui/empty-state';
import { Pagination } from '@/components/ui/pagination';
import { Card } from '@/components/ui/card';
import { DataTable } from '@/components/ui/data-table';
import { useAuditLogPage } from '@/hooks/use-audit-logs';
import { useSession } from '@/hooks/use-session';
import type { AuditLog, AuditLogFilters as Filters } from '@/types/audit-log';

function NoEntries({ view, onReset }: { view: AuditLogView; onReset: () => void }) {
  const [title, body, action] = hasFilters(view.filters)
    ? ['No entries match these filters', 'Try a wider date range or fewer filters.', 'Clear filters']
    : view.page > 1
      ? [`There are no entries on page ${view.page}.`, 'The audit log is shorter than that.', 'Go to the first page']
      : ['No entries yet', 'Changes made in your organization are recorded here.', null];
  return (
    <EmptyState icon={ScrollText} title={title} body={body} action={action} onAction={onReset} testId="audit-logs-empty" />
  );
}

/** Names for the actor and target filters, taken from the entries they matched. */
function filterLabels(filters: Filters, entries: readonly AuditLog[]) {
  const byActor = filters.actorId ? entries.find((entry) => entry.actorId === filters.actorId) : undefined;
  const onTarget = filters.targetId ? entries.find((entry) => entry.targetId === filters.targetId) : undefined;
  return {
    actorLabel: byActor ? actorName(byActor) : undefined,
    targetLabel: onTarget ? (targetName(onTarget) ?? undefined) : undefined,
  };
}

/**
 * The view in the URL, and a way to change it. Changes build on the last URL asked for, not the
 * last one rendered: the router commits in a transition, and two quick changes must not lose one.
 */
function useAuditLogView() {
  const [searchParams, setSearchParams] = useSearchParams();
  const latest = useRef(searchParams);
  useEffect(() => {
    latest.current = searchParams;
  }, [searchParams]);
  const update = (change: (current: AuditLogView) => AuditLogView) => {
    const next = auditLogViewParams(change(readAuditLogView(latest.current)));
    latest.current = next;
    setSearchParams(next);
  };
  return [readAuditLogView(searchParams), update] as const;
}

function AuditLogList() {
  const { membership } = useSession();
  const [view, updateView] = useAuditLogView();
  const logs = useAuditLogPage({ ...view.filters, page: view.page, limit: AUDIT_LOGS_PER_PAGE });
  const result = logs.data;
  const entries = result?.data ?? [];
  const pageCount = result ? Math.max(1, Math.ceil(result.total / AUDIT_LOGS_PER_PAGE)) : 1;

  // A new filter starts again on page 1 and closes the drawer.
  const changeFilters = (change: Partial<Filters>) =>
    updateView((current) => ({ filters: { ...current.filters, ...change }, page: 1, entryId: undefined }));
  const clearFilters = () => updateView(() => emptyView);
  const openEntry = (entry: AuditLog) => updateView((current) => ({ ...current, entryId: entry.id }));

  return (
    <>
      <PageHeader
        title="Audit log"
        description={
          membership
            ? `Every change made in ${membership.name}: who, what and when, newest first`
            : 'Every change made in your organization: who, what and when, newest first'
        }
      />
      <AuditChainStatus onOpenEntry={(id) => updateView((current) => ({ ...current, entryId: id }))} />
      <AuditLogFilters
        filters={view.filters}
        onChange={changeFilters}
        onClear={clearFilters}
        {...filterLabels(view.filters, entries)}
      />

      {logs.error && !result ? (
        <QueryError title="We couldn't load the audit log" error={logs.error} onRetry={() => void logs.refetch()} />
      ) : (
        <Card className="overflow-hidden">
          <div className="flex items-center justify-between border-b px-4 py-2.5">
            <h2 className="text-sm font-semibold">Entries</h2>
            {result ? (
              <div className="flex items-center gap-3">
                <p className="text-sm text-muted-foreground" aria-live="polite" data-testid="audit-log-count">
                  {result.totalCapped
                    ? `${result.total.toLocaleString('en-US')}+ entries`
                    : result.total === 1
                      ? '1 entry'
                      : `${result.total.toLocaleString('en-US')} entries`}
                  {hasFilters(view.filters) ? ' match' : ''}
                </p>
                <ExportButton filters={view.filters} disabled={result.total === 0} />
              </div>
            ) : null}
          </div>
          {result && entries.length === 0 ? (
            <NoEntries view={view} onReset={clearFilters} />
          ) : (
            <DataTable
              caption={`Audit log entries, page ${view.page} of ${pageCount}`}
              columns={auditLogColumns}
              rows={result ? entries : undefined}
              renderRow={(entry) => (
                <AuditLogRow key={entry.id} entry={entry} onOpen={openEntry} onFilterActor={(actorId) => changeFilters({ actorId })} />
              )}
              loadingLabel="Loading the audit log…"
              skeleton={{ rows: 5, className: 'min-w-16', cellClassName: auditLogCell }}
              fetching={logs.isFetching}
              stale={logs.isPlaceholderData}
            />
          )}
          {result && result.total > AUDIT_LOGS_PER_PAGE ? (
            <Pagination page={view.page} pageCount={pageCount} onPage={(page) => updateView((current) => ({ ...current, page, entryId: undefined }))} />
          ) : null}
        </Card>
      )}

      <AuditLogDetail
        entryId={view.entryId}
        entry={entries.find((entry) => entry.id === view.entryId)}
        lookUp={!logs.isPending}
        onClose={() => updateView((current) => ({ ...current, entryId: undefined }))}
      />
    </>
  );
}

/** The tenant's audit trail: admins and owners only; other roles get the 403 view. */
export default function AuditLogsPage() {
  return (
    <RequireAccess resource="audit-logs" action="list">
      <AuditLogList />
    </RequireAccess>
  );
}
