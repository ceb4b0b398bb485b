import { useId, useState, type ChangeEvent, type ReactNode } from 'react';
import { useMutation } from '@tanstack/react-query';
import { CheckCircle2, FileUp, XCircle } from 'lucide-react';
import { inviteHint, inviteLabel, InviteRefusal, MessageField, textareaControl } from '@/components/team/invite-fields';
import { checkInviteRows, MAX_BULK_INVITES, parseInviteLines, type InviteRowCheck } from '@/components/team/invite-rows';
import { RoleSelect } from '@/components/team/RoleSelect';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { useInvalidateTeam, type TeamAccess } from '@/hooks/use-team';
import { cn } from '@/lib/cn';
import { roleName } from '@/lib/role-parser';
import { bulkInvite } from '@/services/team.service';
import type { BulkInviteResult, TenantRole } from '@/types/team';

/** A short, scrolling table of the dialog: a hidden caption, a sticky header row and the rows. */
function DialogTable({ caption, columns, className, testId, children }: { caption: string; columns: readonly string[]; className: string; testId?: string; children: ReactNode }) {
  return (
    <div className={cn('overflow-auto rounded-lg border', className)}>
      <table className="w-full text-sm" data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead className="sticky top-0 border-b bg-muted text-left text-xs text-muted-foreground">
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col" className="px-3 py-2 font-medium">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y">{children}</tbody>
      </table>
    </div>
  );
}

/** A row's fate: the problem in red, or a green badge when there is none. */
function RowVerdict({ problem, okLabel }: { problem: string | null; okLabel: string }) {
  return problem === null ? (
    <Badge variant="success">
      <CheckCircle2 className="size-3" aria-hidden="true" />
      {okLabel}
    </Badge>
  ) : (
    <span className="flex items-start gap-1.5 text-red-700 dark:text-red-300">
      <XCircle className="mt-0.5 size-3.5 shrink-0" aria-hidden="true" />
      {problem}
    </span>
  );
}

function PreviewTable({ checks }: { checks: readonly InviteRowCheck[] }) {
  const problems = checks.filter((check) => !check.ok).length;
  return (
    <DialogTable
      caption={`Preview: ${checks.length} ${checks.length === 1 ? 'row' : 'rows'}, ${problems} with a problem`}
      columns={['Line', 'Email', 'Role', 'Check']}
      className="max-h-64"
      testId="invite-preview"
    >
      {checks.map((check) => (
        <tr key={check.line} className={cn(!check.ok && 'bg-red-50/60 dark:bg-red-400/5')} data-testid="invite-preview-row">
          <td className="px-3 py-2 text-muted-foreground tabular-nums">{check.line}</td>
          <td className="max-w-56 truncate px-3 py-2" title={check.email}>
            {check.email || <span className="text-muted-foreground italic">none</span>}
          </td>
          <td className="px-3 py-2">{check.ok ? roleName(check.role) : check.role}</td>
          <td className="px-3 py-2">
            <RowVerdict problem={check.ok ? null : check.problem} okLabel="Ready" />
          </td>
        </tr>
      ))}
    </DialogTable>
  );
}

interface SentBatch {
  sent: Extract<InviteRowCheck, { ok: true }>[];
  skipped: Extract<InviteRowCheck, { ok: false }>[];
  result: BulkInviteResult;
}

function BulkResults({ batch, onMore, onDone }: { batch: SentBatch; onMore: () => void; onDone: () => void }) {
  const { result, sent, skipped } = batch;
  return (
    <div className="space-y-4" data-testid="bulk-invite-results">
      <p role="status" className="text-sm font-medium">
        {result.created === 1 ? '1 invitation sent' : `${result.created} invitations sent`}
        {result.failed > 0 ? `, ${result.failed} refused` : ''}
        {skipped.length > 0 ? `, ${skipped.length} not sent` : ''}.
      </p>
      <DialogTable caption="Result per invitation" columns={['Email', 'Role', 'Result']} className="max-h-72">
        {result.results.map((row) => {
          const asSent = sent[row.index];
          return (
            <tr key={`sent-${row.index}`} data-testid="bulk-invite-result">
              <td className="px-3 py-2">{asSent?.email ?? row.key}</td>
              <td className="px-3 py-2">{asSent ? roleName(asSent.role) : ''}</td>
              <td className="px-3 py-2">
                <RowVerdict problem={row.ok ? null : (row.message ?? `Refused (HTTP ${row.status})`)} okLabel="Sent" />
              </td>
            </tr>
          );
        })}
        {skipped.map((check) => (
          <tr key={`skipped-${check.line}`} data-testid="bulk-invite-result">
            <td className="px-3 py-2">{check.email || `Line ${check.line}`}</td>
            <td className="px-3 py-2">{check.role}</td>
            <td className="px-3 py-2 text-muted-foreground">Not sent: {check.problem}</td>
          </tr>
        ))}
      </DialogTable>
      <div className="flex justify-end gap-2">
        <Button variant="outline" onClick={onMore}>
          Invite more people
        </Button>
        <Button onClick={onDone}>Done</Button>
      </div>
    </div>
  );
}

