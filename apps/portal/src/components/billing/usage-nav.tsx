import { Outlet } from 'react-router';
import { SectionNav } from '@/components/ui/section-nav';
import { useSession } from '@/hooks/use-session';
import { canAccess } from '@/lib/role-parser';

const usageLinks = [
  { to: '/usage', label: 'Dashboard', end: true, resource: 'usage' },
  { to: '/usage/trends', label: 'Trends', end: false, resource: 'usage' },
  { to: '/usage/quotas', label: 'Quotas', end: false, resource: 'usage' },
  { to: '/usage/api-keys', label: 'API keys', end: false, resource: 'api-keys' },
] as const;

/** Tabs between the usage pages the role may open (API keys are for admins). */
export function UsageNav() {
  const { role } = useSession();
  return <SectionNav label="Usage" links={usageLinks.filter((link) => canAccess(role, link.resource, 'list'))} />;
}

/** The frame of every /usage page: the usage tabs above the page. */
export function UsageSection() {
  return (
    <>
      <UsageNav />
      <Outlet />
    </>
  );
}
