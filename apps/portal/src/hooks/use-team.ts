import { keepPreviousData, useInfiniteQuery, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { roleLevels, tenantRoles } from '@cbp/contracts';
import { useSession } from '@/hooks/use-session';
import { canAccess, roleLevel, roleName, type Role } from '@/lib/role-parser';
import { getInvitations, getMember, getMembers, getOutbox, getTeamActivity } from '@/services/team.service';
import type { InvitationQuery, Member, MemberQuery, TenantRole } from '@/types/team';

/** Under the tenant, so a tenant switch (or any tenant-wide refresh) reloads them. */
const teamKeys = {
  all: (tenantId: string | null) => ['tenant', tenantId, 'team'] as const,
  members: (tenantId: string | null, query: MemberQuery) => ['tenant', tenantId, 'team', 'members', query] as const,
  member: (tenantId: string | null, id: string) => ['tenant', tenantId, 'team', 'member', id] as const,
  invitations: (tenantId: string | null, query: InvitationQuery) => ['tenant', tenantId, 'team', 'invitations', query] as const,
  activity: (tenantId: string | null, userId: string | undefined) => ['tenant', tenantId, 'team', 'activity', userId ?? 'all'] as const,
  outbox: (tenantId: string | null, page: number) => ['tenant', tenantId, 'outbox', page] as const,
};

/** After any team change: members, invitations, activity and the outbox may all have moved. */
export function invalidateTeam(queryClient: QueryClient, tenantId: string | null): Promise<void> {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: teamKeys.all(tenantId) }),
    queryClient.invalidateQueries({ queryKey: ['tenant', tenantId, 'outbox'] }),
  ]).then(() => undefined);
}

/** `invalidateTeam` for the tenant shown, as a function to call after a change. */
export function useInvalidateTeam(): () => Promise<void> {
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  return () => invalidateTeam(queryClient, tenantId);
}

export function useMembers(query: MemberQuery) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: teamKeys.members(tenantId, query),
    queryFn: () => getMembers(query),
    enabled: tenantId !== null,
    // A new filter or page keeps the old rows on screen (dimmed) instead of flashing skeletons.
    placeholderData: keepPreviousData,
  });
}

export function useMember(id: string) {
  const { tenantId } = useSession();
  return useQuery({ queryKey: teamKeys.member(tenantId, id), queryFn: () => getMember(id), enabled: tenantId !== null });
}

export function useInvitations(query: InvitationQuery) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: teamKeys.invitations(tenantId, query),
    queryFn: () => getInvitations(query),
    enabled: tenantId !== null,
    placeholderData: keepPreviousData,
  });
}

const ACTIVITY_PAGE_SIZE = 20;

/** Team activity, newest first, a page at a time ("Load more"). */
export function useTeamActivity(userId: string | undefined) {
  const { tenantId } = useSession();
  return useInfiniteQuery({
    queryKey: teamKeys.activity(tenantId, userId),
    queryFn: ({ pageParam }) => getTeamActivity({ page: pageParam, limit: ACTIVITY_PAGE_SIZE, userId }),
    initialPageParam: 1,
    getNextPageParam: (last, pages) => (pages.length * ACTIVITY_PAGE_SIZE < last.total ? pages.length + 1 : undefined),
    enabled: tenantId !== null,
  });
}

export const OUTBOX_PAGE_SIZE = 20;

export function useOutbox(page: number) {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: teamKeys.outbox(tenantId, page),
    queryFn: () => getOutbox({ page, limit: OUTBOX_PAGE_SIZE }),
    enabled: tenantId !== null,
    placeholderData: keepPreviousData,
  });
}

/** What the caller may do to another member. */
type MemberChange = 'role' | 'status' | 'removal';

const ownChangeRefusals: Record<MemberChange, string> = {
  role: 'You cannot change your own role',
  status: 'You cannot suspend yourself',
  removal: 'You cannot remove yourself; use Leave organization instead',
};

const higherChangeWords: Record<MemberChange, string> = {
  role: 'change the role of',
  status: 'suspend or reactivate',
  removal: 'remove',
};

export interface TeamAccess {
  role: Role | null;
  userId: string | null;
  tenantName: string | null;
  /** users:edit (role, status, bulk role). */
  canEdit: boolean;
  /** users:delete. */
  canRemove: boolean;
  /** user-invitations (list, invite, resend, cancel). */
  canInvite: boolean;
  /** team:list, the activity timeline. */
  canSeeActivity: boolean;
  /** team:edit, transfer ownership. */
  canTransfer: boolean;
  /** membership:delete, leave the tenant. */
  canLeave: boolean;
  /** Roles the caller may hand out: none above their own (so only an owner grants owner). */
  assignableRoles: readonly TenantRole[];
  /** Why the caller may not make this change to this member, or null when they may. */
  refusalFor: (member: Pick<Member, 'id' | 'role'>, change: MemberChange) => string | null;
}

/** "an owner", "a member". */
export const articled = (noun: string) => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;

function rolesUpTo(role: Role | null): TenantRole[] {
  return tenantRoles.filter((r) => roleLevels[r] <= roleLevel(role));
}

/**
 * The team decisions of the shared RBAC table for the caller's role, plus the two rules the
 * API adds per member: nobody changes themselves, and nobody acts on a role above their own.
 */
export function useTeamAccess(): TeamAccess {
  const { me, membership, role } = useSession();
  const userId = me?.user.id ?? null;
  const canEdit = canAccess(role, 'users', 'edit');
  return {
    role,
    userId,
    tenantName: membership?.name ?? null,
    canEdit,
    canRemove: canAccess(role, 'users', 'delete'),
    canInvite: canAccess(role, 'user-invitations', 'create'),
    canSeeActivity: canAccess(role, 'team', 'list'),
    canTransfer: canAccess(role, 'team', 'edit'),
    canLeave: canAccess(role, 'membership', 'delete'),
    assignableRoles: rolesUpTo(role),
    refusalFor: (member, change) => {
      if (member.id === userId) return ownChangeRefusals[change];
      if (roleLevel(member.role) > roleLevel(role)) {
        const theirs = roleName(member.role).toLowerCase();
        return `Only ${articled(theirs)} can ${higherChangeWords[change]} ${articled(theirs)}`;
      }
      return null;
    },
  };
}
