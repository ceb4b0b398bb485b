import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { AlertTriangle, ArrowLeft, Ban, ChevronRight, FileQuestion, RefreshCw, RotateCcw } from 'lucide-react';
import { toast } from 'sonner';
import { RequireAccess } from '@/components/access/require-access';
import { formatDateTimeUtc } from '@/components/admin/audit-log-format';
import {
  StepStatusBadge,
  WORKFLOW_REFRESH_MS,
  WorkflowStatusBadge,
  between,
  formatDuration,
  stepKindLabels,
} from '@/components/admin/workflow-format';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { Skeleton } from '@/components/ui/skeleton';
import { useSession } from '@/hooks/use-session';
import { useWorkflowChanged, useWorkflowRun } from '@/hooks/use-workflows';
import { ApiError } from '@/lib/axios';
import { cn } from '@/lib/cn';
import { usePageTitle } from '@/lib/page-title';
import { canAccess } from '@/lib/role-parser';
import { cancelWorkflow, retryWorkflow } from '@/services/workflows.service';
import type { WorkflowStatusDetail, WorkflowStep } from '@/types/workflow';

function BackLink() {
  return (
    <Link
      to="/workflows"
      className="mb-3 inline-flex items-center gap-1 text-sm text-muted-foreground underline-offset-4 hover:text-foreground hover:underline"
    >
      <ArrowLeft className="size-3.5" aria-hidden="true" />
      All workflows
    </Link>
  );
}

