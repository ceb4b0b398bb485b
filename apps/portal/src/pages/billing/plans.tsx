import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Check, Info } from 'lucide-react';
import { BillingNav } from '@/components/billing/billing-nav';
import { ChangePlanDialog } from '@/components/billing/change-plan-dialog';
import { PlanLimits } from '@/components/billing/plan-limits';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardFooter, CardHeader } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { usePlans, useSubscription } from '@/hooks/use-billing';
import { useSubscriptionEditAccess } from '@/hooks/use-subscription-edit-access';
import { cn } from '@/lib/cn';
import { formatMoney } from '@/lib/money';
import type { Plan } from '@/types/billing';

const EXPLANATION_ID = 'plan-change-explanation';

interface PlanCardProps {
  plan: Plan;
  current: Plan | null;
  canChange: boolean;
  explained: boolean;
  onSwitch: (plan: Plan) => void;
}

function PlanCard({ plan, current, canChange, explained, onSwitch }: PlanCardProps) {
  const isCurrent = current?.id === plan.id;
  const titleId = `plan-${plan.id}-name`;
  return (
    <Card
      aria-labelledby={titleId}
      className={cn('flex h-full flex-col', isCurrent && 'border-primary ring-1 ring-primary')}
      data-testid={`plan-card-${plan.tier}`}
    >
      <CardHeader className="gap-2">
        <div className="flex items-center justify-between gap-2">
          <h2 id={titleId} className="text-base font-semibold">
            {plan.name}
          </h2>
          {isCurrent ? (
            <Badge data-testid="current-plan-badge">
              <Check className="size-3" aria-hidden="true" />
              Current plan
            </Badge>
          ) : null}
        </div>
        <p>
          <span className="text-2xl font-semibold tracking-tight tabular-nums">{formatMoney(plan.priceMonthly, plan.currency)}</span>
          <span className="text-sm text-muted-foreground"> per {plan.interval}</span>
        </p>
      </CardHeader>
      <CardContent className="flex-1 space-y-5">
        {plan.features.length > 0 ? (
          <ul className="space-y-1.5 text-sm" aria-label={`${plan.name} plan features`}>
            {plan.features.map((feature) => (
              <li key={feature} className="flex gap-2">
                <Check className="mt-0.5 size-4 shrink-0 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />
                <span className="min-w-0">{feature}</span>
              </li>
            ))}
          </ul>
        ) : null}
        <div className="border-t pt-4">
          <h3 className="mb-2.5 text-xs font-medium tracking-wide text-muted-foreground uppercase">Limits per period</h3>
          <PlanLimits plan={plan} />
        </div>
      </CardContent>
      <CardFooter>
        {isCurrent ? (
          <p className="flex h-9 items-center text-sm text-muted-foreground">You're on this plan</p>
        ) : (
          <Button
            className="w-full"
            variant={current && plan.priceMonthly > current.priceMonthly ? 'default' : 'outline'}
            disabled={!canChange || !current}
            aria-describedby={explained ? EXPLANATION_ID : undefined}
            onClick={() => onSwitch(plan)}
          >
            Switch to {plan.name}
          </Button>
        )}
      </CardFooter>
    </Card>
  );
}

function PlansSkeleton() {
  return (
    <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-4">
      <p role="status" className="sr-only">
        Loading plans…
      </p>
      {[0, 1, 2, 3].map((i) => (
        <Skeleton key={i} className="h-96 rounded-xl" />
      ))}
    </div>
  );
}

export default function BillingPlansPage() {
  const plans = usePlans();
  const subscription = useSubscription();
  const access = useSubscriptionEditAccess();
  const navigate = useNavigate();
  const [target, setTarget] = useState<Plan | null>(null);
  const explanation = access.explain('change the plan');
  const current = subscription.data?.plan ?? null;
  const sorted = plans.data ? [...plans.data].sort((a, b) => a.priceMonthly - b.priceMonthly) : null;
  const error = plans.error ?? subscription.error;

  return (
    <>
      <BillingNav />
      <PageHeader
        title="Plans"
        description="Compare what each plan includes. A change applies right away; the rest of the period is prorated."
      />
      {explanation ? (
        <Alert className="mb-6">
          <Info aria-hidden="true" />
          <AlertDescription id={EXPLANATION_ID} className="mt-0" data-testid="plan-change-explanation">
            {explanation}
          </AlertDescription>
        </Alert>
      ) : null}
      {error ? (
        <QueryError
          title="We couldn't load the plans"
          error={error}
          onRetry={() => {
            if (plans.error) void plans.refetch();
            if (subscription.error) void subscription.refetch();
          }}
        />
      ) : sorted && subscription.data ? (
        <ul className="grid gap-4 md:grid-cols-2 xl:grid-cols-4" aria-label="Plans">
          {sorted.map((plan) => (
            <li key={plan.id}>
              <PlanCard
                plan={plan}
                current={current}
                canChange={access.allowed}
                explained={explanation !== null}
                onSwitch={setTarget}
              />
            </li>
          ))}
        </ul>
      ) : (
        <PlansSkeleton />
      )}
      {current ? (
        <ChangePlanDialog
          currentPlan={current}
          targetPlan={target}
          onClose={() => setTarget(null)}
          onChanged={() => {
            setTarget(null);
            void navigate('/billing');
          }}
        />
      ) : null}
    </>
  );
}
