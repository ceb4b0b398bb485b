import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { CreateApiKeyInput } from '@cbp/contracts';
import { AlertTriangle, Check, Copy, KeyRound, Plus } from 'lucide-react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { DialogFormActions, FormFailure } from '@/components/ui/dialog-form';
import { Input } from '@/components/ui/input';
import { useSession } from '@/hooks/use-session';
import { usageKeys } from '@/hooks/use-usage';
import { createApiKey } from '@/services/usage.service';
import type { ApiKey, CreatedApiKey } from '@/types/usage';

function NameForm({ onCreated }: { onCreated: (created: CreatedApiKey) => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: (input: CreateApiKeyInput) => createApiKey(input.name),
    onSuccess: async (created) => {
      const { secret: _secret, ...key } = created;
      // The list never holds a secret: only the dialog does, until it closes.
      queryClient.setQueryData<ApiKey[]>(usageKeys.apiKeys(tenantId), (list) => [key, ...(list ?? [])]);
      onCreated(created);
      await queryClient.invalidateQueries({ queryKey: usageKeys.apiKeys(tenantId), exact: true });
    },
  });
  const parsed = CreateApiKeyInput.safeParse({ name });
  const showError = touched && !parsed.success;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched(true);
    if (parsed.success) create.mutate(parsed.data);
  };
  return (
    <form onSubmit={submit} noValidate className="mt-4 space-y-4">
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-name`} className="text-sm font-medium">
          Name
        </label>
        <Input
          id={`${id}-name`}
          value={name}
          onChange={(event) => setName(event.target.value)}
          onBlur={() => setTouched(name !== '')}
          maxLength={100}
          autoComplete="off"
          placeholder="Billing worker (production)"
          aria-invalid={showError}
          aria-describedby={`${id}-hint${showError ? ` ${id}-error` : ''}`}
        />
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          Say which service uses it, so you know what breaks if it is revoked.
        </p>
        {showError ? (
          <p id={`${id}-error`} className="text-xs text-red-700 dark:text-red-300">
            Give the key a name of 1 to 100 characters.
          </p>
        ) : null}
      </div>
      <FormFailure title="The key was not created" error={create.error} />
      <DialogFormActions submitLabel="Create key" pendingLabel="Creating…" pending={create.isPending} />
    </form>
  );
}

function SecretOnce({ created }: { created: CreatedApiKey }) {
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div className="mt-4 space-y-4">
      <Alert className="border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-100">
        <AlertTriangle aria-hidden="true" />
        <div>
          <AlertTitle>Copy the key now: it is shown only once</AlertTitle>
          <AlertDescription>
            CBP keeps only a hash of it, so nobody can show it again. If it is lost, revoke it and create another.
          </AlertDescription>
        </div>
      </Alert>
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-secret`} className="text-sm font-medium">
          API key for {created.name}
        </label>
        <div className="flex gap-2">
          <Input
            id={`${id}-secret`}
            readOnly
            value={created.secret}
            onFocus={(event) => event.target.select()}
            className="font-mono text-xs"
            data-testid="api-key-secret"
          />
          <Button variant="outline" onClick={() => void copy()}>
            {copied === 'yes' ? <Check aria-hidden="true" /> : <Copy aria-hidden="true" />}
            {copied === 'yes' ? 'Copied' : 'Copy'}
          </Button>
        </div>
        <p role="status" className="text-xs text-muted-foreground">
          {copied === 'yes'
            ? 'The key is on your clipboard.'
            : copied === 'failed'
              ? 'Copying was refused by the browser: select the key and copy it yourself.'
              : 'Services send it as Authorization: Bearer <key> to report usage.'}
        </p>
      </div>
      <div className="flex justify-end">
        <DialogClose asChild>
          <Button>I have copied the key</Button>
        </DialogClose>
      </div>
    </div>
  );
}

/** Admin. Names a new key, then shows its secret once, with a copy button; closing the dialog forgets it. */
export function CreateApiKeyDialog() {
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) setCreated(null);
      }}
    >
      <DialogTrigger asChild>
        <Button>
          <Plus aria-hidden="true" />
          Create API key
        </Button>
      </DialogTrigger>
      <DialogContent
        // With the secret on screen, a stray click outside must not lose it.
        onInteractOutside={(event) => {
          if (created) event.preventDefault();
        }}
      >
        <DialogHeader className="pr-6">
          <DialogTitle className="flex items-center gap-2">
            <KeyRound className="size-5" aria-hidden="true" />
            {created ? 'Your new API key' : 'Create API key'}
          </DialogTitle>
          <DialogDescription>
            {created
              ? `“${created.name}” can report usage for this organization from now on.`
              : 'A key lets one of your services report usage (POST /usage/events) for this organization.'}
          </DialogDescription>
        </DialogHeader>
        {created ? <SecretOnce created={created} /> : open ? <NameForm onCreated={setCreated} /> : null}
      </DialogContent>
    </Dialog>
  );
}
