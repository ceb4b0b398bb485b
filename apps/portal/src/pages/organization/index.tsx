import { Building2 } from 'lucide-react';
import { AreaPlaceholder } from '@/components/layout/area-placeholder';

export default function OrganizationPage() {
  return (
    <AreaPlaceholder
      title="Organization"
      icon={Building2}
      summary="Organization: profile, settings, domains and data export arrive here."
      planned={[
        'Edit the organization profile, billing email and logo (admins).',
        'Set the timezone, session timeout and MFA policy (admins).',
        'Verify your domains and export all your data (owners).',
      ]}
    />
  );
}
