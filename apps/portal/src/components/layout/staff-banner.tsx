import { ShieldCheck } from 'lucide-react';
import { useSession } from '@/hooks/use-session';

/**
 * Across the app while platform staff act inside a customer's organization (issue 16): staff
 * never mistake it for their own, and know the organization's audit log records the visit.
 * The API gives staff the `super_admin` role in every tenant (GET /me).
 */
export function StaffBanner() {
  const { membership } = useSession();
  if (membership?.role !== 'super_admin') return null;
  return (
    <div
      role="status"
      data-testid="staff-banner"
      className="border-b border-indigo-300 bg-indigo-50 px-4 py-2 text-sm text-indigo-950 dark:border-indigo-800 dark:bg-indigo-950 dark:text-indigo-50 sm:px-6 lg:px-8"
    >
      <ShieldCheck className="mr-1.5 inline size-4 align-text-bottom" aria-hidden="true" />
      You are acting in <strong>{membership.name}</strong> as platform staff.{' '}
      <span className="text-indigo-900 dark:text-indigo-200">Your access is recorded in this organization&rsquo;s audit log.</span>
    </div>
  );
}
