import { Users } from 'lucide-react';
import { AreaPlaceholder } from '@/components/layout/area-placeholder';

export default function TeamPage() {
  return (
    <AreaPlaceholder
      title="Team"
      icon={Users}
      summary="Team: members, invitations and roles arrive here."
      planned={[
        'See who is in your organization and what role each person has.',
        'Invite people and manage pending invitations (admins).',
        "Change members' roles or remove them (admins).",
      ]}
    />
  );
}