/**
 * Many people from a paste or a CSV file: each row is checked as the API would before anything
 * is sent, rows with a problem are left out, and the API's answer is shown per row.
 */
export function BulkInvite({ access, onDone }: { access: TeamAccess; onDone: () => void }) {
  const id = useId();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [defaultRole, setDefaultRole] = useState<TenantRole>('analyst');
  const [message, setMessage] = useState('');
  const [batch, setBatch] = useState<SentBatch | null>(null);
  const refresh = useInvalidateTeam();
  const checks = checkInviteRows(parseInviteLines(text), { defaultRole, assignable: access.assignableRoles });
  const ready = checks.filter((check) => check.ok);
  const problems = checks.filter((check) => !check.ok);
  const tooMany = ready.length > MAX_BULK_INVITES;
  const send = useMutation({
    mutationFn: () => bulkInvite(ready.map(({ email, role }) => ({ email, role })), message.trim() || undefined),
    onSuccess: async (result) => {
      setBatch({ sent: ready, skipped: problems, result });
      await refresh();
    },
  });

  const loadFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    setText(await file.text());
    setFileName(file.name);
    event.target.value = '';
  };

  if (batch) {
    return (
      <BulkResults
        batch={batch}
        onDone={onDone}
        onMore={() => {
          setBatch(null);
          setText('');
          setFileName(null);
          send.reset();
        }}
      />
    );
  }

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (ready.length > 0 && !tooMany) send.mutate();
      }}
      className="space-y-4"
      aria-label="Invite several people"
    >
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-lines`} className={inviteLabel}>
          People to invite
        </label>
        <textarea
          id={`${id}-lines`}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setFileName(null);
          }}
          rows={6}
          spellCheck={false}
          placeholder={'ada@example.com,admin\ngrace@example.com,engineer\nlinus@example.com'}
          aria-describedby={`${id}-lines-hint`}
          className={cn(textareaControl, 'font-mono')}
        />
        <p id={`${id}-lines-hint`} className={inviteHint}>
          One person per line: <code>email,role</code>, or just the email for the default role. A header row is optional.
        </p>
      </div>
      <div className="flex flex-wrap items-end gap-4">
        <div className="flex flex-col gap-1.5">
          <label htmlFor={`${id}-file`} className={inviteLabel}>
            Or upload a CSV file
          </label>
          <div className="flex items-center gap-2">
            <input
              id={`${id}-file`}
              type="file"
              accept=".csv,text/csv"
              onChange={(event) => void loadFile(event)}
              className="block text-sm file:mr-3 file:inline-flex file:h-8 file:cursor-pointer file:rounded-md file:border file:border-input file:bg-card file:px-3 file:text-xs file:font-medium file:text-foreground hover:file:bg-accent"
            />
            {fileName ? (
              <span className="inline-flex items-center gap-1 text-xs text-muted-foreground" aria-live="polite">
                <FileUp className="size-3.5" aria-hidden="true" />
                Loaded {fileName}
              </span>
            ) : null}
          </div>
        </div>
        <div className="flex flex-col gap-1.5">
          <label htmlFor={`${id}-default-role`} className={inviteLabel}>
            Default role
          </label>
          <RoleSelect id={`${id}-default-role`} value={defaultRole} onChange={setDefaultRole} assignable={access.assignableRoles} />
        </div>
      </div>
      {checks.length > 0 ? <PreviewTable checks={checks} /> : null}
      <MessageField id={`${id}-message`} value={message} onChange={setMessage} />
      {send.error ? <InviteRefusal title="The invitations were not sent" error={send.error} /> : null}
      <div className="flex flex-wrap items-center justify-end gap-3">
        {problems.length > 0 ? (
          <p className="mr-auto text-xs text-muted-foreground" data-testid="invite-skip-note">
            {problems.length === 1 ? '1 row has a problem and will not be sent.' : `${problems.length} rows have a problem and will not be sent.`}
          </p>
        ) : null}
        {tooMany ? (
          <p role="alert" className="mr-auto text-xs text-red-700 dark:text-red-300">
            At most {MAX_BULK_INVITES} invitations at once; split the list.
          </p>
        ) : null}
        <Button type="submit" disabled={ready.length === 0 || tooMany || send.isPending} aria-busy={send.isPending}>
          {send.isPending ? 'Sending…' : ready.length === 1 ? 'Send 1 invitation' : `Send ${ready.length} invitations`}
        </Button>
      </div>
    </form>
  );
}

