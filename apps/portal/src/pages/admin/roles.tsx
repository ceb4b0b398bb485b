import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { KeyRound, UserSearch } from 'lucide-react';
import { toast } from 'sonner';
import { RequireAccess } from '@/components/access/require-access';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { DataTable } from '@/components/ui/data-table';
import { EmptyState } from '@/components/ui/empty-state';
import { Input } from '@/components/ui/input';
import { cbpRoleForIdentityRole, roleName } from '@/lib/role-parser';
import {
  assignRole,
  findIdentityUser,
  getRealmRoles,
  getUserRoles,
  revokeRole,
  type IdentityRole,
  type IdentityUser,
} from '@/services/keycloak-roles.service';

const cell = 'px-4 py-3 align-top';
const rolesKey = ['identity-roles'] as const;
const userRolesKey = (userId: string) => ['identity-roles', 'user', userId] as const;

function RoleRow({ role }: { role: IdentityRole }) {
  const cbpRole = cbpRoleForIdentityRole(role.name);
  return (
    <tr data-testid="realm-role-row">
      <td className={`${cell} font-mono text-sm`}>{role.name}</td>
      <td className={`${cell} text-muted-foreground`}>{role.description || '—'}</td>
      <td className={cell}>
        <span className="flex flex-wrap gap-1">
          {cbpRole ? <Badge>{roleName(cbpRole)}</Badge> : <span className="text-sm text-muted-foreground">No meaning in CBP</span>}
          {role.composite ? <Badge variant="secondary">Composite</Badge> : null}
        </span>
      </td>
    </tr>
  );
}

function RealmRoles() {
  const roles = useQuery({ queryKey: rolesKey, queryFn: getRealmRoles });
  if (roles.error && !roles.data) return <QueryError title="We couldn't load the realm roles" error={roles.error} onRetry={() => void roles.refetch()} />;
  return (
    <Card className="overflow-hidden">
      <CardHeader>
        <CardTitle className="text-base font-semibold text-foreground">Realm roles</CardTitle>
        <CardDescription>Roles of the identity provider and the CBP role each grants (tenant roles are memberships, managed on the Team page).</CardDescription>
      </CardHeader>
      {roles.data && roles.data.length === 0 ? (
        <EmptyState icon={KeyRound} title="No realm roles" body="The identity provider's realm has no roles yet." testId="roles-empty" />
      ) : (
        <DataTable
          caption="Realm roles"
          columns={['Role', 'Description', 'In CBP']}
          rows={roles.data}
          renderRow={(role) => <RoleRow key={role.id} role={role} />}
          loadingLabel="Loading the realm roles…"
          skeleton={{ rows: 2, className: 'min-w-16', cellClassName: cell }}
          fetching={roles.isFetching}
        />
      )}
    </Card>
  );
}

type Pending = { kind: 'assign' | 'revoke'; role: IdentityRole } | null;

