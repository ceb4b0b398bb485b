import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { CreateAdminTenantBody } from '@cbp/contracts';
import { CheckCircle2, Plus } from 'lucide-react';
import { planOptions } from '@/components/admin/admin-tenant-format';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { DialogFormActions, FormFailure } from '@/components/ui/dialog-form';
import { selectControl } from '@/components/ui/filter-select';
import { Input } from '@/components/ui/input';
import { problemFromError } from '@/lib/axios';
import { cn } from '@/lib/cn';
import { createAdminTenant, type CreateAdminTenantResult } from '@/services/admin-tenants.service';

type Field = 'name' | 'slug' | 'plan' | 'ownerEmail';
type Draft = Record<Field, string>;
const fields: readonly Field[] = ['name', 'slug', 'plan', 'ownerEmail'];

/** A slug suggested from the name: lower-case kebab case. */
export function slugFrom(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/** The first message per field: the form's own check, else the API's `errors[]` (path `body.<field>`). */
function errorsOf(draft: Draft, serverError: unknown): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  const parsed = CreateAdminTenantBody.safeParse(draft);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if (typeof field === 'string' && (fields as readonly string[]).includes(field)) errors[field as Field] ??= issue.message;
    }
  }
  for (const e of problemFromError(serverError)?.errors ?? []) {
    const field = e.path.replace(/^body\./, '');
    if ((fields as readonly string[]).includes(field)) errors[field as Field] ??= e.message;
  }
  return errors;
}

function CreateForm({ onCreated }: { onCreated: (result: CreateAdminTenantResult) => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>({ name: '', slug: '', plan: 'starter', ownerEmail: '' });
  const [slugEdited, setSlugEdited] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [sentDraft, setSentDraft] = useState<Draft | null>(null);
  const create = useMutation({
    mutationFn: (body: CreateAdminTenantBody) => createAdminTenant(body),
    onSuccess: async (result) => {
      onCreated(result);
      await queryClient.invalidateQueries({ queryKey: ['admin-tenants'] });
    },
  });
  // The API's field errors hold only while the draft is the one it refused.
  const serverError = sentDraft && fields.every((f) => sentDraft[f] === draft[f]) ? create.error : null;
  const errors = submitted ? errorsOf(draft, serverError) : {};
  const set = (field: Field, value: string) =>
    setDraft((current) => ({ ...current, [field]: value, ...(field === 'name' && !slugEdited ? { slug: slugFrom(value) } : {}) }));
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSubmitted(true);
    const parsed = CreateAdminTenantBody.safeParse(draft);
    if (!parsed.success) {
      const first = parsed.error.issues[0]?.path[0];
      if (typeof first === 'string') document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    setSentDraft(draft);
    create.mutate(parsed.data);
  };
  const fieldError = (field: Field) =>
    errors[field] ? (
      <p id={`${id}-${field}-error`} className="text-xs text-red-700 dark:text-red-300">
        {errors[field]}
      </p>
    ) : null;
  const described = (field: Field, hint = false) =>
    [hint ? `${id}-${field}-hint` : null, errors[field] ? `${id}-${field}-error` : null].filter(Boolean).join(' ') || undefined;
  // A refusal the fields do not explain (network, 5xx) is shown below the form.
  const unexplained = serverError && !(problemFromError(serverError)?.errors?.length ?? 0) ? serverError : null;
  return (
    <form onSubmit={submit} noValidate className="mt-4 space-y-4">
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-name`} className="text-sm font-medium">
          Organization name
        </label>
        <Input id={`${id}-name`} value={draft.name} onChange={(e) => set('name', e.target.value)} maxLength={200} autoComplete="off" aria-invalid={Boolean(errors.name)} aria-describedby={described('name')} />
        {fieldError('name')}
      </div>
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-slug`} className="text-sm font-medium">
          Slug
        </label>
        <Input
          id={`${id}-slug`}
          value={draft.slug}
          onChange={(e) => {
            setSlugEdited(true);
            set('slug', e.target.value);
          }}
          maxLength={63}
          autoComplete="off"
          spellCheck={false}
          className="font-mono"
          aria-invalid={Boolean(errors.slug)}
          aria-describedby={described('slug', true)}
        />
        <p id={`${id}-slug-hint`} className="text-xs text-muted-foreground">
          Lower-case letters, digits and hyphens; unique on the platform.
        </p>
        {fieldError('slug')}
      </div>
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-plan`} className="text-sm font-medium">
          Plan
        </label>
        <select id={`${id}-plan`} value={draft.plan} onChange={(e) => set('plan', e.target.value)} className={cn(selectControl, 'w-full')} aria-invalid={Boolean(errors.plan)} aria-describedby={described('plan')}>
          {planOptions.map((plan) => (
            <option key={plan.value} value={plan.value}>
              {plan.label}
            </option>
          ))}
        </select>
        {fieldError('plan')}
      </div>
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-ownerEmail`} className="text-sm font-medium">
          Owner's email
        </label>
        <Input
          id={`${id}-ownerEmail`}
          type="email"
          value={draft.ownerEmail}
          onChange={(e) => set('ownerEmail', e.target.value)}
          maxLength={320}
          autoComplete="off"
          aria-invalid={Boolean(errors.ownerEmail)}
          aria-describedby={described('ownerEmail', true)}
        />
        <p id={`${id}-ownerEmail-hint`} className="text-xs text-muted-foreground">
          They are invited as the owner once provisioning has set up billing and quotas.
        </p>
        {fieldError('ownerEmail')}
      </div>
      <FormFailure title="The organization was not created" error={unexplained} />
      <DialogFormActions submitLabel="Create organization" pendingLabel="Creating…" pending={create.isPending} />
    </form>
  );
}

function Created({ result }: { result: CreateAdminTenantResult }) {
  return (
    <div className="mt-4 space-y-4" data-testid="tenant-created">
      <Alert>
        <CheckCircle2 aria-hidden="true" />
        <div>
          <AlertTitle>{result.tenant.name} was created</AlertTitle>
          <AlertDescription>
            Provisioning runs in the background: the billing customer and subscription, the quotas, then the owner's invitation.
          </AlertDescription>
        </div>
      </Alert>
      <div className="flex flex-col gap-2 text-sm">
        <Link to={`/workflows/${result.workflowId}`} className="font-medium text-primary underline underline-offset-4">
          Follow the provisioning workflow
        </Link>
        <Link to={`/admin/tenants/${result.tenant.id}`} className="font-medium text-primary underline underline-offset-4">
          Open {result.tenant.name}
        </Link>
      </div>
      <div className="flex justify-end">
        <DialogClose asChild>
          <Button>Done</Button>
        </DialogClose>
      </div>
    </div>
  );
}

/** "Create organization": name, slug, plan and owner; starts the provisioning workflow. */
export function CreateTenantDialog() {
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<CreateAdminTenantResult | null>(null);
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
          Create organization
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Create organization</DialogTitle>
          <DialogDescription>A new tenant on the platform, provisioned by a workflow you can follow.</DialogDescription>
        </DialogHeader>
        {created ? <Created result={created} /> : <CreateForm onCreated={setCreated} />}
      </DialogContent>
    </Dialog>
  );
}
