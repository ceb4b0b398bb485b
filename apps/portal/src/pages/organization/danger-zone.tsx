import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, Trash2, Undo2 } from 'lucide-react';
import { toast } from 'sonner';
import { organizationDeletionGraceDays, type OrganizationProfile } from '@cbp/contracts';
import { FormFailure } from '@/components/ui/dialog-form';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { useSession } from '@/hooks/use-session';
import { ApiError } from '@/lib/axios';
import { formatDate } from '@/lib/dates';
import { cancelDeletion, scheduleDeletion } from '@/services/organization.service';
import { organizationKeys } from '@/pages/organization/queries';

/** Whole days from now until `iso` (at least 0). */
export function daysUntil(iso: string, now = Date.now()): number {
  return Math.max(0, Math.ceil((new Date(iso).getTime() - now) / 86_400_000));
}

function DeleteDialog({ open, onOpenChange, name }: { open: boolean; onOpenChange: (open: boolean) => void; name: string }) {
  const { tenantId, role } = useSession();
  const staff = role === 'super_admin';
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();
  const schedule = useMutation({
    mutationFn: () => scheduleDeletion(typed),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: organizationKeys.profile(tenantId) });
      onOpenChange(false);
      toast.success('Deletion scheduled. You can cancel it during the grace period.');
    },
  });
  const fieldError = schedule.error instanceof ApiError ? schedule.error.problem?.errors?.find((e) => e.path === 'body.confirmName')?.message : undefined;
  // When the deletion would happen if scheduled now (the dialog mounts with the page).
  const [date] = useState(() => formatDate(new Date(Date.now() + organizationDeletionGraceDays * 86_400_000).toISOString()));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (typed === name) schedule.mutate();
  };
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        onOpenChange(next);
        if (!next) {
          setTyped('');
          schedule.reset();
        }
      }}
    >
      <DialogContent>
        <DialogHeader className="pr-6">
          <DialogTitle>Delete {name}?</DialogTitle>
          <DialogDescription>
            Everything of the organization (members, billing, usage, the audit trail) is removed after a {organizationDeletionGraceDays}-day grace period, on {date}.
            Until then everyone keeps working and an owner can cancel. {staff ? 'Make sure the owners have exported their data first.' : 'Export your data first if you need it.'}
          </DialogDescription>
        </DialogHeader>
        <form onSubmit={submit} className="mt-2 space-y-4" noValidate>
          <div className="space-y-1.5">
            <label htmlFor={inputId} className="block text-sm font-medium">
              Type <span className="font-semibold">{name}</span> to confirm
            </label>
            <Input
              id={inputId}
              value={typed}
              autoComplete="off"
              onChange={(e) => setTyped(e.target.value)}
              aria-describedby={fieldError ? `${hintId} ${errorId}` : hintId}
              aria-invalid={fieldError ? true : undefined}
              data-testid="delete-confirm-name"
            />
            <p id={hintId} className="text-xs text-muted-foreground">
              The exact name, with the same capitals.
            </p>
            {fieldError ? (
              <p id={errorId} className="text-sm text-red-700 dark:text-red-400">
                {fieldError}
              </p>
            ) : null}
          </div>
          {schedule.error && !fieldError ? <FormFailure title="The deletion was not scheduled" error={schedule.error} /> : null}
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <DialogClose asChild>
              <Button variant="outline">Keep the organization</Button>
            </DialogClose>
            <Button type="submit" variant="destructive" disabled={schedule.isPending || typed !== name} aria-busy={schedule.isPending}>
              {schedule.isPending ? 'Scheduling…' : 'Schedule deletion'}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}

/**
 * Danger zone (owner): schedule the organization's deletion with a typed confirmation; while it
 * is pending, the date, a countdown and Cancel.
 */
export function DangerZone({ profile }: { profile: OrganizationProfile }) {
  const { tenantId, role } = useSession();
  // Platform staff may schedule and cancel (the API's rule), on the owners' behalf only.
  const staff = role === 'super_admin';
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const cancel = useMutation({
    mutationFn: cancelDeletion,
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: organizationKeys.profile(tenantId) });
      toast.success('Deletion cancelled. The organization stays.');
    },
  });
  const scheduled = profile.deletion?.scheduledFor ?? null;
  return (
    <Card aria-labelledby="org-danger-title" className="border-red-300 dark:border-red-900">
      <CardHeader>
        <h2 id="org-danger-title" className="text-base font-semibold text-red-700 dark:text-red-400">
          Danger zone
        </h2>
        <CardDescription>Deleting the organization removes all its data after a {organizationDeletionGraceDays}-day grace period.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {staff ? (
          <p className="text-sm text-muted-foreground" data-testid="deletion-staff-note">
            As platform staff, schedule or cancel a deletion only at the owners' request; it is recorded in their audit log.
          </p>
        ) : null}
        {scheduled ? (
          <>
            <p className="text-sm" data-testid="deletion-countdown">
              <AlertTriangle className="mr-1 inline size-4 text-red-600" aria-hidden="true" />
              Scheduled for deletion on <strong>{formatDate(scheduled)}</strong> ({daysUntil(scheduled)} days left).
            </p>
            <Button type="button" variant="outline" onClick={() => cancel.mutate()} disabled={cancel.isPending} aria-busy={cancel.isPending}>
              <Undo2 aria-hidden="true" />
              {cancel.isPending ? 'Cancelling…' : 'Cancel deletion'}
            </Button>
            {cancel.error ? <FormFailure title="The deletion was not cancelled" error={cancel.error} /> : null}
          </>
        ) : (
          <Button type="button" variant="destructive" onClick={() => setOpen(true)}>
            <Trash2 aria-hidden="true" />
            Delete organization
          </Button>
        )}
        <DeleteDialog open={open} onOpenChange={setOpen} name={profile.name} />
      </CardContent>
    </Card>
  );
}
