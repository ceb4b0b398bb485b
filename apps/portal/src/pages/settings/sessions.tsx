import { useState } from 'react';
import { toast } from 'sonner';
import { LogOut, MonitorSmartphone } from 'lucide-react';
import type { UserSession } from '@cbp/contracts';
import { QueryError } from '@/components/billing/query-error';
import { PageLoading } from '@/components/layout/page-loading';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent } from '@/components/ui/card';
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { FormFailure } from '@/components/ui/dialog-form';
import { Skeleton } from '@/components/ui/skeleton';
import { useEndSessions, useSessions } from '@/hooks/use-account';
import { useSession } from '@/hooks/use-session';
import { AccountConsoleLink } from './password';
import { SettingsHeading } from './account-form';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const when = (iso: string) => dateTime.format(new Date(iso));

function SessionRow({ session, onEnd, pending }: { session: UserSession; onEnd: () => void; pending: boolean }) {
  return (
    <li className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid="session-row">
      <div className="flex min-w-0 items-start gap-3">
        <MonitorSmartphone aria-hidden="true" className="mt-0.5 size-5 shrink-0 text-muted-foreground" />
        <div className="min-w-0">
          <p className="flex flex-wrap items-center gap-2 text-sm font-medium">
            {session.device}
            {session.current ? <Badge>This device</Badge> : null}
          </p>
          <p className="truncate text-xs text-muted-foreground">{session.ipAddress ?? 'Unknown address'}</p>
          <p className="text-xs text-muted-foreground">
            Signed in {when(session.createdAt)} · Last active {when(session.lastSeenAt)}
          </p>
        </div>
      </div>
      {session.current ? null : (
        <Button variant="outline" size="sm" onClick={onEnd} disabled={pending} aria-label={`Sign out ${session.device} (${session.ipAddress ?? 'unknown address'})`}>
          Sign out
        </Button>
      )}
    </li>
  );
}

function SessionList() {
  const sessions = useSessions();
  const end = useEndSessions();
  const [confirming, setConfirming] = useState(false);

  if (sessions.isPending) {
    return (
      <div className="space-y-2" aria-busy="true" aria-label="Loading sessions">
        <Skeleton className="h-16 w-full" />
        <Skeleton className="h-16 w-full" />
      </div>
    );
  }
  if (sessions.isError) return <QueryError title="We couldn't load your sessions" error={sessions.error} onRetry={() => void sessions.refetch()} />;

  const others = sessions.data.filter((s) => !s.current);
  const endSessions = (ids: string[], done: string) =>
    end.mutate(ids, {
      onSuccess: () => {
        setConfirming(false);
        toast.success(done);
      },
    });

  return (
    <>
      <FormFailure title="We couldn't sign out that session" error={end.error} />
      <Card>
        <ul className="divide-y" aria-label="Sessions">
          {sessions.data.map((session) => (
            <SessionRow key={session.id} session={session} pending={end.isPending} onEnd={() => endSessions([session.id], `${session.device} was signed out.`)} />
          ))}
        </ul>
        {sessions.data.length === 0 ? <CardContent className="pt-5 text-sm text-muted-foreground">No active sessions.</CardContent> : null}
      </Card>
      <div>
        <Button variant="outline" disabled={others.length === 0 || end.isPending} onClick={() => setConfirming(true)}>
          <LogOut aria-hidden="true" />
          Sign out other sessions
        </Button>
      </div>
      <Dialog open={confirming} onOpenChange={setConfirming}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Sign out other sessions?</DialogTitle>
            <DialogDescription>
              {others.length === 1 ? 'Your other session' : `Your ${others.length} other sessions`} will have to sign in again. This device stays signed in.
            </DialogDescription>
          </DialogHeader>
          <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <DialogClose asChild>
              <Button variant="outline">Cancel</Button>
            </DialogClose>
            <Button
              variant="destructive"
              disabled={end.isPending}
              aria-busy={end.isPending}
              onClick={() => endSessions(others.map((s) => s.id), 'Your other sessions were signed out.')}
            >
              {end.isPending ? 'Signing out…' : 'Sign out others'}
            </Button>
          </div>
        </DialogContent>
      </Dialog>
    </>
  );
}

/** Where the account is signed in (built-in provider): this device, the others, and signing them out. */
export default function SessionsSettingsPage() {
  const { me } = useSession();
  if (!me) return <PageLoading />;
  return (
    <div className="space-y-6">
      <SettingsHeading id="sessions-heading" title="Sessions" description="The browsers and devices signed in to your account." />
      {me.identity?.provider === 'external' ? (
        me.identity.accountUrl ? <AccountConsoleLink url={me.identity.accountUrl} what="sessions" /> : null
      ) : (
        <SessionList />
      )}
    </div>
  );
}
