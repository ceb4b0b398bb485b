import { useId, useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft, Ban, RotateCcw } from 'lucide-react';
import { toast } from 'sonner';
import { SuspendTenantBody } from '@cbp/contracts';
import { RequireAccess } from '@/components/access/require-access';
import { TenantStatusBadge, UsageStatusBadge } from '@/components/admin/admin-tenant-format';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { PageLoading } from '@/components/layout/page-loading';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { formatDate } from '@/lib/dates';
import { formatDateTimeUtc } from '@/components/admin/audit-log-format';
import { getAdminTenant, reactivateAdminTenant, suspendAdminTenant, type AdminTenantDetail } from '@/services/admin-tenants.service';

const detailKey = (id: string) => ['admin-tenants', 'detail', id] as const;
/** `past_due` -> "Past due". */
const subscriptionStatus = (status: string) => (status.charAt(0).toUpperCase() + status.slice(1)).replaceAll('_', ' ');

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-0.5">
      <dt className="text-xs font-medium text-muted-foreground">{label}</dt>
      <dd className="text-sm">{children}</dd>
    </div>
  );
}

function useStatusChange(tenant: AdminTenantDetail, onDone: () => void) {
  const queryClient = useQueryClient();
  const done = async (next: AdminTenantDetail, message: string) => {
    queryClient.setQueryData(detailKey(tenant.id), next);
    onDone();
    toast.success(message);
    await queryClient.invalidateQueries({ queryKey: ['admin-tenants', 'list'] });
  };
  const suspend = useMutation({
    mutationFn: (reason: string) => suspendAdminTenant(tenant.id, reason),
    onSuccess: (next) => done(next, `${tenant.name} is suspended`),
  });
  const reactivate = useMutation({
    mutationFn: () => reactivateAdminTenant(tenant.id),
    onSuccess: (next) => done(next, `${tenant.name} is active again`),
  });
  return { suspend, reactivate };
}

function StatusActions({ tenant }: { tenant: AdminTenantDetail }) {
  const id = useId();
  const [open, setOpen] = useState<'suspend' | 'reactivate' | null>(null);
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const { suspend, reactivate } = useStatusChange(tenant, () => {
    setOpen(null);
    setReason('');
    setTried(false);
  });
  const parsed = SuspendTenantBody.safeParse({ reason });
  const reasonError = tried && !parsed.success ? (parsed.error.issues[0]?.message ?? 'Give a reason') : null;
  if (tenant.status === 'pending_deletion') {
    return <p className="text-sm text-muted-foreground">Scheduled for deletion: its owner can cancel the deletion; it cannot be suspended or reactivated here.</p>;
  }
  return (
    <>
      {tenant.status === 'active' ? (
        <Button variant="destructive" onClick={() => setOpen('suspend')}>
          <Ban aria-hidden="true" />
          Suspend
        </Button>
      ) : (
        <Button onClick={() => setOpen('reactivate')}>
          <RotateCcw aria-hidden="true" />
          Reactivate
        </Button>
      )}
      <ConfirmDialog
        open={open === 'suspend'}
        onOpenChange={(next) => {
          if (!next) setOpen(null);
        }}
        title={`Suspend ${tenant.name}?`}
        description="Every member and API key of this organization is refused at once (403 TENANT_SUSPENDED) until it is reactivated. Nothing is deleted. The reason is recorded in its audit trail, which its admins can read."
        confirmLabel="Suspend organization"
        pendingLabel="Suspending…"
        keepLabel="Cancel"
        failureTitle="The organization was not suspended"
        action={{
          run: () => {
            setTried(true);
            if (parsed.success) suspend.mutate(parsed.data.reason);
          },
          isPending: suspend.isPending,
          error: suspend.error,
          reset: () => suspend.reset(),
        }}
      >
        <div className="mt-4 flex flex-col gap-1.5">
          <label htmlFor={`${id}-reason`} className="text-sm font-medium">
            Reason
          </label>
          <textarea
            id={`${id}-reason`}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            maxLength={600}
            rows={3}
            className="rounded-md border border-input bg-card px-3 py-2 text-sm shadow-xs focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
            aria-invalid={Boolean(reasonError)}
            aria-describedby={`${id}-reason-hint${reasonError ? ` ${id}-reason-error` : ''}`}
          />
          <p id={`${id}-reason-hint`} className="text-xs text-muted-foreground">
            Up to 500 characters, e.g. "Unpaid invoices since March".
          </p>
          {reasonError ? (
            <p id={`${id}-reason-error`} className="text-xs text-red-700 dark:text-red-300">
              {reasonError}
            </p>
          ) : null}
        </div>
      </ConfirmDialog>
      <ConfirmDialog
        open={open === 'reactivate'}
        onOpenChange={(next) => {
          if (!next) setOpen(null);
        }}
        title={`Reactivate ${tenant.name}?`}
        description="Its members and API keys work again at once. The change is recorded in its audit trail."
        confirmLabel="Reactivate organization"
        pendingLabel="Reactivating…"
        keepLabel="Cancel"
        failureTitle="The organization was not reactivated"
        destructive={false}
        action={{ run: () => reactivate.mutate(), isPending: reactivate.isPending, error: reactivate.error, reset: () => reactivate.reset() }}
      />
    </>
  );
}

