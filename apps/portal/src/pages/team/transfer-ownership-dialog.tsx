import { useId, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, Crown } from 'lucide-react';
import { toast } from 'sonner';
import { selectControl } from '@/components/ui/filter-select';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { invalidateTeam, useMembers } from '@/hooks/use-team';
import { useSession } from '@/hooks/use-session';
import { errorMessage } from '@/lib/axios';
import { cn } from '@/lib/cn';
import { meQuery } from '@/lib/session';
import { roleName } from '@/lib/role-parser';
import { transferOwnership } from '@/services/team.service';

/** The most members the picker lists (the API's page limit); a bigger team can narrow it by typing. */
const PICKER_LIMIT = 100;

function TransferForm({ tenantName, userId, onDone }: { tenantName: string; userId: string | null; onDone: () => void }) {
  const id = useId();
  const [newOwnerId, setNewOwnerId] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const members = useMembers({ page: 1, limit: PICKER_LIMIT, status: 'active' });
  const candidates = (members.data?.data ?? []).filter((member) => member.id !== userId && member.status === 'active');
  const chosen = candidates.find((member) => member.id === newOwnerId);
  const transfer = useMutation({
    mutationFn: () => transferOwnership(newOwnerId),
    onSuccess: async (result) => {
      onDone();
      toast.success(`${result.newOwner.name} now owns ${tenantName}. You are an admin.`);
      await Promise.all([queryClient.invalidateQueries({ queryKey: meQuery.queryKey }), invalidateTeam(queryClient, tenantId)]);
    },
  });
  const confirmed = confirmation === tenantName;

  return (
    <form
      className="mt-4 space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        if (chosen && confirmed) transfer.mutate();
      }}
    >
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-owner`} className="text-sm font-medium">
          New owner
        </label>
        {members.isPending ? (
          <Skeleton className="h-9 w-full" />
        ) : members.error ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-300">
            We couldn't load the members: {errorMessage(members.error)}
          </p>
        ) : candidates.length === 0 ? (
          <p className="text-sm text-muted-foreground" data-testid="no-candidates">
            No other active member can take over. Invite someone first.
          </p>
        ) : (
          <select id={`${id}-owner`} value={newOwnerId} onChange={(event) => setNewOwnerId(event.target.value)} className={cn(selectControl, 'w-full')}>
            <option value="" disabled>
              Choose a member…
            </option>
            {candidates.map((member) => (
              <option key={member.id} value={member.id}>
                {member.name} ({member.email}) · {roleName(member.role)}
              </option>
            ))}
          </select>
        )}
      </div>
      <ul className="list-disc space-y-1.5 pl-5 text-sm">
        <li>{chosen ? `${chosen.name} becomes` : 'They become'} the owner: billing, payment methods and ownership are theirs.</li>
        <li>You stay in {tenantName} as an admin and can no longer undo this yourself.</li>
        <li>Both of you get an email about the change.</li>
      </ul>
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-confirm`} className="text-sm font-medium">
          Type <span className="font-semibold">{tenantName}</span> to confirm
        </label>
        <Input id={`${id}-confirm`} value={confirmation} onChange={(event) => setConfirmation(event.target.value)} autoComplete="off" spellCheck={false} />
      </div>
      {transfer.error ? (
        <Alert variant="destructive" role="alert">
          <AlertTriangle aria-hidden="true" />
          <div>
            <AlertTitle>Ownership was not transferred</AlertTitle>
            <AlertDescription>{errorMessage(transfer.error)}</AlertDescription>
          </div>
        </Alert>
      ) : null}
      <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end">
        <DialogClose asChild>
          <Button variant="outline">Keep ownership</Button>
        </DialogClose>
        <Button type="submit" variant="destructive" disabled={!chosen || !confirmed || transfer.isPending} aria-busy={transfer.isPending}>
          {transfer.isPending ? 'Transferring…' : 'Transfer ownership'}
        </Button>
      </div>
    </form>
  );
}

/** Owner only: hands the organization to another active member, after typing its name. */
export function TransferOwnershipDialog({ tenantName, userId }: { tenantName: string; userId: string | null }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="outline">
          <Crown aria-hidden="true" />
          Transfer ownership
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader className="pr-6">
          <DialogTitle>Transfer ownership of {tenantName}</DialogTitle>
          <DialogDescription>Choose the member who will own the organization from now on.</DialogDescription>
        </DialogHeader>
        <TransferForm tenantName={tenantName} userId={userId} onDone={() => setOpen(false)} />
      </DialogContent>
    </Dialog>
  );
}
