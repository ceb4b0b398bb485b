import { useId } from 'react';
import { Link } from 'react-router';
import { Bell, BellOff, CheckCheck, Loader2 } from 'lucide-react';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import {
  SeverityIcon,
  countBadge,
  fullTime,
  isPortalPath,
  relativeTime,
} from '@/components/notifications/notification-format';
import { useLatestNotifications, useMarkAllAsRead, useMarkAsRead, useNotificationUpdates } from '@/hooks/use-notifications';
import { useSession } from '@/hooks/use-session';
import { canAccess } from '@/lib/role-parser';
import { cn } from '@/lib/cn';
import type { Notification } from '@/types/notification';

function bellLabel(unread: number | undefined): string {
  if (unread === undefined) return 'Notifications';
  if (unread === 0) return 'Notifications, none unread';
  return `Notifications, ${countBadge(unread)} unread`;
}

function ItemContent({ item }: { item: Notification }) {
  return (
    <>
      <SeverityIcon severity={item.severity} className="mt-0.5" />
      <span className="min-w-0 flex-1">
        <span className={cn('block truncate', item.read ? 'text-muted-foreground' : 'font-medium')}>{item.title}</span>
        {item.body ? <span className="mt-0.5 line-clamp-2 text-xs text-muted-foreground">{item.body}</span> : null}
        <time dateTime={item.createdAt} title={fullTime(item.createdAt)} className="mt-0.5 block text-xs text-muted-foreground">
          {relativeTime(item.createdAt)}
        </time>
      </span>
      {item.read ? null : (
        <span className="mt-1.5 size-2 shrink-0 rounded-full bg-primary" data-testid="unread-dot">
          <span className="sr-only">Unread</span>
        </span>
      )}
    </>
  );
}

const itemClasses = 'items-start gap-3 px-3 py-2.5';

function BellItem({ item, onOpen }: { item: Notification; onOpen: (item: Notification) => void }) {
  const select = () => onOpen(item);
  if (item.link && isPortalPath(item.link)) {
    return (
      <DropdownMenuItem asChild className={itemClasses} onSelect={select} data-testid="bell-item">
        <Link to={item.link}>
          <ItemContent item={item} />
        </Link>
      </DropdownMenuItem>
    );
  }
  if (item.link) {
    return (
      <DropdownMenuItem asChild className={itemClasses} onSelect={select} data-testid="bell-item">
        <a href={item.link} rel="noreferrer">
          <ItemContent item={item} />
        </a>
      </DropdownMenuItem>
    );
  }
  return (
    <DropdownMenuItem className={itemClasses} onSelect={select} data-testid="bell-item">
      <ItemContent item={item} />
    </DropdownMenuItem>
  );
}

function BellMenu() {
  const latest = useLatestNotifications();
  const markOne = useMarkAsRead();
  const markAll = useMarkAllAsRead();
  useNotificationUpdates();
  const titleId = useId();
  const page = latest.data;
  const unread = page?.unread;
  const open = (item: Notification) => {
    if (!item.read) markOne.mutate(item.id);
  };

  return (
    // Not modal: the page behind stays in the accessibility tree (a modal menu hides it with aria-hidden
    // while its links stay focusable); Escape and a click outside still close it, focus returns to the bell.
    <DropdownMenu modal={false}>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" className="relative" aria-label={bellLabel(unread)} data-testid="notification-bell">
          <Bell aria-hidden="true" />
          {unread ? (
            <span
              aria-hidden="true"
              data-testid="notification-count"
              className="absolute -top-0.5 -right-0.5 flex h-4 min-w-4 items-center justify-center rounded-full bg-red-600 px-1 text-[10px] leading-none font-semibold text-white tabular-nums ring-2 ring-background"
            >
              {countBadge(unread)}
            </span>
          ) : null}
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-[min(24rem,calc(100vw-2rem))] p-0" aria-labelledby={titleId}>
        <div className="flex items-center justify-between gap-2 border-b px-3 py-2">
          <DropdownMenuLabel className="px-0 text-sm font-semibold text-popover-foreground">
            <span id={titleId}>Notifications</span>
            {unread ? <span className="ml-2 text-xs font-normal text-muted-foreground">{unread} unread</span> : null}
          </DropdownMenuLabel>
          <DropdownMenuItem
            className="px-2 py-1 text-xs font-medium text-primary"
            disabled={!unread || markAll.isPending}
            onSelect={(event) => {
              // The menu stays open: the list turns read in place.
              event.preventDefault();
              markAll.mutate();
            }}
          >
            <CheckCheck aria-hidden="true" />
            Mark all read
          </DropdownMenuItem>
        </div>
        <div className="max-h-[min(28rem,70vh)] overflow-y-auto p-1">
          {latest.isPending ? (
            <p role="status" className="flex items-center gap-2 px-3 py-6 text-sm text-muted-foreground">
              <Loader2 className="size-4 animate-spin motion-reduce:animate-none" aria-hidden="true" />
              Loading notifications…
            </p>
          ) : latest.isError && !page ? (
            <div role="alert" className="px-3 py-4 text-sm">
              <p>We couldn't load your notifications.</p>
              <DropdownMenuItem
                className="mt-2 w-fit border px-2 py-1 text-xs"
                onSelect={(event) => {
                  event.preventDefault();
                  void latest.refetch();
                }}
              >
                Try again
              </DropdownMenuItem>
            </div>
          ) : page && page.data.length === 0 ? (
            <p className="flex flex-col items-center gap-2 px-3 py-8 text-center text-sm text-muted-foreground" data-testid="bell-empty">
              <BellOff className="size-5" aria-hidden="true" />
              You're all caught up: no notifications yet.
            </p>
          ) : (
            page?.data.map((item) => <BellItem key={item.id} item={item} onOpen={open} />)
          )}
        </div>
        <DropdownMenuSeparator className="mx-0 my-0" />
        <div className="p-1">
          <DropdownMenuItem asChild className="justify-center font-medium">
            <Link to="/notifications">View all notifications</Link>
          </DropdownMenuItem>
        </div>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

/** The header's bell: unread count, the latest few, mark all read and the way to the full list. */
export function NotificationBell() {
  const { tenantId, role } = useSession();
  if (tenantId === null || !canAccess(role, 'notifications', 'list')) return null;
  return <BellMenu />;
}
