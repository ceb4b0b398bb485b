import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { MemberStatus as MemberStatusSchema, tenantRoles } from '@cbp/contracts';
import { Users } from 'lucide-react';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { relativeTime } from '@/components/team/activity-format';
import { BulkRoleBar, BulkRoleResults, type BulkRoleOutcome } from '@/components/team/bulk-role';
import { LeaveOrganizationDialog } from '@/components/team/LeaveOrganizationDialog';
import { MemberActionsMenu, MemberRoleSelect } from '@/components/team/member-actions';
import { SearchField } from '@/components/team/SearchField';
import { memberStatusLooks, MemberStatusBadge } from '@/components/team/status-badges';
import { TeamNav } from '@/components/team/team-nav';
import {
  emptyMemberView,
  hasMemberFilters,
  readMemberView,
  TEAM_PAGE_SIZE,
  teamViewParams,
  type MemberView,
} from '@/components/team/team-search-params';
import { useUrlView } from '@/components/team/use-url-view';
import { Badge } from '@/components/ui/badge';
import { Card, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { DataTable, tableCell as cell, TableHeading } from '@/components/ui/data-table';
import { EmptyState } from '@/components/ui/empty-state';
import { FilterSelect } from '@/components/ui/filter-select';
import { Pagination } from '@/components/ui/pagination';
import { articled, useMembers, useTeamAccess, type TeamAccess } from '@/hooks/use-team';
import { cn } from '@/lib/cn';
import { formatShortDate } from '@/lib/dates';
import { roleName } from '@/lib/role-parser';
import { InviteDialog } from '@/pages/team/invite-dialog';
import { TransferOwnershipDialog } from '@/pages/team/transfer-ownership-dialog';
import type { Member } from '@/types/team';

const columns = ['Name', 'Email', 'Role', 'Status', 'Joined', 'Last active'] as const;
const statusOptions = MemberStatusSchema.options.map((status) => ({ value: status, label: memberStatusLooks[status].label }));
const roleOptions = tenantRoles.map((role) => ({ value: role, label: roleName(role) }));
const checkbox = 'size-4 rounded border-input accent-primary disabled:cursor-not-allowed disabled:opacity-40';

interface RowProps {
  member: Member;
  access: TeamAccess;
  now: Date;
  selectable: boolean;
  selected: boolean;
  onSelect: (selected: boolean) => void;
}

function MemberRow({ member, access, now, selectable, selected, onSelect }: RowProps) {
  const isYou = member.id === access.userId;
  const refusal = access.refusalFor(member, 'role');
  return (
    <tr className={cn('hover:bg-muted/50', selected && 'bg-accent/60')} data-testid="member-row">
      {selectable ? (
        <td className="w-10 px-4 py-3">
          <input
            type="checkbox"
            className={checkbox}
            checked={selected}
            onChange={(event) => onSelect(event.target.checked)}
            disabled={refusal !== null}
            title={refusal ?? undefined}
            aria-label={`Select ${member.name}`}
          />
        </td>
      ) : null}
      <td className={cell}>
        <Link to={`/team/members/${member.id}`} className="font-medium text-primary underline-offset-4 hover:underline">
          {member.name}
        </Link>
        {isYou ? (
          <Badge variant="secondary" className="ml-2">
            You
          </Badge>
        ) : null}
      </td>
      <td className={cn(cell, 'text-muted-foreground')}>{member.email}</td>
      <td className={cn(cell, 'py-2')}>
        <MemberRoleSelect member={member} access={access} className="h-8 min-w-32" />
      </td>
      <td className={cell}>
        <MemberStatusBadge status={member.status} />
      </td>
      <td className={cn(cell, 'tabular-nums')}>{formatShortDate(member.joinedAt)}</td>
      <td className={cn(cell, 'text-muted-foreground')}>
        {member.lastActiveAt ? (
          <time dateTime={member.lastActiveAt} title={new Date(member.lastActiveAt).toLocaleString()}>
            {relativeTime(member.lastActiveAt, now)}
          </time>
        ) : (
          'Never'
        )}
      </td>
      <td className={cn(cell, 'py-2 text-right')}>
        <MemberActionsMenu member={member} access={access} />
      </td>
    </tr>
  );
}

function NoMembers({ view, onReset }: { view: MemberView; onReset: () => void }) {
  const [title, body, action] = hasMemberFilters(view)
    ? ['No members match', 'Try another name or email, or fewer filters.', 'Clear filters']
    : view.page > 1
      ? [`There are no members on page ${view.page}.`, 'The list is shorter than that.', 'Go to the first page']
      : ['No members yet', 'Invite people to work with you in this organization.', null];
  return <EmptyState icon={Users} title={title} body={body} action={action} onAction={onReset} testId="members-empty" />;
}

/** "Select all on this page", checked when all are, mixed when some are. */
function SelectAll({ checked, indeterminate, disabled, onChange }: { checked: boolean; indeterminate: boolean; disabled: boolean; onChange: (checked: boolean) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = indeterminate;
  }, [indeterminate]);
  return (
    <input
      ref={ref}
      type="checkbox"
      className={checkbox}
      checked={checked}
      disabled={disabled}
      onChange={(event) => onChange(event.target.checked)}
      aria-label="Select all members on this page"
    />
  );
}

