import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, CheckCircle2, Clock, Copy, Globe, Plus, RefreshCw, Trash2, XCircle } from 'lucide-react';
import { toast } from 'sonner';
import type { DomainStatus, OrganizationDomain, VerifyDomainResult } from '@cbp/contracts';
import { QueryError } from '@/components/billing/query-error';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { DialogFormActions, FormFailure } from '@/components/ui/dialog-form';
import { EmptyState } from '@/components/ui/empty-state';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { StatusBadge, type StatusLook } from '@/components/ui/status-badge';
import { useSession } from '@/hooks/use-session';
import { problemFromError } from '@/lib/axios';
import { addDomain, removeDomain, verifyDomain } from '@/services/organization.service';
import { fieldError, fieldHint, fieldLabel } from '@/pages/organization/form-fields';
import { organizationKeys, useDomains } from '@/pages/organization/queries';

export const domainStatusLooks: Record<DomainStatus, StatusLook> = {
  pending: { label: 'Pending', variant: 'warning', icon: Clock },
  verified: { label: 'Verified', variant: 'success', icon: CheckCircle2 },
  failed: { label: 'Failed', variant: 'destructive', icon: XCircle },
};

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const when = (iso: string) => dateTime.format(new Date(iso));

async function copy(text: string, what: string) {
  try {
    await navigator.clipboard.writeText(text);
    toast.success(`${what} copied.`);
  } catch {
    toast.error(`Could not copy the ${what.toLowerCase()}; select it and copy it by hand.`);
  }
}

/** The TXT record to publish, each part with a copy button, and how to publish it. */
export function TxtRecord({ domain }: { domain: OrganizationDomain }) {
  const record = domain.verificationRecord;
  const row = (label: string, value: string) => (
    <div className="flex min-w-0 flex-col gap-1 sm:flex-row sm:items-center sm:gap-3">
      <dt className="w-16 shrink-0 text-xs font-medium text-muted-foreground">{label}</dt>
      <dd className="flex min-w-0 flex-1 items-center gap-2">
        <code className="min-w-0 flex-1 rounded bg-muted px-2 py-1 font-mono text-xs break-all" data-testid={`txt-${label.toLowerCase()}`}>
          {value}
        </code>
        <Button type="button" variant="outline" size="sm" onClick={() => void copy(value, `Record ${label.toLowerCase()}`)}>
          <Copy aria-hidden="true" />
          Copy <span className="sr-only">the record {label.toLowerCase()} for {domain.domain}</span>
        </Button>
      </dd>
    </div>
  );
  return (
    <div className="rounded-lg border bg-muted/30 p-3">
      <p className="mb-2 text-sm">
        Add this <strong>TXT</strong> record at your DNS provider, then choose <em>Verify now</em>. We also re-check pending domains every
        hour for 72 hours.
      </p>
      <dl className="space-y-2">
        {row('Type', record.type)}
        {row('Name', record.name)}
        {row('Value', record.value)}
      </dl>
    </div>
  );
}

function AddDomainDialog({ onAdded }: { onAdded: (domain: OrganizationDomain) => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const { tenantId } = useSession();
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState('');
  const [added, setAdded] = useState<OrganizationDomain | null>(null);
  const add = useMutation({
    mutationFn: () => addDomain(value.trim()),
    onSuccess: async (domain) => {
      setAdded(domain);
      onAdded(domain);
      await queryClient.invalidateQueries({ queryKey: organizationKeys.domains(tenantId) });
    },
  });
  const fieldProblem = problemFromError(add.error)?.errors?.find((e) => e.path === 'body.domain')?.message;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (value.trim()) add.mutate();
  };
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) {
          setValue('');
          setAdded(null);
          add.reset();
        }
      }}
    >
      <DialogTrigger asChild>
        <Button>
          <Plus aria-hidden="true" />
          Add domain
        </Button>
      </DialogTrigger>
      <DialogContent className="max-w-xl">
        <DialogHeader className="pr-6">
          <DialogTitle>{added ? `Verify ${added.domain}` : 'Add a domain'}</DialogTitle>
          <DialogDescription>
            {added ? 'The domain is pending until the TXT record below is found.' : 'Prove that your organization controls a domain with a DNS record.'}
          </DialogDescription>
        </DialogHeader>
        {added ? (
          <div className="mt-4 space-y-4">
            <TxtRecord domain={added} />
            <div className="flex justify-end">
              <Button type="button" onClick={() => setOpen(false)}>
                Done
              </Button>
            </div>
          </div>
        ) : (
          <form onSubmit={submit} noValidate className="mt-4 space-y-4" aria-label="Add a domain">
            <div className="flex flex-col gap-1.5">
              <label htmlFor={`${id}-domain`} className={fieldLabel}>
                Domain
              </label>
              <Input
                id={`${id}-domain`}
                value={value}
                onChange={(event) => setValue(event.target.value)}
                placeholder="example.com"
                autoComplete="off"
                aria-invalid={Boolean(fieldProblem)}
                aria-describedby={`${id}-hint${fieldProblem ? ` ${id}-error` : ''}`}
                required
              />
              <p id={`${id}-hint`} className={fieldHint}>
                Without https:// or a path; international names are fine.
              </p>
              {fieldProblem ? (
                <p id={`${id}-error`} className={fieldError}>
                  {fieldProblem}
                </p>
              ) : null}
            </div>
            {add.error && !fieldProblem ? <FormFailure title="The domain was not added" error={add.error} /> : null}
            <DialogFormActions submitLabel="Add domain" pendingLabel="Adding…" pending={add.isPending} />
          </form>
        )}
      </DialogContent>
    </Dialog>
  );
}

