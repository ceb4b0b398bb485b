import type { LucideIcon } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { cn } from '@/lib/cn';

interface EmptyStateProps {
  icon: LucideIcon;
  title: string;
  body: string;
  /** Label of the button that widens the view (clear filters, first page), if any. */
  action?: string | null;
  onAction?: () => void;
  testId: string;
  /** E.g. a border and background, where the state stands alone instead of inside a card. */
  className?: string;
}

/** What a list shows when it has nothing to show, and how to get back to something. */
export function EmptyState({ icon: Icon, title, body, action = null, onAction, testId, className }: EmptyStateProps) {
  return (
    <div className={cn('px-6 py-12 text-center', className)} data-testid={testId}>
      <span className="mx-auto flex size-10 items-center justify-center rounded-full bg-muted">
        <Icon className="size-5 text-muted-foreground" aria-hidden="true" />
      </span>
      <h2 className="mt-3 text-sm font-semibold">{title}</h2>
      <p className="mt-1 text-sm text-muted-foreground">{body}</p>
      {action ? (
        <Button variant="outline" size="sm" className="mt-4" onClick={onAction}>
          {action}
        </Button>
      ) : null}
    </div>
  );
}
