import { Ban, CheckCircle2, Hourglass, LoaderCircle, TimerOff, XCircle } from 'lucide-react';
import { WorkflowListQuery } from '@cbp/contracts';
import { dayEndUtc, dayStartUtc } from '@/components/admin/audit-log-format';
import { StatusBadge, type StatusLook } from '@/components/ui/status-badge';
import type { BadgeProps } from '@/components/ui/badge';
import type { WorkflowStatus, WorkflowStep } from '@/types/workflow';

/* Each status has a word and an icon as well as a colour, so colour is never the only cue. */

export const workflowStatusLooks: Record<WorkflowStatus, StatusLook> = {
  running: { label: 'Running', variant: 'default', icon: LoaderCircle },
  completed: { label: 'Completed', variant: 'success', icon: CheckCircle2 },
  failed: { label: 'Failed', variant: 'destructive', icon: XCircle },
  cancelled: { label: 'Cancelled', variant: 'secondary', icon: Ban },
  timed_out: { label: 'Timed out', variant: 'warning', icon: TimerOff },
};

export const workflowStatuses = Object.keys(workflowStatusLooks) as WorkflowStatus[];

const stepStatusLooks: Record<WorkflowStep['status'], StatusLook> = {
  running: { label: 'Running', variant: 'default', icon: LoaderCircle },
  waiting: { label: 'Waiting', variant: 'warning', icon: Hourglass },
  completed: { label: 'Completed', variant: 'success', icon: CheckCircle2 },
  failed: { label: 'Failed', variant: 'destructive', icon: XCircle },
};

export function WorkflowStatusBadge({ status, ...props }: { status: WorkflowStatus } & BadgeProps) {
  return <StatusBadge look={workflowStatusLooks[status]} {...props} />;
}

export function StepStatusBadge({ status, ...props }: { status: WorkflowStep['status'] } & BadgeProps) {
  return <StatusBadge look={stepStatusLooks[status]} {...props} />;
}

export const stepKindLabels: Record<WorkflowStep['kind'], string> = { local: 'Local', remote: 'Remote', sleep: 'Sleep' };

/** "850 ms", "12 s", "3 min 4 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Milliseconds between two ISO times, or null when one is missing. */
export function between(startIso: string | null, endIso: string | null): number | null {
  if (!startIso || !endIso) return null;
  return Math.max(0, Date.parse(endIso) - Date.parse(startIso));
}

/** Rows per page of the workflow list. */
export const WORKFLOWS_PER_PAGE = 20;

/** How often the list and a run refresh while something runs (ms). */
export const WORKFLOW_REFRESH_MS = 3_000;

/** The list's filters as the URL keeps them: dates as UTC days (`2025-06-01`), the rest as the API takes them. */
export interface WorkflowView {
  status?: WorkflowStatus;
  type?: string;
  /** YYYY-MM-DD, UTC. */
  from?: string;
  to?: string;
  /** Staff only: a tenant id or `platform`. */
  tenant?: string;
  page: number;
}

const day = /^\d{4}-\d{2}-\d{2}$/;
const validDay = (value: string | null) => (value && day.test(value) && !Number.isNaN(Date.parse(value)) ? value : undefined);

/** Reads the view from the URL; a value the API would refuse is dropped rather than sent. */
export function readWorkflowView(params: URLSearchParams): WorkflowView {
  const shape = WorkflowListQuery.shape;
  const status = shape.status.safeParse(params.get('status') ?? undefined);
  const type = shape.type.safeParse(params.get('type') ?? undefined);
  const tenant = shape.tenantId.safeParse(params.get('tenant') ?? undefined);
  const page = shape.page.safeParse(params.get('page') ?? undefined);
  return {
    status: status.success ? status.data : undefined,
    type: type.success ? type.data : undefined,
    from: validDay(params.get('from')),
    to: validDay(params.get('to')),
    tenant: tenant.success ? tenant.data : undefined,
    page: page.success ? page.data : 1,
  };
}

/** Defaults are left out, so the plain list stays at `/workflows`. */
export function workflowViewParams(view: WorkflowView): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ['status', 'type', 'from', 'to', 'tenant'] as const) {
    const value = view[key];
    if (value) params.set(key, value);
  }
  if (view.page > 1) params.set('page', String(view.page));
  return params;
}

export function hasWorkflowFilters(view: WorkflowView): boolean {
  return Boolean(view.status || view.type || view.from || view.to || view.tenant);
}

/** The API query of a view (`tenant` only when the caller is staff). */
export function workflowQueryOf(view: WorkflowView, staff: boolean): Partial<WorkflowListQuery> & { page: number; limit: number } {
  return {
    page: view.page,
    limit: WORKFLOWS_PER_PAGE,
    status: view.status,
    type: view.type,
    from: view.from ? dayStartUtc(view.from) : undefined,
    to: view.to ? dayEndUtc(view.to) : undefined,
    tenantId: staff ? view.tenant : undefined,
  };
}
