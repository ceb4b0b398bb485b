import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ArrowLeft, PauseCircle, PlayCircle, UserMinus, UserX } from 'lucide-react';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { ActivityTimeline } from '@/components/team/ActivityTimeline';
import { relativeTime } from '@/components/team/activity-format';
import { MemberRoleSelect, RemoveMemberDialog, SuspendMemberDialog, useReactivateMember } from '@/components/team/member-actions';
import { MemberStatusBadge } from '@/components/team/status-badges';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { useMember, useTeamAccess, type TeamAccess } from '@/hooks/use-team';
import { ApiError } from '@/lib/axios';
import { formatDate } from '@/lib/dates';
import { missingRoleExplanation } from '@/lib/role-parser';
import { usePageTitle } from '@/lib/page-title';
import type { Member } from '@/types/team';

function BackToTeam() {
  return (
    <Link to="/team" className="mb-4 inline-flex items-center gap-1.5 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="size-4" aria-hidden="true" />
      Team
    </Link>
  );
}

function Field({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1">
      <dt className="text-xs font-medium text-muted-foreground">{term}</dt>
      <dd className="text-sm">{children}</dd>
    </div>
  );
}

function Reason({ id, text }: { id: string; text: string | null }) {
  return text ? (
    <p id={id} className="text-xs text-muted-foreground">
      {text}
    </p>
  ) : null;
}

function MemberCard({ member, access }: { member: Member; access: TeamAccess }) {
  const [dialog, setDialog] = useState<'suspend' | 'remove' | null>(null);
  const [now] = useState(() => new Date());
  const navigate = useNavigate();
  const reactivate = useReactivateMember(member);
  const statusRefusal = access.refusalFor(member, 'status');
  const removalRefusal = access.refusalFor(member, 'removal');
  const roleRefusal = access.canEdit ? access.refusalFor(member, 'role') : null;
  const suspended = member.status === 'suspended';
  return (
    <Card data-testid="member-card">
      <CardContent className="pt-5">
        <dl className="grid gap-5 sm:grid-cols-2 lg:grid-cols-3">
          <Field term="Email">{member.email}</Field>
          <Field term="Role">
            <MemberRoleSelect member={member} access={access} className="min-w-40" describedBy="role-reason" />
            <Reason id="role-reason" text={roleRefusal} />
          </Field>
          <Field term="Status">
            <MemberStatusBadge status={member.status} />
          </Field>
          <Field term="Joined">{formatDate(member.joinedAt)}</Field>
          <Field term="Last active">
            {member.lastActiveAt ? (
              <time dateTime={member.lastActiveAt} title={new Date(member.lastActiveAt).toLocaleString()}>
                {relativeTime(member.lastActiveAt, now)}
              </time>
            ) : (
              'Never'
            )}
          </Field>
        </dl>
      </CardContent>
      {access.canEdit || access.canRemove ? (
        <div className="flex flex-wrap items-start gap-4 border-t px-5 py-4">
          {access.canEdit ? (
            <div className="flex flex-col gap-1">
              {suspended ? (
                <Button variant="outline" disabled={statusRefusal !== null || reactivate.isPending} onClick={() => reactivate.mutate()} aria-describedby={statusRefusal ? 'status-reason' : undefined}>
                  <PlayCircle aria-hidden="true" />
                  {reactivate.isPending ? 'Reactivating…' : 'Reactivate'}
                </Button>
              ) : (
                <Button variant="outline" disabled={statusRefusal !== null} onClick={() => setDialog('suspend')} aria-describedby={statusRefusal ? 'status-reason' : undefined}>
                  <PauseCircle aria-hidden="true" />
                  Suspend
                </Button>
              )}
              <Reason id="status-reason" text={statusRefusal} />
            </div>
          ) : null}
          {access.canRemove ? (
            <div className="flex flex-col gap-1">
              <Button
                variant="outline"
                className="text-red-700 hover:text-red-800 dark:text-red-300 dark:hover:text-red-200"
                disabled={removalRefusal !== null}
                onClick={() => setDialog('remove')}
                aria-describedby={removalRefusal ? 'removal-reason' : undefined}
              >
                <UserMinus aria-hidden="true" />
                Remove from organization
              </Button>
              <Reason id="removal-reason" text={removalRefusal} />
            </div>
          ) : null}
        </div>
      ) : null}
      <SuspendMemberDialog member={member} open={dialog === 'suspend'} onOpenChange={(open) => setDialog(open ? 'suspend' : null)} />
      <RemoveMemberDialog
        member={member}
        open={dialog === 'remove'}
        onOpenChange={(open) => setDialog(open ? 'remove' : null)}
        onRemoved={() => void navigate('/team')}
      />
    </Card>
  );
}

function ActivityCard({ member, access }: { member: Member; access: TeamAccess }) {
  return (
    <Card className="mt-6">
      <CardHeader>
        <CardTitle className="text-base font-semibold text-foreground">Activity</CardTitle>
      </CardHeader>
      <CardContent>
        {access.canSeeActivity ? (
          <ActivityTimeline userId={member.id} />
        ) : (
          <p className="text-sm text-muted-foreground" data-testid="activity-explanation">
            {missingRoleExplanation(access.role, 'team', 'list', "see a member's activity")}
          </p>
        )}
      </CardContent>
    </Card>
  );
}

function MemberNotFound() {
  usePageTitle('Member not found');
  return (
    <div className="py-12 text-center" data-testid="member-not-found">
      <UserX className="mx-auto size-8 text-muted-foreground" aria-hidden="true" />
      <h1 className="mt-4 text-xl font-semibold">This member is not in your organization</h1>
      <p className="mt-2 text-sm text-muted-foreground">They may have left or been removed.</p>
      <Button asChild variant="outline" className="mt-6">
        <Link to="/team">Back to the team</Link>
      </Button>
    </div>
  );
}

/** One member: who they are, their role and status with the same actions as the list, and what they did. */
export default function MemberDetailPage() {
  const { memberId = '' } = useParams();
  const access = useTeamAccess();
  const member = useMember(memberId);

  if (member.error instanceof ApiError && member.error.statusCode === 404) {
    return (
      <>
        <BackToTeam />
        <MemberNotFound />
      </>
    );
  }
  return (
    <>
      <BackToTeam />
      {member.data ? (
        <>
          <PageHeader title={member.data.name} description={member.data.id === access.userId ? 'This is you' : undefined} />
          <MemberCard member={member.data} access={access} />
          <ActivityCard member={member.data} access={access} />
        </>
      ) : member.error ? (
        <QueryError title="We couldn't load this member" error={member.error} onRetry={() => void member.refetch()} />
      ) : (
        <div className="space-y-6" data-testid="member-loading">
          <p role="status" className="sr-only">
            Loading the member…
          </p>
          <Skeleton className="h-8 w-56" />
          <Skeleton className="h-40 w-full" />
          <Skeleton className="h-56 w-full" />
        </div>
      )}
    </>
  );
}
