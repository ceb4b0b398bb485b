import { AlertTriangle, Archive, CheckCircle2, Clock } from 'lucide-react';
import { formatDateTimeUtc } from '@/components/admin/audit-log-format';
import { linkify } from '@/components/admin/outbox-format';
import { StatusBadge, type StatusLook } from '@/components/ui/status-badge';
import { Dialog, DialogContent, DialogDescription, DialogTitle } from '@/components/ui/dialog';
import type { OutboxMessage } from '@/types/team';

type OutboxStatus = OutboxMessage['status'];

const outboxStatusLooks: Record<OutboxStatus, StatusLook> = {
  captured: { label: 'Captured', variant: 'secondary', icon: Archive },
  queued: { label: 'Queued', variant: 'default', icon: Clock },
  sent: { label: 'Sent', variant: 'success', icon: CheckCircle2 },
  failed: { label: 'Failed', variant: 'destructive', icon: AlertTriangle },
};

export function OutboxStatusBadge({ status }: { status: OutboxStatus }) {
  return <StatusBadge look={outboxStatusLooks[status]} />;
}

/** `ownership_transferred` -> "Ownership transferred" */
export function kindLabel(kind: string): string {
  const words = kind.replace(/[._-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function MessageText({ text }: { text: string }) {
  return (
    <pre className="font-sans text-sm leading-relaxed whitespace-pre-wrap [overflow-wrap:anywhere]" data-testid="outbox-body">
      {linkify(text).map((part, index) =>
        part.kind === 'link' ? (
          <a key={index} href={part.href} target="_blank" rel="noopener noreferrer" className="text-primary underline underline-offset-4">
            {part.text}
          </a>
        ) : (
          <span key={index}>{part.text}</span>
        ),
      )}
    </pre>
  );
}

/** A side sheet with one mail as it was written: headers, then the text body with its links. */
export function OutboxMessageSheet({ message, onClose }: { message: OutboxMessage | null; onClose: () => void }) {
  return (
    <Dialog open={message !== null} onOpenChange={(open) => (open ? undefined : onClose())}>
      <DialogContent side="right" closeLabel="Close message" data-testid="outbox-sheet">
        {message ? (
          <>
            <div className="border-b px-6 py-5 pr-12">
              <DialogTitle className="[overflow-wrap:anywhere]">{message.subject}</DialogTitle>
              <DialogDescription>To {message.to}</DialogDescription>
            </div>
            <div className="space-y-5 px-6 py-5">
              <dl className="grid grid-cols-[6rem_minmax(0,1fr)] gap-x-3 gap-y-2 text-sm">
                <dt className="text-muted-foreground">Kind</dt>
                <dd>{kindLabel(message.kind)}</dd>
                <dt className="text-muted-foreground">Status</dt>
                <dd>
                  <OutboxStatusBadge status={message.status} />
                </dd>
                <dt className="text-muted-foreground">Written</dt>
                <dd>{formatDateTimeUtc(message.createdAt)}</dd>
                <dt className="text-muted-foreground">Sent</dt>
                <dd>{message.sentAt ? formatDateTimeUtc(message.sentAt) : 'Not sent (kept in the outbox)'}</dd>
              </dl>
              <section aria-label="Message text" className="rounded-lg border bg-muted/30 p-4">
                <MessageText text={message.text} />
              </section>
            </div>
          </>
        ) : null}
      </DialogContent>
    </Dialog>
  );
}
