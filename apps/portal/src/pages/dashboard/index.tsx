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
      {/* Two columns from lg; on phones one column in the order of importance (display: contents lets the cards take their own order). */}
      <div className="grid gap-4 lg:grid-cols-3">
        <div className="contents lg:col-span-2 lg:grid lg:min-w-0 lg:content-start lg:gap-4">
          {access.usage ? <UsageCard className="order-1 lg:order-none" /> : null}
          {access.auditLog ? <RecentActivityCard className="order-5 lg:order-none" /> : null}
        </div>
        <div className="contents lg:grid lg:min-w-0 lg:content-start lg:gap-4">
          {access.invoices ? <NextInvoiceCard className="order-2 lg:order-none" /> : null}
          <OrganizationCard className="order-3 lg:order-none" />
          <SetupTasksCard className="order-4 lg:order-none" />
        </div>
      </div>
    </>
  );
}