function UserRoles({ user }: { user: IdentityUser }) {
  const queryClient = useQueryClient();
  const roles = useQuery({ queryKey: rolesKey, queryFn: getRealmRoles });
  const held = useQuery({ queryKey: userRolesKey(user.id), queryFn: () => getUserRoles(user.id) });
  const [choice, setChoice] = useState('');
  const [pending, setPending] = useState<Pending>(null);
  const selectId = useId();
  const realm = held.data?.realm ?? '';
  const mutation = useMutation({
    mutationFn: (p: NonNullable<Pending>) => (p.kind === 'assign' ? assignRole(realm, user.id, p.role.id) : revokeRole(realm, user.id, p.role.id)),
    onSuccess: (result, p) => {
      queryClient.setQueryData(userRolesKey(user.id), result);
      setPending(null);
      setChoice('');
      toast.success(p.kind === 'assign' ? `${p.role.name} assigned to ${user.email}` : `${p.role.name} revoked from ${user.email}`, {
        description: p.kind === 'assign' ? 'It is in their next token.' : 'Tokens they already hold no longer carry it.',
      });
    },
  });

  if (held.error && !held.data) return <QueryError title={`We couldn't load the roles of ${user.email}`} error={held.error} onRetry={() => void held.refetch()} />;
  const heldIds = new Set(held.data?.roles.map((r) => r.id));
  const assignable = (roles.data ?? []).filter((r) => !heldIds.has(r.id));
  const chosen = assignable.find((r) => r.id === choice);
  return (
    <Card className="overflow-hidden" data-testid="user-roles">
      <CardHeader>
        <CardTitle className="text-base font-semibold text-foreground">
          {user.name ?? user.email} <span className="font-normal text-muted-foreground">({user.email})</span>
        </CardTitle>
        <CardDescription>{user.enabled ? 'Realm roles this user holds.' : 'This user is disabled in the identity provider.'}</CardDescription>
      </CardHeader>
      <div className="px-5 pb-5">
        {!held.data ? (
          <p role="status" className="text-sm text-muted-foreground">
            Loading their roles…
          </p>
        ) : held.data.roles.length === 0 ? (
          <p className="text-sm text-muted-foreground" data-testid="user-roles-empty">
            No realm roles.
          </p>
        ) : (
          <ul className="divide-y rounded-md border" aria-label={`Roles of ${user.email}`}>
            {held.data.roles.map((role) => (
              <li key={role.id} className="flex flex-wrap items-center justify-between gap-2 px-3 py-2" data-testid="user-role">
                <div className="min-w-0">
                  <span className="font-mono text-sm">{role.name}</span>
                  {role.description ? <span className="ml-2 text-sm text-muted-foreground">{role.description}</span> : null}
                </div>
                <Button variant="outline" size="sm" onClick={() => setPending({ kind: 'revoke', role })} aria-label={`Revoke ${role.name} from ${user.email}`}>
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        )}
        {held.data ? (
          <form
            className="mt-4 flex flex-wrap items-end gap-2"
            onSubmit={(event) => {
              event.preventDefault();
              if (chosen) setPending({ kind: 'assign', role: chosen });
            }}
          >
            <div className="flex min-w-48 flex-col gap-1">
              <label htmlFor={selectId} className="text-sm font-medium">
                Role to assign
              </label>
              <select
                id={selectId}
                value={choice}
                onChange={(event) => setChoice(event.target.value)}
                className="h-9 rounded-md border border-input bg-card px-3 text-sm"
                disabled={assignable.length === 0}
              >
                <option value="">{assignable.length === 0 ? 'Every role is assigned' : 'Choose a role'}</option>
                {assignable.map((role) => (
                  <option key={role.id} value={role.id}>
                    {role.name}
                  </option>
                ))}
              </select>
            </div>
            <Button type="submit" disabled={!chosen}>
              Assign role
            </Button>
          </form>
        ) : null}
      </div>
      <ConfirmDialog
        open={pending !== null}
        onOpenChange={(open) => {
          if (!open) setPending(null);
        }}
        title={pending?.kind === 'assign' ? `Assign ${pending.role.name}?` : `Revoke ${pending?.role.name ?? ''}?`}
        description={
          pending?.kind === 'assign'
            ? `${user.email} gets ${pending.role.name} in their next token${pending.role.name === 'super_admin' ? ': platform staff access to the staff console and every tenant' : ''}. The change is recorded in the audit trail.`
            : `${user.email} loses ${pending?.role.name ?? 'the role'} at once, also in tokens they already hold. The change is recorded in the audit trail.`
        }
        confirmLabel={pending?.kind === 'assign' ? 'Assign role' : 'Revoke role'}
        pendingLabel={pending?.kind === 'assign' ? 'Assigning…' : 'Revoking…'}
        keepLabel="Cancel"
        failureTitle={pending?.kind === 'assign' ? 'The role was not assigned' : 'The role was not revoked'}
        destructive={pending?.kind === 'revoke'}
        action={{
          run: () => {
            if (pending) mutation.mutate(pending);
          },
          isPending: mutation.isPending,
          error: mutation.error,
          reset: () => mutation.reset(),
        }}
      />
    </Card>
  );
}

function UserLookup() {
  const [email, setEmail] = useState('');
  const [searched, setSearched] = useState<string | null>(null);
  const inputId = useId();
  const user = useQuery({ queryKey: ['identity-roles', 'find', searched], queryFn: () => findIdentityUser(searched ?? ''), enabled: searched !== null });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = email.trim();
    if (value) setSearched(value);
  };
  return (
    <section aria-labelledby={`${inputId}-title`} className="flex flex-col gap-4">
      <Card>
        <CardHeader>
          <CardTitle id={`${inputId}-title`} className="text-base font-semibold text-foreground">A user's roles</CardTitle>
          <CardDescription>Find a user of the identity provider by email to see, assign and revoke their realm roles.</CardDescription>
        </CardHeader>
        <form onSubmit={submit} className="flex flex-wrap items-end gap-2 px-5 pb-5" role="search">
          <div className="flex min-w-64 flex-1 flex-col gap-1">
            <label htmlFor={inputId} className="text-sm font-medium">
              Email
            </label>
            <Input id={inputId} type="email" required value={email} onChange={(event) => setEmail(event.target.value)} placeholder="name@example.com" autoComplete="off" />
          </div>
          <Button type="submit" disabled={user.isFetching}>
            {user.isFetching ? 'Searching…' : 'Find user'}
          </Button>
        </form>
      </Card>
      {searched === null ? null : user.error ? (
        <QueryError title="We couldn't search the identity provider" error={user.error} onRetry={() => void user.refetch()} />
      ) : user.data === null ? (
        <Card>
          <EmptyState icon={UserSearch} title={`No user with the email ${searched}`} body="Check the address; users sign up or are invited before they exist in the identity provider." testId="user-not-found" />
        </Card>
      ) : user.data ? (
        <UserRoles key={user.data.id} user={user.data} />
      ) : (
        <p role="status" className="text-sm text-muted-foreground">
          Searching for {searched}…
        </p>
      )}
    </section>
  );
}

/** Identity roles of the realm, and a user's roles to assign and revoke: platform staff only. */
export default function RolesPage() {
  return (
    <RequireAccess resource="identity-roles" action="list">
      <PageHeader title="Identity roles" description="Realm roles of the identity provider and who holds them. Changes are audited in the user's organizations." />
      <div className="flex flex-col gap-6">
        <RealmRoles />
        <UserLookup />
      </div>
    </RequireAccess>
  );
}

