import { useCan } from '@refinedev/core';
import { roleLevels, tenantRoles } from '@cbp/contracts';
import { useSession } from '@/hooks/use-session';
import { requiredRoleFor, roleName, type Role } from '@/lib/role-parser';

export interface SubscriptionEditAccess {
  /** False while the decision is pending, so buttons start disabled rather than flicker. */
  allowed: boolean;
  /** Why the action is disabled (null when allowed or still deciding). */
  explain: (doWhat: string) => string | null;
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');

/** "Only an owner can change the plan; your role is Analyst." The roles come from the RBAC table. */
export function subscriptionEditExplanation(role: Role | null, doWhat: string): string {
  const minimum = requiredRoleFor('subscriptions', 'edit');
  if (!minimum) return `Nobody can ${doWhat} in the portal.`;
  const name = roleName(minimum).toLowerCase();
  const topTenantRole = tenantRoles.every((r) => roleLevels[r] <= roleLevels[minimum]);
  const who = topTenantRole ? `${article(name)} ${name}` : `${article(name)} ${name} or a higher role`;
  const yours = role ? `your role is ${roleName(role)}` : 'you have no role in this organization';
  return `Only ${who} can ${doWhat}; ${yours}.`;
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
