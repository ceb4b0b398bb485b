import { ShieldCheck } from 'lucide-react';
import { RequireAccess } from '@/components/access/require-access';
import { AreaPlaceholder } from '@/components/layout/area-placeholder';

export default function AdminPage() {
  return (
    <RequireAccess resource="audit-logs" action="list">
      <AreaPlaceholder
        title="Admin"
        icon={ShieldCheck}
        summary="Admin: the audit log of your organization arrives here."
        planned={[
          'Search every change made in your organization: who, what and when.',
          'Filter by action, person, target and date.',
          'Export the audit log as CSV or JSON Lines.',
        ]}
      />
    </RequireAccess>
  );
}
