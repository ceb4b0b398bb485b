import { Outlet } from 'react-router';
import { SectionNav } from '@/components/ui/section-nav';
import { useSession } from '@/hooks/use-session';
import { canAccess } from '@/lib/role-parser';

const adminLinks = [
  { to: '/admin/audit-logs', label: 'Audit log', end: false, resource: 'audit-logs' },
  { to: '/admin/outbox', label: 'Outbox', end: false, resource: 'outbox' },
  { to: '/admin/roles', label: 'Identity roles', end: false, resource: 'identity-roles' },
  { to: '/admin/tenants', label: 'Tenants', end: false, resource: 'admin-tenants' },
] as const;

/** Tabs for the admin pages the role may open, when there is more than one to choose from. */
export function AdminNav() {
  const { role } = useSession();
  const links = adminLinks.filter((link) => canAccess(role, link.resource, 'list'));
  if (links.length < 2) return null;
  return <SectionNav label="Admin" links={links} />;
}

/** The frame of every /admin page: the admin tabs above the page. */
export function AdminSection() {
  return (
    <>
      <AdminNav />
      <Outlet />
    </>
  );
}
