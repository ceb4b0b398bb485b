import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { BellOff, CheckCheck, Settings, X } from 'lucide-react';
import { RequireAccess } from '@/components/access/require-access';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import {
  NOTIFICATIONS_PER_PAGE,
  SeverityIcon,
  fullTime,
  isPortalPath,
  relativeTime,
  typeLabel,
} from '@/components/notifications/notification-format';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TableHeading } from '@/components/ui/data-table';
import { EmptyState } from '@/components/ui/empty-state';
import { FilterSelect } from '@/components/ui/filter-select';
import { Pagination } from '@/components/ui/pagination';
import { Skeleton } from '@/components/ui/skeleton';
import { useMarkAllAsRead, useMarkAsRead, useNotificationList } from '@/hooks/use-notifications';
import { cn } from '@/lib/cn';
import { notificationTypeNames, type Notification, type NotificationListQuery, type NotificationType } from '@/types/notification';

type Show = 'unread' | 'read';

/** What the URL holds: `?show=unread&type=payment.failed&page=2`. */
interface NotificationView {
  show?: Show;
  type?: NotificationType;
  page: number;
}

function readView(params: URLSearchParams): NotificationView {
  const show = params.get('show');
  const type = params.get('type');
  const page = Number(params.get('page') ?? '1');
  return {
    show: show === 'unread' || show === 'read' ? show : undefined,
    type: notificationTypeNames.find((name) => name === type),
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

function viewParams(view: NotificationView): URLSearchParams {
  const params = new URLSearchParams();
  if (view.show) params.set('show', view.show);
  if (view.type) params.set('type', view.type);
  if (view.page > 1) params.set('page', String(view.page));
  return params;
}

function queryOf(view: NotificationView): Partial<NotificationListQuery> {
  return {
    page: view.page,
    limit: NOTIFICATIONS_PER_PAGE,
    ...(view.show ? { read: view.show === 'read' ? 'true' : 'false' } : {}),
    ...(view.type ? { type: view.type } : {}),
  };
}

const hasFilters = (view: NotificationView) => view.show !== undefined || view.type !== undefined;

/** The view in the URL and a way to change it, building on the last URL asked for. */
function useNotificationView() {
  const [searchParams, setSearchParams] = useSearchParams();
  const latest = useRef(searchParams);
  useEffect(() => {
    latest.current = searchParams;
  }, [searchParams]);
  const update = (change: (current: NotificationView) => NotificationView) => {
    const next = viewParams(change(readView(latest.current)));
    latest.current = next;
    setSearchParams(next);
  };
  return [readView(searchParams), update] as const;
}

const typeOptions = notificationTypeNames.map((type) => ({ value: type, label: typeLabel(type) }));
const showOptions: { value: Show; label: string }[] = [
  { value: 'unread', label: 'Unread only' },
  { value: 'read', label: 'Read only' },
];

function NotificationTitle({ item, onOpen }: { item: Notification; onOpen: () => void }) {
  const classes = cn(
    'text-sm underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring',
    item.read ? 'text-foreground' : 'font-semibold text-foreground',
  );
  if (item.link && isPortalPath(item.link)) {
    return (
      <Link to={item.link} onClick={onOpen} className={classes}>
        {item.title}
      </Link>
    );
  }
  if (item.link) {
    return (
      <a href={item.link} onClick={onOpen} rel="noreferrer" className={classes}>
        {item.title}
      </a>
    );
  }
  return <span className={cn('text-sm', !item.read && 'font-semibold')}>{item.title}</span>;
}

function NotificationRow({ item, onMarkRead, marking }: { item: Notification; onMarkRead: () => void; marking: boolean }) {
  return (
    <li
      data-testid="notification-item"
      data-read={item.read}
      className={cn('flex items-start gap-3 px-4 py-3.5', !item.read && 'bg-primary/[0.04] dark:bg-primary/[0.08]')}
    >
      <SeverityIcon severity={item.severity} className="mt-0.5" />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-baseline gap-x-2">
          <NotificationTitle item={item} onOpen={() => (item.read ? undefined : onMarkRead())} />
          {item.read ? null : (
            <span className="inline-flex items-center gap-1 text-xs font-medium text-primary">
              <span aria-hidden="true" className="size-1.5 rounded-full bg-primary" />
              Unread
            </span>
          )}
        </div>
        {item.body ? <p className="mt-0.5 text-sm text-muted-foreground">{item.body}</p> : null}
        <p className="mt-1 text-xs text-muted-foreground">
          {/* The type, unless the title already says it. */}
          {typeLabel(item.type) === item.title ? null : `${typeLabel(item.type)} · `}
          <time dateTime={item.createdAt} title={fullTime(item.createdAt)}>
            {relativeTime(item.createdAt)}
          </time>
        </p>
      </div>
      {item.read ? null : (
        <Button variant="ghost" size="sm" onClick={onMarkRead} disabled={marking} aria-label={`Mark “${item.title}” as read`}>
          Mark as read
        </Button>
      )}
    </li>
  );
}

function LoadingRows() {
  return (
    <div role="status" aria-live="polite" className="divide-y">
      <span className="sr-only">Loading notifications…</span>
      {Array.from({ length: 4 }, (_, index) => (
        <div key={index} className="flex gap-3 px-4 py-4">
          <Skeleton className="size-4 rounded-full" />
          <div className="flex-1 space-y-2">
            <Skeleton className="h-4 w-1/3" />
            <Skeleton className="h-3 w-2/3" />
          </div>
        </div>
      ))}
    </div>
  );
}

function NotificationList() {
  const [view, updateView] = useNotificationView();
  const list = useNotificationList(queryOf(view));
  const markOne = useMarkAsRead();
  const markAll = useMarkAllAsRead();
  const result = list.data;
  const pageCount = result ? Math.max(1, Math.ceil(result.total / NOTIFICATIONS_PER_PAGE)) : 1;
  const unread = result?.unread ?? 0;

  const changeFilters = (change: Partial<NotificationView>) => updateView((current) => ({ ...current, ...change, page: 1 }));
  const clear = () => updateView(() => ({ page: 1 }));
  const goTo = (page: number) => updateView((current) => ({ ...current, page }));

  const empty = hasFilters(view)
    ? { title: 'No notifications match these filters', body: 'Try all notifications or another type.', action: 'Clear filters', onAction: clear }
    : view.page > 1
      ? { title: `There are no notifications on page ${view.page}.`, body: 'The list is shorter than that.', action: 'Go to the first page', onAction: () => goTo(1) }
      : {
          title: 'No notifications yet',
          body: 'Usage limits, payments, team changes and failed workflows that concern you will appear here.',
          action: null,
          onAction: clear,
        };

  return (
    <>
      <PageHeader
        title="Notifications"
        description="What happened in your organization that concerns you, newest first"
        actions={
          <>
            <Button variant="outline" asChild>
              <Link to="/settings/notifications">
                <Settings aria-hidden="true" />
                Settings
              </Link>
            </Button>
            <Button onClick={() => markAll.mutate()} disabled={unread === 0 || markAll.isPending}>
              <CheckCheck aria-hidden="true" />
              Mark all read
            </Button>
          </>
        }
      />
      <form
        role="search"
        aria-label="Notification filters"
        onSubmit={(event) => event.preventDefault()}
        className="mb-4 flex flex-wrap items-end gap-3 rounded-xl border bg-card p-4 shadow-xs"
      >
        <FilterSelect<Show>
          id="notification-show"
          label="Show"
          value={view.show}
          allLabel="All notifications"
          options={showOptions}
          onChange={(show) => changeFilters({ show })}
          className="min-w-40 flex-1 basis-44"
        />
        <FilterSelect<NotificationType>
          id="notification-type"
          label="Type"
          value={view.type}
          allLabel="All types"
          options={typeOptions}
          onChange={(type) => changeFilters({ type })}
          className="min-w-40 flex-[2] basis-64"
        />
        {hasFilters(view) ? (
          <Button type="button" variant="ghost" onClick={clear}>
            <X aria-hidden="true" />
            Clear filters
          </Button>
        ) : null}
      </form>
      {list.error && !result ? (
        <QueryError title="We couldn't load your notifications" error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <Card className="overflow-hidden">
          <TableHeading
            title="Notifications"
            count={result ? `${result.total === 1 ? '1 notification' : `${result.total.toLocaleString('en-US')} notifications`} · ${unread.toLocaleString('en-US')} unread` : undefined}
            countTestId="notification-count-summary"
          />
          {list.error && result ? (
            <p role="alert" className="border-b px-4 py-2 text-xs text-red-700 dark:text-red-300">
              The last refresh failed; showing the notifications as they were.
            </p>
          ) : null}
          {!result ? (
            <LoadingRows />
          ) : result.data.length === 0 ? (
            <EmptyState icon={BellOff} {...empty} testId="notifications-empty" />
          ) : (
            <ul
              aria-label={`Notifications, page ${view.page} of ${pageCount}`}
              aria-busy={list.isFetching}
              className={cn('divide-y', list.isPlaceholderData && 'opacity-60')}
            >
              {result.data.map((item) => (
                <NotificationRow
                  key={item.id}
                  item={item}
                  marking={markOne.isPending && markOne.variables === item.id}
                  onMarkRead={() => markOne.mutate(item.id)}
                />
              ))}
            </ul>
          )}
          {result && result.total > NOTIFICATIONS_PER_PAGE ? <Pagination page={view.page} pageCount={pageCount} onPage={goTo} /> : null}
        </Card>
      )}
    </>
  );
}

/** The user's notification center (every member): filters in the URL, mark one or all read. */
export default function NotificationsPage() {
  return (
    <RequireAccess resource="notifications" action="list">
      <NotificationList />
    </RequireAccess>
  );
}
