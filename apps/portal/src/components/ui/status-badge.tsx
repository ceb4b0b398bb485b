import type { LucideIcon } from 'lucide-react';
import { Badge, type BadgeProps } from '@/components/ui/badge';

/** How a status reads: a word and an icon as well as a colour, so colour is never the only cue. */
export interface StatusLook {
  label: string;
  variant: BadgeProps['variant'];
  icon: LucideIcon;
}

export function StatusBadge({ look, ...props }: { look: StatusLook } & BadgeProps) {
  const Icon = look.icon;
  return (
    <Badge variant={look.variant} {...props}>
      <Icon className="size-3" aria-hidden="true" />
      {look.label}
    </Badge>
  );
}
