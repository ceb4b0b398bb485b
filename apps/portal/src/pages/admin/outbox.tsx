import { useState, type MouseEvent } from 'react';
import { useSearchParams } from 'react-router';
import { PageQuery } from '@cbp/contracts';
import { Inbox } from 'lucide-react';
import { RequireAccess } from '@/components/access/require-access';
import { dateAndTimeUtc, formatDateTimeUtc } from '@/components/admin/audit-log-format';
import { OutboxMessageSheet, OutboxStatusBadge, kindLabel } from '@/components/admin/outbox-message';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { Card } from '@/components/ui/card';
import { DataTable } from '@/components/ui/data-table';
import { EmptyState } from '@/components/ui/empty-state';
import { Pagination } from '@/components/ui/pagination';
import { OUTBOX_PAGE_SIZE, useOutbox } from '@/hooks/use-team';
import { cn } from '@/lib/cn';
import type { OutboxMessage } from '@/types/team';

const columns = ['Time', 'To', 'Subject', 'Kind', 'Status'] as const;
const cell = 'px-4 py-3 align-top';

function OutboxRow({ message, onOpen }: { message: OutboxMessage; onOpen: () => void }) {
  const [day, time] = dateAndTimeUtc(message.createdAt);
  // The whole row opens the message for pointer users; keyboard users have the subject's button.
  const openRow = (event: MouseEvent<HTMLTableRowElement>) => {
    if ((event.target as HTMLElement).closest('a, button')) return;
    event.currentTarget.querySelector<HTMLButtonElement>('button')?.focus();
    onOpen();
  };
  return (
    <tr className="cursor-pointer hover:bg-muted/50" onClick={openRow} data-testid="outbox-row">
      <td className={cn(cell, 'whitespace-nowrap tabular-nums')}>
        <time dateTime={message.createdAt} title={formatDateTimeUtc(message.createdAt)}>
          <span className="block">{day}</span>
          <span className="block text-xs text-muted-foreground">{time}</span>
        </time>
      </td>
      <td className={cn(cell, 'max-w-56 truncate')} title={message.to}>
        {message.to}
      </td>
      <td className={cell}>
        <button
          type="button"
          onClick={onOpen}
          aria-haspopup="dialog"
          className="text-left font-medium text-primary underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
        >
          {message.subject}
        </button>
      </td>
      <td className={cn(cell, 'whitespace-nowrap text-muted-foreground')}>{kindLabel(message.kind)}</td>
      <td className={cell}>
        <OutboxStatusBadge status={message.status} />
      </td>
    </tr>
  );
}

function OutboxList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const parsedPage = PageQuery.shape.page.safeParse(searchParams.get('page') ?? undefined);
  const page = parsedPage.success ? parsedPage.data : 1;
  const [open, setOpen] = useState<OutboxMessage | null>(null);
  const outbox = useOutbox(page);
  const result = outbox.data;
  const pageCount = result ? Math.max(1, Math.ceil(result.total / OUTBOX_PAGE_SIZE)) : 1;
  const goTo = (next: number) => setSearchParams(next > 1 ? { page: String(next) } : {});

  return (
    <>
      <PageHeader title="Outbox" description="Emails CBP wrote for your organization: invitations, ownership changes and more, newest first" />
      {outbox.error && !result ? (
        <QueryError title="We couldn't load the outbox" error={outbox.error} onRetry={() => void outbox.refetch()} />
      ) : (
        <Card className="overflow-hidden">
          {result && result.data.length === 0 ? (
            <EmptyState
              icon={Inbox}
              title={page > 1 ? `There are no emails on page ${page}.` : 'No emails yet'}
              body={page > 1 ? 'The outbox is shorter than that.' : 'Invitations and other emails to your team appear here.'}
              action={page > 1 ? 'Go to the first page' : null}
              onAction={() => goTo(1)}
              testId="outbox-empty"
            />
          ) : (
            <DataTable
              caption={`Emails, page ${page} of ${pageCount}`}
              columns={columns}
              rows={result?.data}
              renderRow={(message) => <OutboxRow key={message.id} message={message} onOpen={() => setOpen(message)} />}
              loadingLabel="Loading the outbox…"
              skeleton={{ rows: 4, className: 'min-w-16', cellClassName: cell }}
              fetching={outbox.isFetching}
              stale={outbox.isPlaceholderData}
            />
          )}
          {result && result.total > OUTBOX_PAGE_SIZE ? <Pagination page={page} pageCount={pageCount} onPage={goTo} /> : null}
        </Card>
      )}
      <OutboxMessageSheet message={open} onClose={() => setOpen(null)} />
    </>
  );
}

/** The mails written for the tenant (captured when no SMTP server is set): platform staff only, they hold invitation links. */
export default function OutboxPage() {
  return (
    <RequireAccess resource="outbox" action="list">
      <OutboxList />
    </RequireAccess>
  );
}
