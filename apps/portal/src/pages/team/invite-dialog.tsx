import { useId, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { UserPlus } from 'lucide-react';
import { toast } from 'sonner';
import { InviteInput } from '@cbp/contracts';
import { BulkInvite } from '@/components/team/BulkInvite';
import { inviteHint, inviteLabel, InviteRefusal, MessageField } from '@/components/team/invite-fields';
import { RoleSelect } from '@/components/team/RoleSelect';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { useInvalidateTeam, type TeamAccess } from '@/hooks/use-team';
import { cn } from '@/lib/cn';
import { roleDescription } from '@/lib/role-parser';
import { invite } from '@/services/team.service';
import type { TenantRole } from '@/types/team';

function SingleInvite({ access, onSent }: { access: TeamAccess; onSent: () => void }) {
  const id = useId();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<TenantRole>('analyst');
  const [message, setMessage] = useState('');
  const [touched, setTouched] = useState(false);
  const refresh = useInvalidateTeam();
  const send = useMutation({
    mutationFn: () => invite({ email: email.trim(), role, message: message.trim() || undefined }),
    onSuccess: async (invitation) => {
      toast.success(`Invitation sent to ${invitation.email}.`);
      onSent();
      await refresh();
    },
  });
  const emailValid = InviteInput.shape.email.safeParse(email.trim()).success;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched(true);
    if (emailValid) send.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Invite one person">
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-email`} className={inviteLabel}>
          Email address
        </label>
        <Input
          id={`${id}-email`}
          type="email"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          onBlur={() => setTouched(email !== '')}
          autoComplete="off"
          aria-invalid={touched && !emailValid}
          aria-describedby={touched && !emailValid ? `${id}-email-error` : undefined}
          required
        />
        {touched && !emailValid ? (
          <p id={`${id}-email-error`} className="text-xs text-red-700 dark:text-red-300">
            Enter an email address like name@example.com.
          </p>
        ) : null}
      </div>
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-role`} className={inviteLabel}>
          Role
        </label>
        <RoleSelect id={`${id}-role`} value={role} onChange={setRole} assignable={access.assignableRoles} aria-describedby={`${id}-role-hint`} />
        <p id={`${id}-role-hint`} className={inviteHint}>
          {roleDescription(role)}
        </p>
      </div>
      <MessageField id={`${id}-message`} value={message} onChange={setMessage} />
      {send.error ? <InviteRefusal title="The invitation was not sent" error={send.error} /> : null}
      <div className="flex justify-end">
        <Button type="submit" disabled={send.isPending} aria-busy={send.isPending}>
          {send.isPending ? 'Sending…' : 'Send invitation'}
        </Button>
      </div>
    </form>
  );
}

type Mode = 'single' | 'bulk';

/** "Invite people": one person with a message, or many from a paste or a CSV file, checked before sending. */
export function InviteDialog({ access }: { access: TeamAccess }) {
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<Mode>('single');
  const id = useId();
  const tab = (value: Mode, text: string) => (
    <button
      type="button"
      role="tab"
      id={`${id}-${value}-tab`}
      aria-selected={mode === value}
      aria-controls={`${id}-${value}-panel`}
      onClick={() => setMode(value)}
      className={cn(
        'rounded-md px-3 py-1.5 text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-ring',
        mode === value ? 'bg-card text-foreground shadow-xs' : 'text-muted-foreground hover:text-foreground',
      )}
    >
      {text}
    </button>
  );
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) setMode('single');
      }}
    >
      <DialogTrigger asChild>
        <Button>
          <UserPlus aria-hidden="true" />
          Invite people
        </Button>
      </DialogTrigger>
      <DialogContent className="max-w-2xl">
        <DialogHeader className="pr-6">
          <DialogTitle>Invite people</DialogTitle>
          <DialogDescription>They get an email with a link that is valid for 7 days.</DialogDescription>
        </DialogHeader>
        <div role="tablist" aria-label="How many people" className="mt-4 inline-flex gap-1 rounded-lg bg-muted p-1">
          {tab('single', 'One person')}
          {tab('bulk', 'Several people')}
        </div>
        <div role="tabpanel" id={`${id}-${mode}-panel`} aria-labelledby={`${id}-${mode}-tab`} className="mt-4">
          {mode === 'single' ? (
            <SingleInvite access={access} onSent={() => setOpen(false)} />
          ) : (
            <BulkInvite access={access} onDone={() => setOpen(false)} />
          )}
        </div>
      </DialogContent>
    </Dialog>
  );
}
