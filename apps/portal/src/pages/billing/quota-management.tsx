import { useState } from 'react';
import { AlertTriangle, Gauge, Lock } from 'lucide-react';
import { RequireAccess } from '@/components/access/require-access';
import { InitializeQuotasButton, ResetQuotasButton } from '@/components/billing/quota-actions';
import { QueryError } from '@/components/billing/query-error';
import { SoftLimitDialog } from '@/components/billing/SoftLimitDialog';
import { byMetricOrder, formatQuantity, overagePriceText } from '@/components/billing/usage-format';
import { PageHeader } from '@/components/layout/page-header';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { DataTable, tableCell as cell } from '@/components/ui/data-table';
import { EmptyState } from '@/components/ui/empty-state';
import { useSession } from '@/hooks/use-session';
import { useUsageAccess, useUsageQuotas } from '@/hooks/use-usage';
import { cn } from '@/lib/cn';
import { formatPeriod } from '@/lib/dates';
import type { Quota } from '@/types/usage';

const columns = ['Metric', 'Current usage', 'Included', 'Soft limit', 'Hard limit', 'Overage price', 'Period'] as const;

function QuotaRow({ quota, canEdit, now }: { quota: Quota; canEdit: boolean; now: Date }) {
  const ended = new Date(quota.periodEnd) <= now;
  const overSoft = quota.softLimit !== null && quota.currentUsage >= quota.softLimit;
  const overHard = quota.hardLimit !== null && quota.currentUsage >= quota.hardLimit;
  return (
    <tr className="hover:bg-muted/50" data-testid="quota-row">
      <th scope="row" className={cn(cell, 'text-left font-medium')}>
        {quota.metricName}
      </th>
      <td className={cn(cell, 'tabular-nums', overHard ? 'text-red-700 dark:text-red-300' : overSoft && 'text-amber-800 dark:text-amber-300')}>
        {formatQuantity(quota.currentUsage, quota.unit)}
        {overHard || overSoft ? (
          <AlertTriangle
            role="img"
            className="ml-1.5 inline size-3.5 align-[-2px]"
            aria-label={overHard ? 'Over the hard limit' : 'Over the soft limit'}
          />
        ) : null}
      </td>
      <td className={cn(cell, 'tabular-nums')}>{formatQuantity(quota.includedQuantity, quota.unit)}</td>
      <td className={cn(cell, 'tabular-nums', canEdit && 'py-2')} data-testid="soft-limit">
        <span className="inline-flex items-center gap-1.5">
          {quota.softLimit === null ? <span className="text-muted-foreground">Off</span> : formatQuantity(quota.softLimit, quota.unit)}
          {canEdit ? <SoftLimitDialog quota={quota} /> : null}
        </span>
      </td>
      <td className={cn(cell, 'tabular-nums')}>
        {quota.hardLimit === null ? <span className="text-muted-foreground">None</span> : formatQuantity(quota.hardLimit, quota.unit)}
      </td>
      <td className={cn(cell, 'tabular-nums')}>{overagePriceText(quota)}</td>
      {/* The period may wrap: with seven columns the table otherwise overflows a laptop screen. */}
      <td className={cn(cell, 'min-w-32 whitespace-normal')}>
        <span className="tabular-nums">{formatPeriod(quota.periodStart, quota.periodEnd)}</span>
        {ended ? (
          <Badge variant="warning" className="ml-2">
            Ended
          </Badge>
        ) : null}
      </td>
    </tr>
  );
}

function QuotaManagement() {
  const { membership } = useSession();
  const access = useUsageAccess();
  const quotas = useUsageQuotas();
  const [now] = useState(() => new Date());
  const refusal = access.editRefusal('change soft limits, set up quotas or close ended periods');
  const list = quotas.data;
  return (
    <>
      <PageHeader
        title="Quotas"
        description={
          membership
            ? `What ${membership.name}'s plan includes per billing period, the limits and the price of overage`
            : "What your plan includes per billing period, the limits and the price of overage"
        }
        actions={
          <>
            <InitializeQuotasButton refusal={refusal} refusalId="quota-refusal" variant="outline" />
            <ResetQuotasButton refusal={refusal} refusalId="quota-refusal" />
          </>
        }
      />
      {refusal ? (
        <p
          id="quota-refusal"
          className="mb-6 flex items-center gap-2 rounded-lg border bg-card px-4 py-3 text-sm text-muted-foreground"
          data-testid="quota-refusal"
        >
          <Lock className="size-4 shrink-0" aria-hidden="true" />
          <span>{refusal} Hard limits and overage prices come from your plan.</span>
        </p>
      ) : null}
      {quotas.error ? (
        <QueryError title="We couldn't load your quotas" error={quotas.error} onRetry={() => void quotas.refetch()} />
      ) : list && list.length === 0 ? (
        <EmptyState
          icon={Gauge}
          title="No quotas yet"
          body={access.canEdit ? 'Set them up from the plan to start tracking usage against its limits.' : 'An admin can set them up from the plan.'}
          testId="quotas-empty"
          className="rounded-xl border bg-card"
        />
      ) : (
        <Card className="overflow-hidden">
          <DataTable
            caption="Quotas of the current billing period"
            columns={columns}
            rows={list && byMetricOrder(list)}
            renderRow={(quota) => <QuotaRow key={quota.id} quota={quota} canEdit={access.canEdit} now={now} />}
            loadingLabel="Loading quotas…"
            skeleton={{ rows: 3, className: 'min-w-14' }}
            fetching={quotas.isFetching}
          />
          <p className="border-t px-4 py-3 text-xs text-muted-foreground">
            The soft limit only raises an alert. The hard limit and the overage price come from your plan; usage past the included
            quantity is billed at the overage price when the period closes.
          </p>
        </Card>
      )}
    </>
  );
}

/** Every quota with its limits and overage price; admins edit soft limits, set up missing quotas and close ended periods. */
export default function QuotaManagementPage() {
  return (
    <RequireAccess resource="usage" action="list">
      <QuotaManagement />
    </RequireAccess>
  );
}
