import { Outlet } from 'react-router';
import { PageHeader } from '@/components/layout/page-header';
import { SectionNav } from '@/components/ui/section-nav';

/** The user's own settings, one tab each. */
const settingsLinks = [
  { to: '/settings/profile', label: 'Profile', end: false },
  { to: '/settings/password', label: 'Password', end: false },
  { to: '/settings/appearance', label: 'Appearance', end: false },
  { to: '/settings/sessions', label: 'Sessions', end: false },
  { to: '/settings/notifications', label: 'Notifications', end: false },
] as const;

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
