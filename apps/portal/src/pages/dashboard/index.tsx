import { PageHeader } from '@/components/layout/page-header';
import { useSession } from '@/hooks/use-session';
import { AttentionCard } from '@/pages/dashboard/attention';
import { NextInvoiceCard, OrganizationCard, RecentActivityCard, SetupTasksCard, UsageCard } from '@/pages/dashboard/cards';
import { useDashboardAccess } from '@/pages/dashboard/dashboard-data';

/**
 * The place a customer looks first: what needs attention (open invoices with Pay, usage from
 * 80 % of a limit, a scheduled deletion), usage with trends, the next invoice, the organization,
 * setup steps and recent activity. Each card loads and fails on its own; each role sees (and
 * asks the API for) only what it may read.
 */
export default function DashboardPage() {
  const { membership } = useSession();
  const access = useDashboardAccess();
  return (
    <>
      <PageHeader title="Dashboard" description={membership ? `Overview of ${membership.name}` : 'Overview of your organization'} />
      <AttentionCard />
      <div className="grid gap-4 lg:grid-cols-3">
        <div className="grid min-w-0 gap-4 lg:col-span-2">
          {access.usage ? <UsageCard /> : null}
          {access.auditLog ? <RecentActivityCard /> : null}
        </div>
        <div className="grid min-w-0 content-start gap-4">
          {access.invoices ? <NextInvoiceCard /> : null}
          <OrganizationCard />
          <SetupTasksCard />
        </div>
      </div>
    </>
  );
}
