import { useRef, useState, type RefObject } from 'react';
import { Link } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { Eye, MoreHorizontal, PauseCircle, PlayCircle, UserMinus } from 'lucide-react';
import { toast } from 'sonner';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { RoleSelect } from '@/components/team/RoleSelect';
import { RoleChangeDialog } from '@/components/team/role-change-dialog';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { useInvalidateTeam, type TeamAccess } from '@/hooks/use-team';
import { roleName } from '@/lib/role-parser';
import { changeMemberRole, changeMemberStatus, removeMember } from '@/services/team.service';
import type { Member, TenantRole } from '@/types/team';

/**
 * The member's role: a select for those who may change it, otherwise plain text. A pick is only
 * a proposal: a dialog confirms it (the select shows the old role again on cancel), and the
 * success toast offers Undo, which restores the previous role. Undo errors are toasted.
 */
export function MemberRoleSelect({
  member,
  access,
  className,
  describedBy,
}: {
  member: Member;
  access: TeamAccess;
  className?: string;
  /** Id of visible text explaining why the select is disabled. */
  describedBy?: string;
}) {
  const refresh = useInvalidateTeam();
  // The role picked (shown in the select until the list has the change) and whether the dialog asks.
  const [proposed, setProposed] = useState<TenantRole | null>(null);
  const [confirming, setConfirming] = useState(false);
  const undo = useMutation({
    mutationFn: (previous: TenantRole) => changeMemberRole(member.id, previous),
    onSuccess: async (restored) => {
      toast.success(`${restored.name} is ${roleName(restored.role)} again.`);
      await refresh();
    },
  });
  const change = useMutation({
    mutationFn: ({ role }: { role: TenantRole; previous: TenantRole }) => changeMemberRole(member.id, role, { silent: true }),
    onSuccess: async (updated, { previous }) => {
      setConfirming(false);
      toast.success(`${updated.name} is now ${roleName(updated.role)}.`, {
        description: `Was ${roleName(previous)}.`,
        action: { label: 'Undo', onClick: () => undo.mutate(previous) },
      });
      await refresh();
      setProposed(null);
    },
  });
  if (!access.canEdit) return <Badge variant="secondary">{roleName(member.role)}</Badge>;
  const refusal = access.refusalFor(member, 'role');
  const busy = change.isPending || undo.isPending;
  return (
    <>
      <RoleSelect
        aria-label={`Role of ${member.name}`}
        value={proposed ?? member.role}
        onChange={(role) => {
          if (role === member.role) return;
          setProposed(role);
          setConfirming(true);
        }}
        assignable={access.assignableRoles}
        disabled={refusal !== null || busy}
        title={refusal ?? undefined}
        aria-describedby={refusal && describedBy ? describedBy : undefined}
        aria-busy={busy}
        className={className}
      />
      <RoleChangeDialog
        member={member}
        newRole={confirming ? proposed : null}
        onCancel={() => {
          setConfirming(false);
          setProposed(null);
        }}
        action={{
          run: () => {
            if (proposed) change.mutate({ role: proposed, previous: member.role });
          },
          isPending: change.isPending,
          error: change.error,
          reset: change.reset,
        }}
      />
    </>
  );
}

interface MemberDialogProps {
  member: Member;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  returnFocusTo?: RefObject<HTMLElement | null>;
}