function TenantDetail({ id }: { id: string }) {
  const tenant = useQuery({ queryKey: detailKey(id), queryFn: () => getAdminTenant(id) });
  const back = (
    <Link to="/admin/tenants" className="mb-4 inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="size-4" aria-hidden="true" />
      All organizations
    </Link>
  );
  if (tenant.error && !tenant.data) {
    return (
      <>
        {back}
        <QueryError title="We couldn't load this organization" error={tenant.error} onRetry={() => void tenant.refetch()} />
      </>
    );
  }
  if (!tenant.data) return <PageLoading label="Loading the organization…" />;
  const t = tenant.data;
  return (
    <>
      {back}
      <PageHeader title={t.name} description={<span className="font-mono">{t.slug}</span>} actions={<StatusActions tenant={t} />} />
      {t.suspension ? (
        <Alert variant="destructive" className="mb-6" data-testid="suspension">
          <Ban aria-hidden="true" />
          <div>
            <AlertTitle>Suspended {formatDateTimeUtc(t.suspension.at)}</AlertTitle>
            <AlertDescription>
              <span className="block">Reason: {t.suspension.reason}</span>
              {t.suspension.by ? <span className="block">By {t.suspension.by.email ?? 'platform staff'}</span> : null}
            </AlertDescription>
          </div>
        </Alert>
      ) : null}
      <div className="grid gap-6 md:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle className="text-base font-semibold text-foreground">Overview</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-2 gap-4">
              <Fact label="Status">
                <TenantStatusBadge status={t.status} />
              </Fact>
              <Fact label="Plan">{t.plan?.name ?? '—'}</Fact>
              <Fact label="Members">{t.members}</Fact>
              <Fact label="Pending invitations">{t.pendingInvitations}</Fact>
              <Fact label="Usage">
                <UsageStatusBadge status={t.usageStatus} />
              </Fact>
              <Fact label="Created">{formatDate(t.createdAt)}</Fact>
              {t.deletionScheduledAt ? <Fact label="Deletion scheduled">{formatDate(t.deletionScheduledAt)}</Fact> : null}
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle className="text-base font-semibold text-foreground">Subscription</CardTitle>
          </CardHeader>
          <CardContent>
            {t.subscription ? (
              <dl className="grid grid-cols-2 gap-4">
                <Fact label="Plan">{t.subscription.planName}</Fact>
                <Fact label="Status">{subscriptionStatus(t.subscription.status)}</Fact>
                <Fact label={t.subscription.cancelAtPeriodEnd ? 'Ends' : 'Renews'}>{formatDate(t.subscription.currentPeriodEnd)}</Fact>
                {t.subscription.trialEnd ? <Fact label="Trial ends">{formatDate(t.subscription.trialEnd)}</Fact> : null}
              </dl>
            ) : (
              <p className="text-sm text-muted-foreground">No subscription yet: provisioning has not created it.</p>
            )}
          </CardContent>
        </Card>
        <Card className="md:col-span-2">
          <CardHeader>
            <CardTitle className="text-base font-semibold text-foreground">Owners</CardTitle>
          </CardHeader>
          <CardContent>
            {t.owners.length === 0 ? (
              <p className="text-sm text-muted-foreground">No owner yet{t.pendingInvitations > 0 ? ': the owner invitation is pending.' : '.'}</p>
            ) : (
              <ul className="divide-y rounded-md border" aria-label={`Owners of ${t.name}`}>
                {t.owners.map((owner) => (
                  <li key={owner.id} className="flex flex-wrap justify-between gap-2 px-3 py-2 text-sm">
                    <span className="font-medium">{owner.name}</span>
                    <span className="text-muted-foreground">{owner.email}</span>
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
      </div>
    </>
  );
}

/** One tenant in the staff console: its facts, suspension and reactivation (platform staff only). */
export default function AdminTenantDetailPage() {
  const { tenantId = '' } = useParams();
  return (
    <RequireAccess resource="admin-tenants" action="show">
      <TenantDetail key={tenantId} id={tenantId} />
    </RequireAccess>
  );
}
