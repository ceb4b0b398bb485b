import { useRef, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ArrowRight, ArrowUpRight, Minus, PencilLine, Plus } from 'lucide-react';
import { ActorTypeBadge, actorName } from '@/components/admin/AuditLogRow';
import {
  actionLabel,
  diffRows,
  fieldLabel,
  formatDateTimeUtc,
  formatValue,
  targetPageOf,
  targetTypeLabel,
  type DiffRow,
  type FieldChange,
} from '@/components/admin/audit-log-format';
import { auditLogHref } from '@/components/admin/audit-log-search-params';
import { QueryError } from '@/components/billing/query-error';
import { Badge, type BadgeProps } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogTitle } from '@/components/ui/dialog';
import { Skeleton } from '@/components/ui/skeleton';
import { useAuditLog } from '@/hooks/use-audit-logs';
import { ApiError } from '@/lib/axios';
import { cn } from '@/lib/cn';
import type { AuditLog } from '@/types/audit-log';

const sectionTitle = 'mb-2 text-sm font-semibold';

/* A change is named in words and marked with an icon as well as a colour. */
const changeLooks: Record<Exclude<FieldChange, 'unchanged'>, { label: string; variant: BadgeProps['variant']; icon: typeof Plus }> = {
  changed: { label: 'Changed', variant: 'warning', icon: PencilLine },
  added: { label: 'Added', variant: 'success', icon: Plus },
  removed: { label: 'Removed', variant: 'destructive', icon: Minus },
};

function Value({ value }: { value: unknown }) {
  const text = formatValue(value);
  if (text === null) return <span className="text-muted-foreground italic">none</span>;
  return <span className="[overflow-wrap:anywhere]">{text}</span>;
}

function DiffTableRow({ row }: { row: DiffRow }) {
  const look = row.change === 'unchanged' ? null : changeLooks[row.change];
  const Icon = look?.icon;
  const changed = row.change !== 'unchanged';
  return (
    <tr className={cn('border-b last:border-b-0', changed && 'bg-amber-50/40 dark:bg-amber-400/5')} data-change={row.change}>
      <th scope="row" className="py-2 pr-3 pl-3 text-left align-top font-normal">
        <span className="block font-medium">{fieldLabel(row.field)}</span>
        <code className="block font-mono text-xs text-muted-foreground">{row.field}</code>
        {look && Icon ? (
          <Badge variant={look.variant} className="mt-1">
            <Icon className="size-3" aria-hidden="true" />
            {look.label}
          </Badge>
        ) : null}
      </th>
      <td className="py-2 pr-3 align-top">
        {row.change === 'changed' || row.change === 'removed' ? (
          <del className="rounded bg-red-50 px-1 text-red-900 decoration-red-700/60 dark:bg-red-400/10 dark:text-red-200 dark:decoration-red-300/60">
            <Value value={row.before} />
          </del>
        ) : (
          <Value value={row.before} />
        )}
      </td>
      <td className="py-2 pr-3 align-top">
        {row.change === 'changed' || row.change === 'added' ? (
          <ins className="rounded bg-emerald-50 px-1 font-medium text-emerald-900 no-underline dark:bg-emerald-400/10 dark:text-emerald-200">
            <Value value={row.after} />
          </ins>
        ) : (
          <Value value={row.after} />
        )}
      </td>
    </tr>
  );
}

