import { AlertTriangle, Ban, CheckCircle2, Clock, FilePen, Hourglass, XCircle, type LucideIcon } from 'lucide-react';
import { Badge, type BadgeProps } from '@/components/ui/badge';
import type { InvoiceStatus, SubscriptionStatus } from '@/types/billing';

interface StatusLook {
  label: string;
  variant: BadgeProps['variant'];
  icon: LucideIcon;
}

/* Each status has a word and an icon as well as a colour, so colour is never the only cue. */

export const invoiceStatusLooks: Record<InvoiceStatus, StatusLook> = {
  draft: { label: 'Draft', variant: 'default', icon: FilePen },
  open: { label: 'Open', variant: 'warning', icon: Clock },
  paid: { label: 'Paid', variant: 'success', icon: CheckCircle2 },
  void: { label: 'Void', variant: 'secondary', icon: Ban },
  uncollectible: { label: 'Uncollectible', variant: 'destructive', icon: XCircle },
};

const subscriptionStatusLooks: Record<SubscriptionStatus, StatusLook> = {
  trialing: { label: 'Trial', variant: 'default', icon: Hourglass },
  active: { label: 'Active', variant: 'success', icon: CheckCircle2 },
  past_due: { label: 'Past due', variant: 'warning', icon: AlertTriangle },
  canceled: { label: 'Canceled', variant: 'secondary', icon: Ban },
  incomplete: { label: 'Incomplete', variant: 'warning', icon: AlertTriangle },
};

function StatusBadge({ look, ...props }: { look: StatusLook } & BadgeProps) {
  const Icon = look.icon;
  return (
    <Badge variant={look.variant} {...props}>
      <Icon className="size-3" aria-hidden="true" />
      {look.label}
    </Badge>
  );
}

export function InvoiceStatusBadge({ status, ...props }: { status: InvoiceStatus } & BadgeProps) {
  return <StatusBadge look={invoiceStatusLooks[status]} {...props} />;
}

export function SubscriptionStatusBadge({ status, ...props }: { status: SubscriptionStatus } & BadgeProps) {
  return <StatusBadge look={subscriptionStatusLooks[status]} {...props} />;
}