function Filters({ view, onChange }: { view: MemberView; onChange: (change: Partial<MemberView>) => void }) {
  return (
    <div className="mb-4 flex flex-wrap items-end gap-3">
      <SearchField
        id="member-search"
        label="Search"
        placeholder="Name or email"
        value={view.search ?? ''}
        onSearch={(search) => onChange({ search })}
      />
      <FilterSelect
        id="member-status"
        label="Status"
        value={view.status}
        options={statusOptions}
        allLabel="All statuses"
        onChange={(status) => onChange({ status })}
        className="min-w-40 flex-1"
      />
      <FilterSelect
        id="member-role"
        label="Role"
        value={view.role}
        options={roleOptions}
        allLabel="All roles"
        onChange={(role) => onChange({ role })}
        className="min-w-40 flex-1"
      />
    </div>
  );
}

/** An owner's way out: Leave, unless they are the last active owner (the API refuses that). */
function OwnerLeave({ tenantName }: { tenantName: string }) {
  const owners = useMembers({ page: 1, limit: 1, role: 'owner', status: 'active' });
  if (owners.data === undefined) return null;
  if (owners.data.total > 1) return <LeaveOrganizationDialog tenantName={tenantName} />;
  return (
    <p className="self-center text-sm text-muted-foreground" data-testid="sole-owner">
      You are the only owner: transfer ownership to another member before you can leave.
    </p>
  );
}

function YourMembership({ access }: { access: TeamAccess }) {
  const tenantName = access.tenantName ?? 'this organization';
  const staff = access.role === 'super_admin';
  return (
    <Card className="mt-8">
      <CardHeader>
        <CardTitle className="text-base font-semibold text-foreground">Your membership</CardTitle>
        <CardDescription data-testid="your-membership">
          {staff
            ? `You are acting in ${tenantName} as platform staff, not as one of its members.`
            : access.role
              ? `You are ${articled(roleName(access.role).toLowerCase())} in ${tenantName}.`
              : null}
          {!staff && access.canTransfer ? ' As an owner you can hand the organization to another member.' : ''}
        </CardDescription>
      </CardHeader>
      {staff ? null : (
        <div className="flex flex-wrap gap-2 px-5 pb-5">
          {access.canTransfer ? <TransferOwnershipDialog tenantName={tenantName} userId={access.userId} /> : null}
          {access.canLeave ? access.role === 'owner' ? <OwnerLeave tenantName={tenantName} /> : <LeaveOrganizationDialog tenantName={tenantName} /> : null}
        </div>
      )}
    </Card>
  );
}