/** Suspending keeps the membership but blocks the person's access until an admin reactivates it. */
export function SuspendMemberDialog({ member, open, onOpenChange, returnFocusTo }: MemberDialogProps) {
  const refresh = useInvalidateTeam();
  const suspend = useMutation({
    mutationFn: () => changeMemberStatus(member.id, 'suspended', { silent: true }),
    onSuccess: async () => {
      onOpenChange(false);
      toast.success(`${member.name} was suspended.`);
      await refresh();
    },
  });
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Suspend ${member.name}?`}
      description={`${member.email} will not be able to use this organization until an admin reactivates the membership. Their role and history stay as they are.`}
      confirmLabel="Suspend member"
      pendingLabel="Suspending…"
      keepLabel="Keep active"
      failureTitle="The member was not suspended"
      action={{ run: () => suspend.mutate(), isPending: suspend.isPending, error: suspend.error, reset: suspend.reset }}
      returnFocusTo={returnFocusTo}
    />
  );
}

export function RemoveMemberDialog({ member, open, onOpenChange, onRemoved, returnFocusTo }: MemberDialogProps & { onRemoved?: () => void }) {
  const refresh = useInvalidateTeam();
  const remove = useMutation({
    mutationFn: () => removeMember(member.id),
    onSuccess: async () => {
      onOpenChange(false);
      toast.success(`${member.name} was removed from the organization.`);
      onRemoved?.();
      await refresh();
    },
  });
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Remove ${member.name}?`}
      description={`${member.email} loses access to this organization at once. To bring them back, invite them again.`}
      confirmLabel="Remove member"
      pendingLabel="Removing…"
      keepLabel="Keep member"
      failureTitle="The member was not removed"
      action={{ run: () => remove.mutate(), isPending: remove.isPending, error: remove.error, reset: remove.reset }}
      returnFocusTo={returnFocusTo}
    />
  );
}

/** Reactivation gives access back, so it needs no confirmation. Errors are toasted. */
export function useReactivateMember(member: Member) {
  const refresh = useInvalidateTeam();
  return useMutation({
    mutationFn: () => changeMemberStatus(member.id, 'active'),
    onSuccess: async () => {
      toast.success(`${member.name} was reactivated.`);
      await refresh();
    },
  });
}

function ItemReason({ reason }: { reason: string | null }) {
  return reason ? <span className="block text-xs text-muted-foreground">{reason}</span> : null;
}

/** View, Suspend or Reactivate, Remove: each disabled with its reason when the caller may not. */
export function MemberActionsMenu({ member, access }: { member: Member; access: TeamAccess }) {
  const [dialog, setDialog] = useState<'suspend' | 'remove' | null>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const reactivate = useReactivateMember(member);
  const statusRefusal = access.refusalFor(member, 'status');
  const removalRefusal = access.refusalFor(member, 'removal');
  const suspended = member.status === 'suspended';
  return (
    <>
      <DropdownMenu modal={false}>
        <DropdownMenuTrigger asChild>
          <Button ref={trigger} variant="ghost" size="icon" aria-label={`Actions for ${member.name}`}>
            <MoreHorizontal aria-hidden="true" />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end" className="w-64">
          <DropdownMenuItem asChild>
            <Link to={`/team/members/${member.id}`}>
              <Eye aria-hidden="true" />
              View
            </Link>
          </DropdownMenuItem>
          {access.canEdit ? (
            <>
              <DropdownMenuSeparator />
              <DropdownMenuItem
                disabled={statusRefusal !== null || reactivate.isPending}
                onSelect={() => (suspended ? reactivate.mutate() : setDialog('suspend'))}
                className="items-start"
              >
                {suspended ? <PlayCircle aria-hidden="true" className="mt-0.5" /> : <PauseCircle aria-hidden="true" className="mt-0.5" />}
                <span>
                  {suspended ? 'Reactivate' : 'Suspend'}
                  <ItemReason reason={statusRefusal} />
                </span>
              </DropdownMenuItem>
            </>
          ) : null}
          {access.canRemove ? (
            <DropdownMenuItem
              disabled={removalRefusal !== null}
              onSelect={() => setDialog('remove')}
              className="items-start text-red-700 focus:text-red-800 dark:text-red-300 dark:focus:text-red-200"
            >
              <UserMinus aria-hidden="true" className="mt-0.5" />
              <span>
                Remove
                <ItemReason reason={removalRefusal} />
              </span>
            </DropdownMenuItem>
          ) : null}
        </DropdownMenuContent>
      </DropdownMenu>
      <SuspendMemberDialog
        member={member}
        open={dialog === 'suspend'}
        onOpenChange={(open) => setDialog(open ? 'suspend' : null)}
        returnFocusTo={trigger}
      />
      <RemoveMemberDialog
        member={member}
        open={dialog === 'remove'}
        onOpenChange={(open) => setDialog(open ? 'remove' : null)}
        returnFocusTo={trigger}
      />
    </>
  );
}
