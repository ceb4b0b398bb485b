import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { InvitationStatus as InvitationStatusSchema } from '@cbp/contracts';
import { MailX, RotateCw, X } from 'lucide-react';
import { toast } from 'sonner';
import { RequireAccess } from '@/components/access/require-access';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { SearchField } from '@/components/team/SearchField';
import { InvitationStatusBadge, invitationStatusLooks } from '@/components/team/status-badges';
import { TeamNav } from '@/components/team/team-nav';
import {
  emptyInvitationView,
  readInvitationView,
  TEAM_PAGE_SIZE,
  teamViewParams,
  type InvitationView,
} from '@/components/team/team-search-params';
import { useUrlView } from '@/components/team/use-url-view';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { DataTable, tableCell as cell, TableHeading } from '@/components/ui/data-table';
import { EmptyState } from '@/components/ui/empty-state';
import { FilterSelect } from '@/components/ui/filter-select';
import { Pagination } from '@/components/ui/pagination';
import { useInvalidateTeam, useInvitations, useTeamAccess, type TeamAccess } from '@/hooks/use-team';
import { cn } from '@/lib/cn';
import { formatShortDate } from '@/lib/dates';
import { roleName } from '@/lib/role-parser';
import { InviteDialog } from '@/pages/team/invite-dialog';
import { cancelInvitation, resendInvitation } from '@/services/team.service';
import type { Invitation } from '@/types/team';

const columns = ['Email', 'Role', 'Status', 'Invited by', 'Sent', 'Expires'] as const;
const statusOptions = InvitationStatusSchema.options.map((status) => ({ value: status, label: invitationStatusLooks[status].label }));

