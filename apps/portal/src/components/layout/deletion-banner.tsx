import { Link } from 'react-router';
import { AlertTriangle } from 'lucide-react';
import { formatDate } from '@/lib/dates';
import { daysUntil } from '@/pages/organization/danger-zone';
import { useOrganizationProfile } from '@/pages/organization/queries';

/** Across the app while the organization is scheduled for deletion: the date, and where to cancel. */
export function DeletionBanner() {
  const profile = useOrganizationProfile();
  const scheduled = profile.data?.deletion?.scheduledFor;
  if (!scheduled) return null;
  return (
    <div role="status" data-testid="deletion-banner" className="border-b border-red-300 bg-red-50 px-4 py-2 text-sm text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100 sm:px-6 lg:px-8">
      <AlertTriangle className="mr-1.5 inline size-4 align-text-bottom" aria-hidden="true" />
      This organization is scheduled for deletion on <strong>{formatDate(scheduled)}</strong> ({daysUntil(scheduled)} days left).{' '}
      <Link to="/organization" className="font-medium underline underline-offset-2">
        Review or cancel
      </Link>
    </div>
  );
}