function Field({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="flex min-w-0 flex-col gap-1">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="text-sm font-medium" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

function Time({ iso }: { iso: string | null }) {
  if (!iso) return <span className="text-muted-foreground">—</span>;
  return (
    <time dateTime={iso} className="tabular-nums">
      {formatDateTimeUtc(iso)}
    </time>
  );
}

const dotColour: Record<WorkflowStep['status'], string> = {
  completed: 'bg-emerald-600 dark:bg-emerald-400',
  failed: 'bg-red-600 dark:bg-red-400',
  running: 'bg-indigo-600 dark:bg-indigo-400',
  waiting: 'bg-amber-500 dark:bg-amber-400',
};

/** How a step's last error reads: its failure, a retry under way, or an earlier attempt the step got past. */
const errorLead: Record<WorkflowStep['status'], string> = {
  failed: 'Error: ',
  waiting: 'Last attempt failed: ',
  running: 'Last attempt failed: ',
  completed: 'An earlier attempt failed: ',
};

function StepItem({ step, last, showStack }: { step: WorkflowStep; last: boolean; showStack: boolean }) {
  const took = between(step.startedAt, step.finishedAt);
  return (
    <li className="relative pb-6 pl-8 last:pb-0" data-testid="workflow-step" aria-label={`Step ${step.name}`}>
      {last ? null : <span className="absolute top-4 bottom-0 left-[7px] w-px bg-border" aria-hidden="true" />}
      <span className={cn('absolute top-1.5 left-0.5 size-3 rounded-full ring-4 ring-card', dotColour[step.status])} aria-hidden="true" />
      <div className="flex flex-wrap items-center gap-2">
        <h3 className="font-mono text-sm font-semibold">{step.name}</h3>
        <StepStatusBadge status={step.status} />
        <Badge variant="secondary">{stepKindLabels[step.kind]}</Badge>
      </div>
      <dl className="mt-2 grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-4">
        <Field label="Started">
          <Time iso={step.startedAt} />
        </Field>
        <Field label="Finished">
          <Time iso={step.finishedAt} />
        </Field>
        <Field label="Took">{took === null ? <span className="text-muted-foreground">—</span> : formatDuration(took)}</Field>
        <Field label="Attempts">{step.attempts}</Field>
        {step.status === 'waiting' && step.wakeAt ? (
          <Field label={step.kind === 'sleep' ? 'Wakes at' : 'Next attempt at'} testId="step-wake-at">
            <Time iso={step.wakeAt} />
          </Field>
        ) : null}
      </dl>
      {step.lastError ? (
        <div
          className={cn(
            'mt-3 rounded-md border p-3',
            step.status === 'completed'
              ? 'bg-muted/40 text-muted-foreground'
              : 'border-red-200 bg-red-50 text-red-800 dark:border-red-400/30 dark:bg-red-400/10 dark:text-red-200',
          )}
        >
          <p className="text-sm" data-testid="step-error">
            <span className="font-medium">{errorLead[step.status]}</span>
            {step.lastError.message}
          </p>
          {showStack && step.lastError.stack ? (
            <details className="group mt-2">
              <summary className="flex cursor-pointer items-center gap-1 text-xs font-medium select-none">
                <ChevronRight className="size-3.5 transition-transform group-open:rotate-90" aria-hidden="true" />
                Stack trace
              </summary>
              <pre
                className="mt-2 max-h-72 overflow-auto rounded bg-card p-3 font-mono text-xs whitespace-pre text-foreground"
                data-testid="step-stack"
                aria-label={`Stack trace of step ${step.name}`}
                // Scrollable: reachable by keyboard.
                tabIndex={0}
              >
                {step.lastError.stack}
              </pre>
            </details>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

function Json({ value, label }: { value: unknown; label: string }) {
  if (value === null || value === undefined) return <p className="text-sm text-muted-foreground">None.</p>;
  return (
    <pre className="max-h-96 overflow-auto rounded-md bg-muted p-3 font-mono text-xs" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

type Change = 'cancel' | 'retry';

function ChangeDialog({ run, what, open, onOpenChange }: { run: WorkflowStatusDetail; what: Change; open: boolean; onOpenChange: (open: boolean) => void }) {
  const changed = useWorkflowChanged();
  const mutation = useMutation({
    mutationFn: () => (what === 'cancel' ? cancelWorkflow(run.id) : retryWorkflow(run.id)),
    onSuccess: async (updated) => {
      onOpenChange(false);
      toast.success(
        what === 'cancel'
          ? updated.status === 'cancelled'
            ? `${run.type} was cancelled.`
            : `Cancellation requested: ${run.type} stops before its next step.`
          : `${run.type} is running again from step ${run.error?.step ?? run.currentStep ?? 'the failed one'}.`,
      );
      await changed(updated);
    },
    // The refusal (409: the run changed meanwhile) is toasted by the API client; show the run as it is now.
    onError: async () => {
      onOpenChange(false);
      await changed(run);
    },
  });
  const failedStep = run.error?.step;
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={onOpenChange}
      title={what === 'cancel' ? `Cancel ${run.type}?` : `Retry ${run.type}?`}
      description={
        what === 'cancel'
          ? 'The run stops before its next step; a step under way finishes first. A cancelled run cannot be resumed.'
          : failedStep
            ? `The run resumes at its failed step, ${failedStep}, with fresh attempts. Completed steps are not run again.`
            : 'The run resumes where it failed, with fresh attempts. Completed steps are not run again.'
      }
      confirmLabel={what === 'cancel' ? 'Cancel workflow' : 'Retry workflow'}
      pendingLabel={what === 'cancel' ? 'Cancelling…' : 'Retrying…'}
      keepLabel={what === 'cancel' ? 'Keep running' : 'Not now'}
      failureTitle={what === 'cancel' ? 'The workflow was not cancelled' : 'The workflow was not retried'}
      destructive={what === 'cancel'}
      action={{ run: () => mutation.mutate(), isPending: mutation.isPending, error: mutation.error, reset: mutation.reset }}
    />
  );
}

function RunView({ run, isFetching }: { run: WorkflowStatusDetail; isFetching: boolean }) {
  const { role, me } = useSession();
  const canChange = canAccess(role, 'workflows', 'edit');
  const showStack = canAccess(role, 'workflows', 'show');
  const staff = role === 'super_admin';
  const [dialog, setDialog] = useState<Change | null>(null);
  const tenantName = run.tenantId === null ? 'Platform' : (me?.tenants.find((t) => t.id === run.tenantId)?.name ?? run.tenantId);

  const actions = canChange ? (
    <>
      {run.status === 'running' ? (
        <Button variant="outline" onClick={() => setDialog('cancel')}>
          <Ban aria-hidden="true" />
          Cancel run
        </Button>
      ) : null}
      {run.status === 'failed' ? (
        <Button onClick={() => setDialog('retry')}>
          <RotateCcw aria-hidden="true" />
          Retry run
        </Button>
      ) : null}
    </>
  ) : null;

  return (
    <>
      <PageHeader
        title={run.type}
        description={
          <span className="font-mono text-xs" title="Run id">
            Run {run.id}
          </span>
        }
        actions={actions}
      />
      {run.status === 'failed' && run.error ? (
        <Alert variant="destructive" role="alert" className="mb-6">
          <AlertTriangle aria-hidden="true" />
          <div>
            <AlertTitle>{run.error.step ? `Failed at step ${run.error.step}` : 'The workflow code failed'}</AlertTitle>
            <AlertDescription data-testid="workflow-error">{run.error.message}</AlertDescription>
          </div>
        </Alert>
      ) : null}
      <Card aria-labelledby="workflow-summary-title" className="mb-6">
        <CardHeader className="flex-row items-center justify-between">
          <CardTitle id="workflow-summary-title">Summary</CardTitle>
          {run.status === 'running' ? (
            <p className="flex items-center gap-1.5 text-xs text-muted-foreground" data-testid="workflow-auto-refresh">
              <RefreshCw className={cn('size-3.5', isFetching && 'animate-spin motion-reduce:animate-none')} aria-hidden="true" />
              Refreshing every {WORKFLOW_REFRESH_MS / 1000} seconds
            </p>
          ) : null}
        </CardHeader>
        <CardContent>
          <dl className="grid grid-cols-2 gap-x-6 gap-y-4 sm:grid-cols-3 lg:grid-cols-4">
            <Field label="Status">
              <WorkflowStatusBadge status={run.status} data-testid="workflow-status" />
            </Field>
            <Field label="Attempt" testId="workflow-attempt">
              {run.attempt}
            </Field>
            <Field label="Started">
              <Time iso={run.startedAt} />
            </Field>
            <Field label="Finished">
              <Time iso={run.finishedAt} />
            </Field>
            <Field label="Duration">
              {formatDuration(run.duration)}
              {run.status === 'running' ? <span className="font-normal text-muted-foreground"> so far</span> : null}
            </Field>
            <Field label={run.status === 'failed' ? 'Failed step' : 'Current step'}>
              <span className="font-mono">{run.currentStep ?? '—'}</span>
            </Field>
            <Field label="Workflow id">
              <span className="block truncate font-mono text-xs" title={run.workflowId}>
                {run.workflowId}
              </span>
            </Field>
            {staff ? <Field label="Tenant">{tenantName}</Field> : null}
          </dl>
        </CardContent>
      </Card>

      <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Card aria-labelledby="workflow-steps-title">
          <CardHeader>
            <CardTitle id="workflow-steps-title">Steps</CardTitle>
          </CardHeader>
          <CardContent>
            {run.steps.length === 0 ? (
              <p className="text-sm text-muted-foreground">No step has started yet.</p>
            ) : (
              <ol aria-label="Step timeline">
                {run.steps.map((step, index) => (
                  <StepItem key={step.name} step={step} last={index === run.steps.length - 1} showStack={showStack} />
                ))}
              </ol>
            )}
          </CardContent>
        </Card>
        <div className="flex flex-col gap-6">
          <Card aria-labelledby="workflow-result-title">
            <CardHeader>
              <CardTitle id="workflow-result-title">Result</CardTitle>
            </CardHeader>
            <CardContent data-testid="workflow-result">
              <Json value={run.result} label="Result JSON" />
            </CardContent>
          </Card>
          <Card aria-labelledby="workflow-input-title">
            <CardHeader>
              <CardTitle id="workflow-input-title">Input</CardTitle>
            </CardHeader>
            <CardContent>
              <Json value={run.input} label="Input JSON" />
            </CardContent>
          </Card>
        </div>
      </div>
      {dialog ? <ChangeDialog run={run} what={dialog} open onOpenChange={(open) => setDialog(open ? dialog : null)} /> : null}
    </>
  );
}

function WorkflowDetail() {
  const { workflowId = '' } = useParams();
  const query = useWorkflowRun(workflowId);
  const run = query.data;

  if (query.error && !run) {
    if (query.error instanceof ApiError && (query.error.statusCode === 404 || query.error.statusCode === 400)) {
      return (
        <>
          <PageTitle title="Workflow not found" />
          <BackLink />
          <EmptyState
            icon={FileQuestion}
            title="Workflow not found"
            body="This run does not exist, or it belongs to another organization."
            testId="workflow-not-found"
            className="rounded-xl border bg-card"
          />
        </>
      );
    }
    return (
      <>
        <PageTitle title="Workflow" />
        <BackLink />
        <QueryError title="We couldn't load this workflow" error={query.error} onRetry={() => void query.refetch()} />
      </>
    );
  }
  if (!run) {
    return (
      <>
        <PageTitle title="Workflow" />
        <BackLink />
        <p role="status" className="sr-only">
          Loading the workflow…
        </p>
        <Skeleton className="mb-8 h-8 w-64" />
        <Skeleton className="mb-6 h-32 w-full" />
        <Skeleton className="h-64 w-full" />
      </>
    );
  }
  return (
    <>
      <BackLink />
      <RunView run={run} isFetching={query.isFetching} />
    </>
  );
}

/** One run (engineer and above): its steps as a timeline with timings, attempts and errors; cancel and retry for admins. */
function PageTitle({ title }: { title: string }) {
  usePageTitle(title);
  return null;
}

export default function WorkflowDetailPage() {
  return (
    <RequireAccess resource="workflows" action="show">
      <WorkflowDetail />
    </RequireAccess>
  );
}
