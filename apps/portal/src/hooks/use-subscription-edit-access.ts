import { useCan } from '@refinedev/core';
import { useSession } from '@/hooks/use-session';
import { missingRoleExplanation, type Role } from '@/lib/role-parser';

export interface SubscriptionEditAccess {
  /** False while the decision is pending, so buttons start disabled rather than flicker. */
  allowed: boolean;
  /** Why the action is disabled (null when allowed or still deciding). */
  explain: (doWhat: string) => string | null;
}

/** "Only an owner can change the plan; your role is Analyst." The roles come from the RBAC table. */
export function subscriptionEditExplanation(role: Role | null, doWhat: string): string {
  return missingRoleExplanation(role, 'subscriptions', 'edit', doWhat);
}

/** Change plan, cancel and resume: the `subscriptions.edit` decision of Refine's access control. */
export function useSubscriptionEditAccess(): SubscriptionEditAccess {
  const { data } = useCan({ resource: 'subscriptions', action: 'edit' });
  const { role } = useSession();
  const allowed = data?.can === true;
  const decided = data !== undefined;
  return {
    allowed,
    explain: (doWhat) => (decided && !allowed ? subscriptionEditExplanation(role, doWhat) : null),
  };
}
