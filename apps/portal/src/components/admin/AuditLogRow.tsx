import type { MouseEvent } from 'react';
import { Bot, KeyRound, UserRound, type LucideIcon } from 'lucide-react';
import { actionLabel, changeSummary, dateAndTimeUtc, formatDateTimeUtc, targetTypeLabel } from '@/components/admin/audit-log-format';
import { Badge } from '@/components/ui/badge';
import { cn } from '@/lib/cn';
import type { ActorType, AuditLog } from '@/types/audit-log';

const actorTypeLooks: Record<ActorType, { label: string; icon: LucideIcon }> = {
  user: { label: 'User', icon: UserRound },
  system: { label: 'System', icon: Bot },
  api_key: { label: 'API key', icon: KeyRound },
};

export function ActorTypeBadge({ type }: { type: ActorType }) {
  const look = actorTypeLooks[type];
  const Icon = look.icon;
  return (
    <Badge variant={type === 'user' ? 'secondary' : 'default'}>
      <Icon className="size-3" aria-hidden="true" />
      {look.label}
    </Badge>
  );
}

/** Who did it, in words: the email of a user, the key of an API client, or the platform itself. */
export function actorName(entry: Pick<AuditLog, 'actorType' | 'actorEmail' | 'actorId'>): string {
  if (entry.actorEmail) return entry.actorEmail;
  if (entry.actorType === 'system') return 'CBP platform';
  if (entry.actorType === 'api_key') return entry.actorId ? `Key ${entry.actorId.slice(0, 8)}` : 'API key';
  return entry.actorId ?? 'Unknown user';
}

/** The target's name, or its id when the entry recorded no name. */
export function targetName(entry: Pick<AuditLog, 'targetName' | 'targetId'>): string | null {
  return entry.targetName ?? entry.targetId;
}

export const auditLogColumns = ['Time', 'Actor', 'Action', 'Target', 'Change'] as const;
export const auditLogCell = 'px-4 py-3 align-top';

interface AuditLogRowProps {
  entry: AuditLog;
  onOpen: (entry: AuditLog) => void;
  onFilterActor: (actorId: string) => void;
}

/** One entry of the audit log; the row opens its details, the actor narrows the list to them. */
export function AuditLogRow({ entry, onOpen, onFilterActor }: AuditLogRowProps) {
  const actor = actorName(entry);
  const summary = changeSummary(entry);
  const [day, time] = dateAndTimeUtc(entry.createdAt);
  // The whole row opens the entry for pointer users; keyboard users have the action's button.
  const openRow = (event: MouseEvent<HTMLTableRowElement>) => {
    if ((event.target as HTMLElement).closest('a, button')) return;
    // Focus the row's button first, so closing the drawer brings focus back to this row.
    event.currentTarget.querySelector<HTMLButtonElement>('button[aria-haspopup]')?.focus();
    onOpen(entry);
  };
  return (
    <tr className="cursor-pointer hover:bg-muted/50" onClick={openRow} data-testid="audit-log-row">
      <td className={cn(auditLogCell, 'whitespace-nowrap tabular-nums')}>
        <time dateTime={entry.createdAt} title={formatDateTimeUtc(entry.createdAt)}>
          <span className="block">{day}</span>
          <span className="block text-xs text-muted-foreground">{time}</span>
        </time>
      </td>
      <td className={auditLogCell}>
        <div className="flex flex-col items-start gap-1">
          {entry.actorId ? (
            <button
              type="button"
              onClick={() => onFilterActor(entry.actorId ?? '')}
              className="max-w-56 truncate text-left font-medium underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
              aria-label={`Show only entries by ${actor}`}
              title={`Show only entries by ${actor}`}
            >
              {actor}
            </button>
          ) : (
            <span className="font-medium">{actor}</span>
          )}
          <ActorTypeBadge type={entry.actorType} />
        </div>
      </td>
      <td className={auditLogCell}>
        <button
          type="button"
          onClick={() => onOpen(entry)}
          className="flex flex-col items-start gap-0.5 text-left focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
          aria-haspopup="dialog"
        >
          <span className="font-medium text-primary underline-offset-4 hover:underline">{actionLabel(entry.action)}</span>
          <code className="font-mono text-xs text-muted-foreground">{entry.action}</code>
        </button>
      </td>
      <td className={auditLogCell}>
        <div className="flex flex-col gap-0.5">
          <span className="text-xs text-muted-foreground">{targetTypeLabel(entry.targetType)}</span>
          {entry.targetName ? (
            <span className="max-w-56 truncate" title={entry.targetName}>
              {entry.targetName}
            </span>
          ) : entry.targetId ? (
            <code className="max-w-56 truncate font-mono text-xs" title={entry.targetId}>
              {entry.targetId}
            </code>
          ) : null}
        </div>
      </td>
      <td className={cn(auditLogCell, 'text-muted-foreground')}>
        {summary ? <span className="line-clamp-2 max-w-72">{summary}</span> : (
          <>
            <span aria-hidden="true">—</span>
            <span className="sr-only">No field changes</span>
          </>
        )}
      </td>
    </tr>
  );
}
