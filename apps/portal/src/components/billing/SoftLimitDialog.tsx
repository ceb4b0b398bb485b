import { useId, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Pencil } from 'lucide-react';
import { toast } from 'sonner';
import { formatQuantity } from '@/components/billing/usage-format';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { DialogFormActions, FormFailure } from '@/components/ui/dialog-form';
import { Input } from '@/components/ui/input';
import { useInvalidateUsage } from '@/hooks/use-usage';
import { updateSoftLimit } from '@/services/usage.service';
import type { Quota } from '@/types/usage';

export type SoftLimitInput = { ok: true; softLimit: number | null } | { ok: false; error: string };

/**
 * What the admin typed, as the API takes it: empty turns the alert off; otherwise a whole
 * number (thousands separators allowed) below the hard limit.
 */
export function parseSoftLimit(text: string, quota: Pick<Quota, 'hardLimit' | 'unit'>): SoftLimitInput {
  const compact = text.trim().replace(/[\s,_]/g, '');
  if (compact === '') return { ok: true, softLimit: null };
  if (!/^\d+$/.test(compact)) return { ok: false, error: 'Enter a whole number of units, like 90000, or leave it empty.' };
  const softLimit = Number(compact);
  if (!Number.isSafeInteger(softLimit)) return { ok: false, error: 'That number is too large.' };
  if (quota.hardLimit !== null && softLimit >= quota.hardLimit) {
    return { ok: false, error: `The soft limit must be below the hard limit (${formatQuantity(quota.hardLimit, quota.unit)}).` };
  }
  return { ok: true, softLimit };
}

function SoftLimitForm({ quota, onDone }: { quota: Quota; onDone: () => void }) {
  const id = useId();
  const [text, setText] = useState(quota.softLimit === null ? '' : String(quota.softLimit));
  const [touched, setTouched] = useState(false);
  const refresh = useInvalidateUsage();
  const parsed = parseSoftLimit(text, quota);
  const save = useMutation({
    mutationFn: (softLimit: number | null) => updateSoftLimit(quota.metricType, softLimit),
    onSuccess: async (updated) => {
      toast.success(
        updated.softLimit === null
          ? `The soft-limit alert for ${updated.metricName} is off.`
          : `The soft limit for ${updated.metricName} is now ${formatQuantity(updated.softLimit, updated.unit)}.`,
      );
      onDone();
      await refresh();
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched(true);
    if (parsed.ok) save.mutate(parsed.softLimit);
  };
  const showError = touched && !parsed.ok;
  const hint =
    quota.hardLimit === null
      ? 'A whole number. Leave it empty to turn the alert off.'
      : `A whole number below the hard limit of ${formatQuantity(quota.hardLimit, quota.unit)}. Leave it empty to turn the alert off.`;
  return (
    <form onSubmit={submit} noValidate className="mt-4 space-y-4">
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-soft-limit`} className="text-sm font-medium">
          Soft limit ({quota.unit})
        </label>
        <Input
          id={`${id}-soft-limit`}
          inputMode="numeric"
          autoComplete="off"
          value={text}
          onChange={(event) => setText(event.target.value)}
          onBlur={() => setTouched(true)}
          aria-invalid={showError}
          aria-describedby={`${id}-hint${showError ? ` ${id}-error` : ''}`}
        />
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </p>
        {showError ? (
          <p id={`${id}-error`} className="text-xs text-red-700 dark:text-red-300">
            {parsed.error}
          </p>
        ) : null}
      </div>
      <FormFailure title="The soft limit was not changed" error={save.error} />
      <DialogFormActions submitLabel="Save soft limit" pendingLabel="Saving…" pending={save.isPending} />
    </form>
  );
}

/** Admin. The soft limit raises an alert and nothing else; the hard limit comes from the plan. */
export function SoftLimitDialog({ quota }: { quota: Quota }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="ghost" size="icon" className="size-7" title={`Edit the soft limit of ${quota.metricName}`}>
          <Pencil aria-hidden="true" />
          <span className="sr-only">Edit the soft limit of {quota.metricName}</span>
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader className="pr-6">
          <DialogTitle>Soft limit for {quota.metricName}</DialogTitle>
          <DialogDescription>
            When usage reaches the soft limit, an alert is recorded and a banner warns everyone in the portal. Nothing is
            blocked or billed because of it.
          </DialogDescription>
        </DialogHeader>
        {open ? <SoftLimitForm quota={quota} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}