function VerifyResult({ result }: { result: VerifyDomainResult }) {
  return (
    <Alert variant={result.verified ? 'default' : 'destructive'} className="mt-3">
      {result.verified ? <CheckCircle2 aria-hidden="true" /> : <AlertTriangle aria-hidden="true" />}
      <div>
        <AlertTitle>{result.verified ? `${result.domain.domain} is verified` : 'Not verified yet'}</AlertTitle>
        <AlertDescription>{result.message}</AlertDescription>
      </div>
    </Alert>
  );
}

function DomainItem({ domain, canEdit }: { domain: OrganizationDomain; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const { tenantId } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<VerifyDomainResult | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: organizationKeys.domains(tenantId) });
  const verify = useMutation({
    mutationFn: () => verifyDomain(domain.id),
    onSuccess: async (answer) => {
      setResult(answer);
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => removeDomain(domain.id),
    onSuccess: async () => {
      setConfirming(false);
      toast.success(`${domain.domain} was removed.`);
      await refresh();
    },
  });
  return (
    <li className="py-4 first:pt-0 last:pb-0" data-testid="domain-row">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium break-all">{domain.domain}</span>
            <StatusBadge look={domainStatusLooks[domain.status]} data-testid="domain-status" />
          </div>
          <p className="mt-1 text-xs text-muted-foreground">
            {domain.verifiedAt
              ? `Verified ${when(domain.verifiedAt)}`
              : domain.lastCheckedAt
                ? `Last checked ${when(domain.lastCheckedAt)}`
                : `Added ${when(domain.createdAt)}; not checked yet`}
          </p>
          {domain.status === 'failed' && domain.failureReason ? <p className="mt-1 text-xs text-red-700 dark:text-red-300">{domain.failureReason}</p> : null}
          {domain.status === 'pending' && domain.lastCheckMessage ? <p className="mt-1 text-xs text-muted-foreground">{domain.lastCheckMessage}</p> : null}
        </div>
        {canEdit ? (
          <div className="flex gap-1">
            {domain.status !== 'verified' ? (
              <Button variant="outline" size="sm" onClick={() => verify.mutate()} disabled={verify.isPending} aria-busy={verify.isPending}>
                <RefreshCw aria-hidden="true" />
                {verify.isPending ? 'Checking…' : 'Verify now'} <span className="sr-only">{domain.domain}</span>
              </Button>
            ) : null}
            <Button
              variant="ghost"
              size="sm"
              className="text-red-700 hover:text-red-800 dark:text-red-300 dark:hover:text-red-200"
              onClick={() => setConfirming(true)}
            >
              <Trash2 aria-hidden="true" />
              Remove <span className="sr-only">{domain.domain}</span>
            </Button>
          </div>
        ) : null}
      </div>
      <div aria-live="polite">
        {verify.error ? <FormFailure title="The domain could not be checked" error={verify.error} /> : null}
        {result && !verify.isPending ? <VerifyResult result={result} /> : null}
      </div>
      {domain.status !== 'verified' ? (
        <div className="mt-3">
          <TxtRecord domain={domain} />
        </div>
      ) : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Remove ${domain.domain}?`}
        description={
          domain.status === 'verified'
            ? 'The domain is no longer verified for your organization; another organization could then claim it.'
            : 'Its verification stops. You can add it again later with a new record.'
        }
        confirmLabel="Remove domain"
        pendingLabel="Removing…"
        keepLabel="Keep domain"
        failureTitle="The domain was not removed"
        action={{ run: () => remove.mutate(), isPending: remove.isPending, error: remove.error, reset: remove.reset }}
      />
    </li>
  );
}

/** Verified domains: the list with status, the TXT record of pending ones, verify and remove (admins). */
export function DomainsSection({ canEdit }: { canEdit: boolean }) {
  const domains = useDomains();
  const list = domains.data;
  return (
    <Card aria-labelledby="org-domains-title">
      <CardHeader className="flex-row flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id="org-domains-title" className="text-base font-semibold">
            Domains
          </h2>
          <CardDescription>Domains your organization has proved it controls, with a DNS TXT record.</CardDescription>
        </div>
        {canEdit ? <AddDomainDialog onAdded={(d) => toast.success(`${d.domain} added: publish its TXT record.`)} /> : null}
      </CardHeader>
      <CardContent>
        {canEdit ? null : (
          <p className="mb-4 text-sm text-muted-foreground" data-testid="domains-read-only">
            Only admins and owners can add, verify or remove domains.
          </p>
        )}
        {domains.error && !list ? (
          <QueryError title="We couldn't load the domains" error={domains.error} onRetry={() => void domains.refetch()} />
        ) : !list ? (
          <div className="space-y-3" aria-busy="true" aria-label="Loading domains…">
            <Skeleton className="h-6 w-1/2" />
            <Skeleton className="h-6 w-2/3" />
          </div>
        ) : list.length === 0 ? (
          <EmptyState
            icon={Globe}
            title="No domains yet"
            body={canEdit ? 'Add a domain and publish its TXT record to verify it.' : 'An admin can add and verify your domains.'}
            testId="domains-empty"
          />
        ) : (
          <ul className="divide-y" aria-label="Domains">
            {list.map((domain) => (
              <DomainItem key={domain.id} domain={domain} canEdit={canEdit} />
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}

