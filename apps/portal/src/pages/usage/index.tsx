import { Gauge } from 'lucide-react';
import { AreaPlaceholder } from '@/components/layout/area-placeholder';

export default function UsagePage() {
  return (
    <AreaPlaceholder
      title="Usage"
      icon={Gauge}
      summary="Usage: metered usage, quotas and trends arrive here."
      planned={[
        'Follow current usage of API calls, storage, users, workflows and integrations.',
        'See quotas, soft-limit alerts and projected overage.',
        'Compare usage over the last months.',
      ]}
    />
  );
}
