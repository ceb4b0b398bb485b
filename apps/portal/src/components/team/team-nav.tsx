import { SectionNav } from '@/components/ui/section-nav';
import { useSession } from '@/hooks/use-session';
import { canAccess } from '@/lib/role-parser';

/** Members and, for the roles that may list them, Invitations. */
export function TeamNav() {
  const { role } = useSession();
  if (!canAccess(role, 'user-invitations', 'list')) return null;
  return (
    <SectionNav
      label="Team"
      links={[
        { to: '/team', label: 'Members', end: true },
        { to: '/team/invitations', label: 'Invitations', end: false },
      ]}
    />
  );
}
