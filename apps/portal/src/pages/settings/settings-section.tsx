import { Outlet } from 'react-router';
import { PageHeader } from '@/components/layout/page-header';
import { SectionNav } from '@/components/ui/section-nav';

/** The user's own settings; more tabs (profile, password, sessions) join Notifications here. */
const settingsLinks = [{ to: '/settings/notifications', label: 'Notifications', end: false }] as const;

/** The frame of every /settings page: its title and tabs above the page. */
export default function SettingsSection() {
  return (
    <>
      <PageHeader title="Settings" description="Your own preferences in this organization" />
      <SectionNav label="Settings" links={settingsLinks} />
      <Outlet />
    </>
  );
}