/** Resend (pending or expired: the link gets a new expiry) and Cancel (pending, after asking). */
function InvitationActions({ invitation, refusal }: { invitation: Invitation; refusal: string | null }) {
  const [confirming, setConfirming] = useState(false);
  const refresh = useInvalidateTeam();
  const resend = useMutation({
    mutationFn: () => resendInvitation(invitation.id),
    onSuccess: async () => {
      toast.success(`Invitation sent again to ${invitation.email}.`);
      await refresh();
    },
  });
  const cancel = useMutation({
    mutationFn: () => cancelInvitation(invitation.id),
    onSuccess: async () => {
      setConfirming(false);
      toast.success(`The invitation to ${invitation.email} was cancelled.`);
      await refresh();
    },
  });
  const canResend = invitation.status === 'pending' || invitation.status === 'expired';
  const canCancel = invitation.status === 'pending';
  if (!canResend && !canCancel) return null;
  return (
    <div className="flex justify-end gap-1">
      {canResend ? (
        <Button
          variant="ghost"
          size="sm"
          onClick={() => resend.mutate()}
          disabled={refusal !== null || resend.isPending}
          title={refusal ?? undefined}
          aria-busy={resend.isPending}
        >
          <RotateCw aria-hidden="true" />
          {resend.isPending ? 'Sending…' : 'Resend'} <span className="sr-only">the invitation to {invitation.email}</span>
        </Button>
      ) : null}
      {canCancel ? (
        <Button
          variant="ghost"
          size="sm"
          className="text-red-700 hover:text-red-800 dark:text-red-300 dark:hover:text-red-200"
          onClick={() => setConfirming(true)}
          disabled={refusal !== null}
          title={refusal ?? undefined}
        >
          <X aria-hidden="true" />
          Cancel <span className="sr-only">the invitation to {invitation.email}</span>
        </Button>
      ) : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Cancel the invitation to ${invitation.email}?`}
        description="The link in the email stops working at once. You can invite them again later."
        confirmLabel="Cancel invitation"
        pendingLabel="Cancelling…"
        keepLabel="Keep invitation"
        failureTitle="The invitation was not cancelled"
        action={{ run: () => cancel.mutate(), isPending: cancel.isPending, error: cancel.error, reset: cancel.reset }}
      />
    </div>
  );
}

/** Only an owner resends or cancels an owner's invitation, as only an owner grants owner. */
function refusalFor(invitation: Invitation, access: TeamAccess): string | null {
  return access.assignableRoles.includes(invitation.role) ? null : `Only an owner can resend or cancel an invitation as ${roleName(invitation.role)}`;
}

function InvitationRow({ invitation, access }: { invitation: Invitation; access: TeamAccess }) {
  return (
    <tr className="hover:bg-muted/50" data-testid="invitation-row">
      <td className={cn(cell, 'font-medium')}>{invitation.email}</td>
      <td className={cell}>{roleName(invitation.role)}</td>
      <td className={cell}>
        <InvitationStatusBadge status={invitation.status} />
      </td>
      <td className={cn(cell, 'text-muted-foreground')}>{invitation.invitedBy?.name ?? 'Someone who left'}</td>
      <td className={cell}>
        <span className="block tabular-nums">{formatShortDate(invitation.lastSentAt)}</span>
        <span className="block text-xs text-muted-foreground">{invitation.sendCount === 1 ? 'Sent once' : `Sent ${invitation.sendCount} times`}</span>
      </td>
      <td className={cn(cell, 'tabular-nums')}>
        {invitation.status === 'accepted' && invitation.acceptedAt ? (
          <span className="text-muted-foreground">Accepted {formatShortDate(invitation.acceptedAt)}</span>
        ) : (
          formatShortDate(invitation.expiresAt)
        )}
      </td>
      <td className={cn(cell, 'py-2')}>
        <InvitationActions invitation={invitation} refusal={refusalFor(invitation, access)} />
      </td>
    </tr>
  );
}

function NoInvitations({ view, onReset }: { view: InvitationView; onReset: () => void }) {
  const status = view.status ? invitationStatusLooks[view.status].label.toLowerCase() : null;
  const [title, body, action] = view.search
    ? ['No invitations match', 'Try another email address.', 'Clear filters']
    : view.page > 1
      ? [`There are no invitations on page ${view.page}.`, 'The list is shorter than that.', 'Go to the first page']
      : status
        ? [`No ${status} invitations`, 'No invitation has this status right now.', 'Show all invitations']
        : ['No invitations yet', 'Invite people to your organization; their invitations are listed here.', null];
  return <EmptyState icon={MailX} title={title} body={body} action={action} onAction={onReset} testId="invitations-empty" />;
}

function InvitationList() {
  const access = useTeamAccess();
  const [view, updateView] = useUrlView(readInvitationView, teamViewParams);
  const invitations = useInvitations({ page: view.page, limit: TEAM_PAGE_SIZE, status: view.status, search: view.search });
  const result = invitations.data;
  const pageCount = result ? Math.max(1, Math.ceil(result.total / TEAM_PAGE_SIZE)) : 1;
  const changeFilters = (change: Partial<InvitationView>) => updateView((current) => ({ ...current, ...change, page: 1 }));

  return (
    <>
      <TeamNav />
      <PageHeader
        title="Invitations"
        description="Who was invited, by whom, and whether they joined"
        actions={access.canInvite ? <InviteDialog access={access} /> : null}
      />
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <SearchField
          id="invitation-search"
          label="Search"
          placeholder="Email address"
          value={view.search ?? ''}
          onSearch={(search) => changeFilters({ search })}
        />
        <FilterSelect
          id="invitation-status"
          label="Status"
          value={view.status}
          options={statusOptions}
          allLabel="All statuses"
          onChange={(status) => changeFilters({ status })}
          className="min-w-44 flex-1"
        />
      </div>

      {invitations.error && !result ? (
        <QueryError title="We couldn't load the invitations" error={invitations.error} onRetry={() => void invitations.refetch()} />
      ) : (
        <Card className="overflow-hidden">
          <TableHeading
            title="Invitations"
            count={result ? (result.total === 1 ? '1 invitation' : `${result.total} invitations`) : undefined}
            countTestId="invitation-count"
          />
          {result && result.data.length === 0 ? (
            <NoInvitations view={view} onReset={() => updateView(() => emptyInvitationView)} />
          ) : (
            <DataTable
              caption={`Invitations, page ${view.page} of ${pageCount}`}
              columns={columns}
              actions
              rows={result?.data}
              renderRow={(invitation) => <InvitationRow key={invitation.id} invitation={invitation} access={access} />}
              loadingLabel="Loading invitations…"
              skeleton={{ rows: 4, className: 'min-w-12' }}
              fetching={invitations.isFetching}
              stale={invitations.isPlaceholderData}
            />
          )}
          {result && result.total > TEAM_PAGE_SIZE ? (
            <Pagination page={view.page} pageCount={pageCount} onPage={(page) => updateView((current) => ({ ...current, page }))} />
          ) : null}
        </Card>
      )}
    </>
  );
}

/** Invitations of the tenant: admins and owners only; other roles get the 403 view. */
export default function InvitationsPage() {
  return (
    <RequireAccess resource="user-invitations" action="list">
      <InvitationList />
    </RequireAccess>
  );
}