function DiffTable({ entry }: { entry: AuditLog }) {
  const rows = diffRows(entry);
  if (rows.length === 0) return <p className="text-sm text-muted-foreground">This entry records no field values.</p>;
  return (
    <div className="overflow-x-auto rounded-lg border">
      <table className="w-full text-sm" data-testid="audit-diff">
        <caption className="sr-only">Fields before and after the change</caption>
        <thead className="border-b bg-muted/40 text-left text-xs text-muted-foreground">
          <tr>
            <th scope="col" className="w-1/3 py-2 pr-3 pl-3 font-medium">
              Field
            </th>
            <th scope="col" className="py-2 pr-3 font-medium">
              Before
            </th>
            <th scope="col" className="py-2 pr-3 font-medium">
              After
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <DiffTableRow key={row.field} row={row} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Field({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[9rem_minmax(0,1fr)] gap-3 py-2">
      <dt className="text-muted-foreground">{term}</dt>
      <dd className="[overflow-wrap:anywhere]">{children}</dd>
    </div>
  );
}

const orNone = (value: string | null) => value ?? <span className="text-muted-foreground italic">Not recorded</span>;

function EntryFields({ entry }: { entry: AuditLog }) {
  return (
    <dl className="divide-y text-sm" data-testid="audit-fields">
      <Field term="Time">
        {formatDateTimeUtc(entry.createdAt)}
        <span className="block font-mono text-xs text-muted-foreground">{entry.createdAt}</span>
      </Field>
      <Field term="Action">
        {actionLabel(entry.action)} <code className="font-mono text-xs text-muted-foreground">{entry.action}</code>
      </Field>
      <Field term="Actor">
        <span className="mr-2">{actorName(entry)}</span>
        <ActorTypeBadge type={entry.actorType} />
      </Field>
      <Field term="Actor email">{orNone(entry.actorEmail)}</Field>
      <Field term="Actor id">{orNone(entry.actorId)}</Field>
      <Field term="Target type">
        {targetTypeLabel(entry.targetType)} <code className="font-mono text-xs text-muted-foreground">{entry.targetType}</code>
      </Field>
      <Field term="Target name">{orNone(entry.targetName)}</Field>
      <Field term="Target id">{orNone(entry.targetId)}</Field>
      <Field term="IP address">{orNone(entry.ipAddress)}</Field>
      <Field term="User agent">{orNone(entry.userAgent)}</Field>
      <Field term="Entry id">{entry.id}</Field>
      <Field term="Organization id">{orNone(entry.tenantId)}</Field>
    </dl>
  );
}

function RelatedLinks({ entry }: { entry: AuditLog }) {
  const targetPage = targetPageOf(entry);
  const links = [
    entry.targetId
      ? { key: 'target', href: auditLogHref({ targetType: entry.targetType, targetId: entry.targetId }), label: 'All entries for this target' }
      : null,
    entry.actorId ? { key: 'actor', href: auditLogHref({ actorId: entry.actorId }), label: 'All entries by this actor' } : null,
  ].filter((link) => link !== null);
  if (links.length === 0 && !targetPage) return null;
  return (
    <nav aria-label="Related" className="flex flex-wrap gap-2">
      {links.map((link) => (
        <Button key={link.key} asChild variant="outline" size="sm">
          <Link to={link.href}>
            {link.label}
            <ArrowRight aria-hidden="true" />
          </Link>
        </Button>
      ))}
      {targetPage ? (
        <Button asChild variant="outline" size="sm">
          <Link to={targetPage.href}>
            {targetPage.label}
            <ArrowUpRight aria-hidden="true" />
          </Link>
        </Button>
      ) : null}
    </nav>
  );
}

function EntryBody({ entry }: { entry: AuditLog }) {
  const metadata = Object.keys(entry.metadata).length > 0 ? JSON.stringify(entry.metadata, null, 2) : null;
  return (
    <div className="space-y-6 px-6 py-5">
      <RelatedLinks entry={entry} />
      <section aria-labelledby="audit-changes-heading">
        <h3 id="audit-changes-heading" className={sectionTitle}>
          Changes
        </h3>
        <DiffTable entry={entry} />
      </section>
      <section aria-labelledby="audit-fields-heading">
        <h3 id="audit-fields-heading" className={sectionTitle}>
          Details
        </h3>
        <EntryFields entry={entry} />
      </section>
      <section aria-labelledby="audit-metadata-heading">
        <h3 id="audit-metadata-heading" className={sectionTitle}>
          Metadata
        </h3>
        {metadata ? (
          // Focusable, so keyboard users can scroll long JSON sideways.
          <pre
            className="overflow-x-auto rounded-lg border bg-muted/40 p-3 font-mono text-xs leading-relaxed"
            data-testid="audit-metadata"
            tabIndex={0}
            role="region"
            aria-label="Metadata as JSON"
          >
            {metadata}
          </pre>
        ) : (
          <p className="text-sm text-muted-foreground">No metadata recorded.</p>
        )}
      </section>
    </div>
  );
}

interface AuditLogDetailProps {
  /** The entry to show; the drawer is open while this is set. */
  entryId: string | undefined;
  /** The entry from the page on screen, when it is there. */
  entry: AuditLog | undefined;
  /** Fetch the entry by id (a shared link to an entry that is not on the page shown). */
  lookUp: boolean;
  onClose: () => void;
}

/** A side sheet with everything an entry recorded: who, what, the before/after diff, metadata. */
export function AuditLogDetail({ entryId, entry, lookUp, onClose }: AuditLogDetailProps) {
  const fetched = useAuditLog(entryId, lookUp && entry === undefined);
  const shown = entry ?? fetched.data;
  const notFound = !shown && fetched.error instanceof ApiError && fetched.error.statusCode === 404;
  // The drawer has no Radix trigger (the URL opens it), so it brings focus back to its opener itself.
  const opener = useRef<HTMLElement | null>(null);
  return (
    <Dialog open={entryId !== undefined} onOpenChange={(open) => (open ? undefined : onClose())}>
      <DialogContent
        side="right"
        closeLabel="Close details"
        data-testid="audit-detail"
        onOpenAutoFocus={() => {
          opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
        }}
        onCloseAutoFocus={(event) => {
          event.preventDefault();
          if (opener.current?.isConnected) opener.current.focus();
        }}
      >
        <div className="border-b px-6 py-5 pr-12">
          <DialogTitle>{shown ? actionLabel(shown.action) : notFound ? 'Entry not found' : 'Audit log entry'}</DialogTitle>
          <DialogDescription>
            {shown ? (
              <>
                <code className="font-mono text-xs">{shown.action}</code> · {formatDateTimeUtc(shown.createdAt)}
              </>
            ) : notFound ? (
              'This entry does not exist in your organization.'
            ) : (
              'Loading the entry…'
            )}
          </DialogDescription>
        </div>
        {shown ? (
          <EntryBody entry={shown} />
        ) : fetched.error && !notFound ? (
          <div className="px-6 py-5">
            <QueryError title="We couldn't load this entry" error={fetched.error} onRetry={() => void fetched.refetch()} />
          </div>
        ) : notFound ? null : (
          <div className="space-y-3 px-6 py-5" aria-hidden="true">
            <Skeleton className="h-8 w-2/3" />
            <Skeleton className="h-32 w-full" />
            <Skeleton className="h-48 w-full" />
          </div>
        )}
      </DialogContent>
    </Dialog>
  );
}
