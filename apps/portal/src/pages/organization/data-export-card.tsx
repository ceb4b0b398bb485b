import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, Download, PackageOpen } from 'lucide-react';
import { toast } from 'sonner';
import { organizationExportRetentionDays, type OrganizationExport } from '@cbp/contracts';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';
import { useSession } from '@/hooks/use-session';
import { errorMessage } from '@/lib/axios';
import { formatShortDate } from '@/lib/dates';
import { downloadExport, requestExport } from '@/services/organization.service';
import { exportsKey, useExportProgress, useExports } from '@/pages/organization/data-queries';

/** The sections the export workflow writes, in its order (one step each), then the zip. */
const sectionLabels: Record<string, string> = {
  'section-members': 'Members',
  'section-organization': 'Profile and settings',
  'section-domains': 'Domains',
  'section-subscriptions': 'Subscriptions',
  'section-invoices': 'Invoices and PDFs',
  'section-payment-methods': 'Payment methods',
  'section-usage': 'Usage',
  'section-audit-trail': 'Audit trail',
  'section-notifications': 'Notifications',
  zip: 'Packing the archive',
};
const totalSteps = Object.keys(sectionLabels).length;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const statusLook: Record<OrganizationExport['status'], { label: string; variant: 'warning' | 'success' | 'destructive' | 'secondary' }> = {
  running: { label: 'Preparing', variant: 'warning' },
  ready: { label: 'Ready', variant: 'success' },
  failed: { label: 'Failed', variant: 'destructive' },
  expired: { label: 'Expired', variant: 'secondary' },
};

function ExportProgress({ runId }: { runId: string | null }) {
  const progress = useExportProgress(runId);
  const steps = progress.data?.steps ?? [];
  const done = steps.filter((s) => s.name in sectionLabels && s.status === 'completed').length;
  const current = progress.data?.currentStep ?? null;
  return (
    <div className="space-y-1" data-testid="export-progress">
      <progress className="h-2 w-full accent-primary" max={totalSteps} value={done} aria-label="Export progress" />
      <p className="text-xs text-muted-foreground" aria-live="polite">
        {done} of {totalSteps} steps done{current && sectionLabels[current] ? ` · ${sectionLabels[current]}…` : ''}
      </p>
    </div>
  );
}

/**
 * Data export (GDPR): the owner asks for a zip of everything the organization has in CBP; the
 * workflow's steps show progress; ready archives are listed with their size and expiry.
 */
export function DataExportCard({ canRequest, canList }: { canRequest: boolean; canList: boolean }) {
  const { tenantId, role } = useSession();
  // Platform staff may export (the API's rule) but the data is not theirs.
  const staff = role === 'super_admin';
  const queryClient = useQueryClient();
  const exports = useExports(canList);
  const request = useMutation({
    mutationFn: requestExport,
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: exportsKey(tenantId) });
      toast.success('Export requested. You will be notified when it is ready.');
    },
  });
  const download = useMutation({ mutationFn: downloadExport });
  const running = exports.data?.some((e) => e.status === 'running') ?? false;
  return (
    <Card aria-labelledby="org-export-title">
      <CardHeader>
        <h2 id="org-export-title" className="text-base font-semibold">
          Data export
        </h2>
        <CardDescription>
          A zip of {staff ? "this organization's" : "your organization's"} data: members, profile and settings, domains, subscriptions, invoices (with PDFs), payment method details (never card
          numbers), usage, the audit trail and notifications. Archives are kept {organizationExportRetentionDays} days.
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {staff && canRequest ? (
          <p className="text-sm text-muted-foreground" data-testid="export-staff-note">
            As platform staff, request an export only when the organization's owners ask for one; it is recorded in their audit log.
          </p>
        ) : null}
        {canRequest ? (
          <Button type="button" onClick={() => request.mutate()} disabled={request.isPending || running} aria-busy={request.isPending}>
            <PackageOpen aria-hidden="true" />
            {request.isPending ? 'Requesting…' : running ? 'Export in progress' : 'Request export'}
          </Button>
        ) : (
          <p className="text-sm text-muted-foreground">Only the owner can request an export.</p>
        )}
        {request.error || download.error ? (
          <Alert variant="destructive" role="alert">
            <AlertTriangle aria-hidden="true" />
            <AlertTitle>{request.error ? 'The export was not requested' : 'The download failed'}</AlertTitle>
            <AlertDescription>{errorMessage(request.error ?? download.error)}</AlertDescription>
          </Alert>
        ) : null}
        {exports.error ? <p className="text-sm text-red-700 dark:text-red-400">We couldn't load the exports: {errorMessage(exports.error)}</p> : null}
        {exports.data && exports.data.length > 0 ? (
          <ul className="divide-y rounded-lg border" aria-label="Export archives">
            {exports.data.map((item) => (
              <li key={item.id} className="flex flex-col gap-2 p-3 text-sm sm:flex-row sm:items-center sm:justify-between" data-testid="export-row">
                <div className="min-w-0 flex-1 space-y-1">
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="font-medium">Requested {formatShortDate(item.createdAt)}</span>
                    <Badge variant={statusLook[item.status].variant}>{statusLook[item.status].label}</Badge>
                  </div>
                  {item.status === 'running' ? (
                    <ExportProgress runId={item.runId} />
                  ) : item.status === 'ready' ? (
                    <p className="text-muted-foreground">
                      {item.size !== null ? formatBytes(item.size) : ''} · expires {formatShortDate(item.expiresAt)}
                    </p>
                  ) : null}
                </div>
                {item.status === 'ready' ? (
                  <Button type="button" variant="outline" size="sm" onClick={() => download.mutate(item)} disabled={download.isPending}>
                    <Download aria-hidden="true" />
                    Download<span className="sr-only"> the export of {formatShortDate(item.createdAt)}</span>
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        ) : exports.data ? (
          <p className="text-sm text-muted-foreground">No exports yet.</p>
        ) : null}
      </CardContent>
    </Card>
  );
}