/** The tenant's members: everyone reads the list; admins change roles, status and membership. */
export default function TeamPage() {
  const access = useTeamAccess();
  const [view, updateView] = useUrlView(readMemberView, teamViewParams);
  const [selected, setSelected] = useState<ReadonlyMap<string, Member>>(new Map());
  const [outcome, setOutcome] = useState<BulkRoleOutcome | null>(null);
  const [now] = useState(() => new Date());
  const members = useMembers({ page: view.page, limit: TEAM_PAGE_SIZE, search: view.search, status: view.status, role: view.role });
  const result = members.data;
  const rows = result?.data ?? [];
  const pageCount = result ? Math.max(1, Math.ceil(result.total / TEAM_PAGE_SIZE)) : 1;
  const selectable = access.canEdit;
  const selectableRows = rows.filter((member) => access.refusalFor(member, 'role') === null);
  const selectedOnPage = selectableRows.filter((member) => selected.has(member.id));

  const changeView = (change: (current: MemberView) => MemberView) => {
    setSelected(new Map());
    updateView(change);
  };
  const changeFilters = (change: Partial<MemberView>) => changeView((current) => ({ ...current, ...change, page: 1 }));
  const select = (members: readonly Member[], on: boolean) =>
    setSelected((current) => {
      const next = new Map(current);
      for (const member of members) {
        if (on) next.set(member.id, member);
        else next.delete(member.id);
      }
      return next;
    });

  return (
    <>
      <TeamNav />
      <PageHeader
        title="Team"
        description={access.tenantName ? `The people in ${access.tenantName} and what each of them may do` : 'The people in your organization'}
        actions={access.canInvite ? <InviteDialog access={access} /> : null}
      />
      {outcome ? <BulkRoleResults outcome={outcome} onDismiss={() => setOutcome(null)} /> : null}
      <Filters view={view} onChange={changeFilters} />

      {members.error && !result ? (
        <QueryError title="We couldn't load the members" error={members.error} onRetry={() => void members.refetch()} />
      ) : (
        <Card className="overflow-hidden">
          <TableHeading
            title="Members"
            count={result ? (result.total === 1 ? '1 member' : `${result.total} members`) + (hasMemberFilters(view) ? ' match' : '') : undefined}
            countTestId="member-count"
          />
          {selected.size > 0 ? (
            <BulkRoleBar
              selected={[...selected.values()]}
              assignable={access.assignableRoles}
              onDone={(done) => {
                setOutcome(done);
                setSelected(new Map());
              }}
              onClear={() => setSelected(new Map())}
            />
          ) : null}
          {result && rows.length === 0 ? (
            <NoMembers view={view} onReset={() => changeView(() => emptyMemberView)} />
          ) : (
            <DataTable
              caption={`Members, page ${view.page} of ${pageCount}`}
              columns={columns}
              leading={
                selectable ? (
                  <SelectAll
                    checked={selectableRows.length > 0 && selectedOnPage.length === selectableRows.length}
                    indeterminate={selectedOnPage.length > 0 && selectedOnPage.length < selectableRows.length}
                    disabled={selectableRows.length === 0}
                    onChange={(on) => select(selectableRows, on)}
                  />
                ) : null
              }
              actions
              rows={result?.data}
              renderRow={(member) => (
                <MemberRow
                  key={member.id}
                  member={member}
                  access={access}
                  now={now}
                  selectable={selectable}
                  selected={selected.has(member.id)}
                  onSelect={(on) => select([member], on)}
                />
              )}
              loadingLabel="Loading members…"
              skeleton={{ rows: 5, className: 'min-w-10' }}
              fetching={members.isFetching}
              stale={members.isPlaceholderData}
            />
          )}
          {result && result.total > TEAM_PAGE_SIZE ? (
            <Pagination page={view.page} pageCount={pageCount} onPage={(page) => changeView((current) => ({ ...current, page }))} />
          ) : null}
        </Card>
      )}
      <YourMembership access={access} />
    </>
  );
}
