import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { AlertTriangle, CheckCircle2, X, XCircle } from 'lucide-react';
import { RoleSelect } from '@/components/team/RoleSelect';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useInvalidateTeam } from '@/hooks/use-team';
import { errorMessage } from '@/lib/axios';
import { roleName } from '@/lib/role-parser';
import { bulkChangeRole } from '@/services/team.service';
import type { BulkRoleResult, Member, TenantRole } from '@/types/team';

/** A bulk change as it came back, with the members it was about (they may leave the page). */
export interface BulkRoleOutcome {
  role: TenantRole;
  result: BulkRoleResult;
  members: readonly Member[];
}

interface BulkRoleBarProps {
  selected: readonly Member[];
  assignable: readonly TenantRole[];
  onDone: (outcome: BulkRoleOutcome) => void;
  onClear: () => void;
}

/** Shown while members are selected: one role for all of them, in one request. */
export function BulkRoleBar({ selected, assignable, onDone, onClear }: BulkRoleBarProps) {
  const [role, setRole] = useState<TenantRole | ''>('');
  const refresh = useInvalidateTeam();
  const apply = useMutation({
    mutationFn: (to: TenantRole) => bulkChangeRole(selected.map((member) => member.id), to),
    onSuccess: async (result, to) => {
      onDone({ role: to, result, members: selected });
      setRole('');
      await refresh();
    },
  });
  const count = selected.length === 1 ? '1 member selected' : `${selected.length} members selected`;
  return (
    <div className="border-b bg-muted/40 px-4 py-3" role="region" aria-label="Bulk actions">
      <div className="flex flex-wrap items-center gap-3">
        <p className="text-sm font-medium" aria-live="polite">
          {count}
        </p>
        <label htmlFor="bulk-role" className="text-sm text-muted-foreground">
          Change role to
        </label>
        <RoleSelect id="bulk-role" value={role} onChange={setRole} assignable={assignable} placeholder="Choose a role…" className="min-w-40" />
        <Button size="sm" disabled={role === '' || apply.isPending} aria-busy={apply.isPending} onClick={() => role && apply.mutate(role)}>
          {apply.isPending ? 'Changing roles…' : 'Change role'}
        </Button>
        <Button size="sm" variant="ghost" onClick={onClear}>
          Clear selection
        </Button>
      </div>
      {apply.error ? (
        <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-300">
          The roles were not changed: {errorMessage(apply.error)}
        </p>
      ) : null}
    </div>
  );
}

/** Which members got the new role and which did not, with the API's reason for each refusal. */
export function BulkRoleResults({ outcome, onDismiss }: { outcome: BulkRoleOutcome; onDismiss: () => void }) {
  const { result, role, members } = outcome;
  const nameOf = (key: string) => members.find((member) => member.id === key)?.name ?? key;
  const failed = result.results.filter((row) => !row.ok);
  const title =
    failed.length === 0
      ? `${result.updated === 1 ? '1 member is' : `${result.updated} members are`} now ${roleName(role)}`
      : `${result.updated} updated, ${result.failed} not changed`;
  return (
    <Alert role="status" className="mb-4" data-testid="bulk-role-results">
      {failed.length > 0 ? <AlertTriangle aria-hidden="true" className="text-amber-600 dark:text-amber-400" /> : <CheckCircle2 aria-hidden="true" className="text-emerald-600 dark:text-emerald-400" />}
      <div className="flex-1">
        <AlertTitle>{title}</AlertTitle>
        <AlertDescription>
          <ul className="mt-2 space-y-1" aria-label="Result per member">
            {result.results.map((row) => (
              <li key={row.index} className="flex items-start gap-2" data-testid="bulk-role-result">
                {row.ok ? (
                  <CheckCircle2 className="mt-0.5 size-4 shrink-0 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />
                ) : (
                  <XCircle className="mt-0.5 size-4 shrink-0 text-red-600 dark:text-red-400" aria-hidden="true" />
                )}
                <span>
                  <span className="font-medium">{nameOf(row.key)}</span>
                  {row.ok ? ` is now ${roleName(role)}.` : `: ${row.message ?? `refused (HTTP ${row.status})`}`}
                </span>
              </li>
            ))}
          </ul>
        </AlertDescription>
      </div>
      <Button variant="ghost" size="icon" className="-mt-2 -mr-2 size-8" aria-label="Dismiss the results" onClick={onDismiss}>
        <X aria-hidden="true" />
      </Button>
    </Alert>
  );
}
