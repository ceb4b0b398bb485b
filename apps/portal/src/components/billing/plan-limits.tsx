import { metricTypes } from '@cbp/contracts';
import { formatMoney } from '@/lib/money';
import { cn } from '@/lib/cn';
import type { MetricLimit, Plan } from '@/types/billing';

const metricUnits: Record<string, { one: string; other: string }> = {
  api_calls: { one: 'API call', other: 'API calls' },
  storage_gb: { one: 'GB of storage', other: 'GB of storage' },
  users: { one: 'user', other: 'users' },
  workflows: { one: 'workflow run', other: 'workflow runs' },
  integrations: { one: 'integration', other: 'integrations' },
};

const count = new Intl.NumberFormat();

/** "API calls" for a known metric, "ai tokens" for one a plan adds later. */
function unitName(metric: string, quantity: number): string {
  const unit = metricUnits[metric] ?? { one: metric.replaceAll('_', ' '), other: metric.replaceAll('_', ' ') };
  return quantity === 1 ? unit.one : unit.other;
}

/** Known metrics in the contract's order, then any others alphabetically. */
function orderedLimits(plan: Plan): [string, MetricLimit][] {
  const rank = (metric: string) => {
    const index = (metricTypes as readonly string[]).indexOf(metric);
    return index === -1 ? metricTypes.length : index;
  };
  return Object.entries(plan.limits).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

export function includedText(metric: string, limit: MetricLimit): string {
  return `${count.format(limit.included)} ${unitName(metric, limit.included)} included`;
}

function limitDetails(metric: string, limit: MetricLimit, currency: string): string[] {
  const details: string[] = [];
  if (limit.softLimit !== null) details.push(`Soft limit ${count.format(limit.softLimit)}`);
  details.push(limit.hardLimit === null ? 'No hard limit' : `Hard limit ${count.format(limit.hardLimit)}`);
  if (limit.overagePrice > 0) {
    const per = limit.overageUnit === 1 ? unitName(metric, 1) : `${count.format(limit.overageUnit)} ${unitName(metric, limit.overageUnit)}`;
    details.push(`then ${formatMoney(limit.overagePrice, currency)} per ${per}`);
  }
  return details;
}

/** What a plan includes per metric: included quantity, soft and hard limits, overage price. */
export function PlanLimits({ plan, className }: { plan: Plan; className?: string }) {
  const limits = orderedLimits(plan);
  if (limits.length === 0) return <p className={cn('text-sm text-muted-foreground', className)}>This plan sets no usage limits.</p>;
  return (
    <ul className={cn('space-y-2.5 text-sm', className)} aria-label={`${plan.name} plan limits`}>
      {limits.map(([metric, limit]) => (
        <li key={metric}>
          <p className="font-medium">{includedText(metric, limit)}</p>
          <p className="text-xs text-muted-foreground">{limitDetails(metric, limit, plan.currency).join(' · ')}</p>
        </li>
      ))}
    </ul>
  );
}
