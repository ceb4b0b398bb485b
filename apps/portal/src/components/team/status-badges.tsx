import { Ban, CheckCircle2, Clock, MailCheck, TimerOff, XCircle } from 'lucide-react';
import type { BadgeProps } from '@/components/ui/badge';
import { StatusBadge, type StatusLook } from '@/components/ui/status-badge';
import type { InvitationStatus, MemberStatus } from '@/types/team';

export const memberStatusLooks: Record<MemberStatus, StatusLook> = {
  active: { label: 'Active', variant: 'success', icon: CheckCircle2 },
  suspended: { label: 'Suspended', variant: 'warning', icon: Ban },
};

export const invitationStatusLooks: Record<InvitationStatus, StatusLook> = {
  pending: { label: 'Pending', variant: 'default', icon: Clock },
  accepted: { label: 'Accepted', variant: 'success', icon: MailCheck },
  expired: { label: 'Expired', variant: 'warning', icon: TimerOff },
  // The API's status is `revoked`; the portal's action is "Cancel invitation", so it reads "Cancelled".
  revoked: { label: 'Cancelled', variant: 'secondary', icon: XCircle },
};

export function MemberStatusBadge({ status, ...props }: { status: MemberStatus } & BadgeProps) {
  return <StatusBadge look={memberStatusLooks[status]} {...props} />;
}

export function InvitationStatusBadge({ status, ...props }: { status: InvitationStatus } & BadgeProps) {
  return <StatusBadge look={invitationStatusLooks[status]} {...props} />;
}
