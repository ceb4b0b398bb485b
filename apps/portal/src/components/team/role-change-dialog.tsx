import { ShieldAlert } from 'lucide-react';
import { hasRoleAtLeast, roleLevels } from '@cbp/contracts';
import { ConfirmDialog, type ConfirmAction } from '@/components/team/ConfirmDialog';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { roleDescription, roleName } from '@/lib/role-parser';
import type { Member, TenantRole } from '@/types/team';

interface RoleChangeDialogProps {
  member: Member;
  /** The role picked in the select; null: the dialog is closed. */
  newRole: TenantRole | null;
  /** Closing without confirming: the select goes back to the member's role. */
  onCancel: () => void;
  action: ConfirmAction;
}

/**
 * Confirms a role change picked in a member's role select (issue 17: one misclick must not grant
 * admin): names the member, the old and the new role and what the new role can do, and marks a
 * grant of admin or above.
 */
export function RoleChangeDialog({ member, newRole, onCancel, action }: RoleChangeDialogProps) {
  const role = newRole ?? member.role;
  const raises = roleLevels[role] > roleLevels[member.role];
  const grantsAdmin = raises && hasRoleAtLeast(role, 'admin');
  return (
    <ConfirmDialog
      open={newRole !== null}
      onOpenChange={(open) => {
        if (!open) onCancel();
      }}
      title={`Change ${member.name}'s role?`}
      description={
        <>
          {member.name} ({member.email}) goes from <strong className="text-foreground">{roleName(member.role)}</strong> to{' '}
          <strong className="text-foreground">{roleName(role)}</strong>.
        </>
      }
      confirmLabel={`Make ${roleName(role)}`}
      pendingLabel="Changing the role…"
      keepLabel={`Keep ${roleName(member.role)}`}
      failureTitle="The role was not changed"
      destructive={grantsAdmin}
      action={action}
    >
      <div className="mt-2 rounded-md border bg-muted/40 p-3 text-sm" data-testid="role-change-summary">
        <p className="font-medium">
          What {articleFor(roleName(role))} {roleName(role)} can do
        </p>
        <p className="mt-1 text-muted-foreground">{roleDescription(role)}</p>
        {!raises ? <p className="mt-2 text-muted-foreground">They lose what only {roleName(member.role)} can do: {roleDescription(member.role)}</p> : null}
      </div>
      {grantsAdmin ? (
        <Alert variant="destructive" className="mt-3" data-testid="role-change-admin-warning">
          <ShieldAlert aria-hidden="true" />
          <div>
            <AlertTitle>This grants {roleName(role).toLowerCase()} access</AlertTitle>
            <AlertDescription>
              {member.name} will be able to manage members, roles and settings{role === 'owner' ? ', the subscription and payment methods' : ''}.
            </AlertDescription>
          </div>
        </Alert>
      ) : null}
    </ConfirmDialog>
  );
}

const articleFor = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');
