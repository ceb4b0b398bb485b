import { useState } from 'react';
import { History } from 'lucide-react';
import { formatDateTimeUtc } from '@/components/admin/audit-log-format';
import { QueryError } from '@/components/billing/query-error';
import { activitySentence, groupByDay, timeOfDay } from '@/components/team/activity-format';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { useTeamActivity } from '@/hooks/use-team';

function TimelineSkeleton() {
  return (
    <div className="space-y-4" data-testid="activity-loading">
      <p role="status" className="sr-only">
        Loading activity…
      </p>
      {[0, 1, 2].map((i) => (
        <div key={i} className="flex gap-3">
          <Skeleton className="mt-1 size-2.5 rounded-full" />
          <div className="flex-1 space-y-2">
            <Skeleton className="h-4 w-3/4" />
            <Skeleton className="h-3 w-16" />
          </div>
        </div>
      ))}
    </div>
  );
}

/** Team actions by or about a member (or the whole team), newest first, under one heading per day. */
export function ActivityTimeline({ userId }: { userId?: string }) {
  const activity = useTeamActivity(userId);
  // One "now" per visit, so the day headings don't shift while the list is open.
  const [now] = useState(() => new Date());
  const entries = activity.data?.pages.flatMap((page) => page.data) ?? [];
  const total = activity.data?.pages[0]?.total ?? 0;

  if (activity.isPending) return <TimelineSkeleton />;
  if (activity.error && !activity.data) {
    return <QueryError title="We couldn't load the activity" error={activity.error} onRetry={() => void activity.refetch()} />;
  }
  if (entries.length === 0) {
    return (
      <div className="py-8 text-center" data-testid="activity-empty">
        <History className="mx-auto size-5 text-muted-foreground" aria-hidden="true" />
        <p className="mt-2 text-sm text-muted-foreground">No team activity recorded yet.</p>
      </div>
    );
  }

  return (
    <div className="space-y-6">
      {groupByDay(entries, now).map((day) => (
        <section key={day.key} aria-labelledby={`activity-day-${day.key}`} data-testid="activity-day">
          <h3 id={`activity-day-${day.key}`} className="mb-3 text-xs font-semibold tracking-wide text-muted-foreground uppercase">
            {day.label}
          </h3>
          <ol className="relative space-y-4 border-l pl-5">
            {day.entries.map((entry) => (
              <li key={entry.id} className="relative" data-testid="activity-item">
                <span aria-hidden="true" className="absolute top-1.5 -left-[25px] size-2.5 rounded-full border-2 border-card bg-primary" />
                <p className="text-sm">{activitySentence(entry)}</p>
                <time dateTime={entry.createdAt} title={formatDateTimeUtc(entry.createdAt)} className="text-xs text-muted-foreground tabular-nums">
                  {timeOfDay(entry.createdAt)}
                </time>
              </li>
            ))}
          </ol>
        </section>
      ))}
      {activity.error ? <QueryError title="We couldn't load more activity" error={activity.error} onRetry={() => void activity.fetchNextPage()} /> : null}
      <div className="flex items-center justify-between gap-3">
        <p className="text-xs text-muted-foreground" aria-live="polite">
          Showing {entries.length} of {total}
        </p>
        {activity.hasNextPage ? (
          <Button variant="outline" size="sm" onClick={() => void activity.fetchNextPage()} disabled={activity.isFetchingNextPage}>
            {activity.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </Button>
        ) : null}
      </div>
    </div>
  );
}
