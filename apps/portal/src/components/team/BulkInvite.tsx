import { useEffect, useId, useRef, useState, type ChangeEvent, type ReactNode } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { CheckCircle2, FileUp, Loader2, XCircle } from 'lucide-react';
import { inviteHint, inviteLabel, InviteRefusal, MessageField, textareaControl } from '@/components/team/invite-fields';
import { checkInviteRows, MAX_BULK_INVITES, parseInviteLines, type InviteRowCheck } from '@/components/team/invite-rows';
import { RoleSelect } from '@/components/team/RoleSelect';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { useInvalidateTeam, type TeamAccess } from '@/hooks/use-team';
import { cn } from '@/lib/cn';
import { roleName } from '@/lib/role-parser';
import { errorMessage } from '@/lib/axios';
import { bulkInvite, previewBulkInvite } from '@/services/team.service';
import type { BulkInviteResult, TenantRole } from '@/types/team';

/** A table of the dialog: a hidden caption, a header row and the rows, wrapping long addresses. */
function DialogTable({ caption, columns, testId, children }: { caption: string; columns: readonly string[]; testId?: string; children: ReactNode }) {
  // No height limit: the dialog is the one scroll area, its footer stays in view.
  return (
    <div className="rounded-lg border">
      <table className="w-full text-sm" data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead className="border-b bg-muted text-left text-xs text-muted-foreground">
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col" className="px-3 py-2 font-medium whitespace-nowrap">
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
function RowVerdict({ problem, okLabel, checking = false }: { problem: string | null; okLabel: string; checking?: boolean }) {
  if (checking && problem === null) {
    return (
      <span className="inline-flex items-center gap-1.5 text-muted-foreground">
        <Loader2 className="size-3.5 animate-spin" aria-hidden="true" />
        Checking…
      </span>
    );
  }
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

function PreviewTable({ checks, checking }: { checks: readonly InviteRowCheck[]; checking: boolean }) {
  const problems = checks.filter((check) => !check.ok).length;
  return (
    <DialogTable
      caption={`Preview: ${checks.length} ${checks.length === 1 ? 'row' : 'rows'}, ${problems} with a problem`}
      columns={['Line', 'Email', 'Role', 'Check']}
      testId="invite-preview"
    >
      {checks.map((check) => (
        <tr key={check.line} className={cn(!check.ok && 'bg-red-50/60 dark:bg-red-400/5')} data-testid="invite-preview-row">
          <td className="px-3 py-2 text-muted-foreground tabular-nums">{check.line}</td>
          <td className="px-3 py-2 [overflow-wrap:anywhere]">
            {check.email || <span className="text-muted-foreground italic">none</span>}
          </td>
          <td className="px-3 py-2 whitespace-nowrap">{check.ok ? roleName(check.role) : check.role}</td>
          <td className="px-3 py-2">
            <RowVerdict problem={check.ok ? null : check.problem} okLabel="Ready" checking={checking} />
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
      <DialogTable caption="Result per invitation" columns={['Email', 'Role', 'Result']}>
        {result.results.map((row) => {
          const asSent = sent[row.index];
          return (
            <tr key={`sent-${row.index}`} data-testid="bulk-invite-result">
              <td className="px-3 py-2 [overflow-wrap:anywhere]">{asSent?.email ?? row.key}</td>
              <td className="px-3 py-2">{asSent ? roleName(asSent.role) : ''}</td>
              <td className="px-3 py-2">
                <RowVerdict problem={row.ok ? null : (row.message ?? `Refused (HTTP ${row.status})`)} okLabel="Sent" />
              </td>
            </tr>
          );
        })}
        {skipped.map((check) => (
          <tr key={`skipped-${check.line}`} data-testid="bulk-invite-result">
            <td className="px-3 py-2 [overflow-wrap:anywhere]">{check.email || `Line ${check.line}`}</td>
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

type ReadyRow = Extract<InviteRowCheck, { ok: true }>;

const rowsKey = (rows: readonly ReadyRow[]) => JSON.stringify(rows.map(({ email, role }) => [email, role]));

/** `value`, once it has stopped changing for `ms` (the API is asked once the typing pauses). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * The rows that pass the checks the portal can make are then checked by the API with a dry run
 * of the very send (existing member, pending invitation, the caller's role): a row the API
 * refuses shows its sentence, and only rows it accepted are sent.
 */
function useServerChecks(checks: readonly InviteRowCheck[], enabled: boolean) {
  const ready = checks.filter((check): check is ReadyRow => check.ok);
  const key = rowsKey(ready);
  const settledKey = useSettled(key, 300);
  const settled = settledKey === key;
  const preview = useQuery({
    queryKey: ['team', 'bulk-invite-preview', key],
    queryFn: () => previewBulkInvite(ready.map(({ email, role }) => ({ email, role }))),
    enabled: enabled && settled && ready.length > 0,
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });
  const verdicts = settled ? preview.data?.results : undefined;
  const checking = ready.length > 0 && enabled && verdicts === undefined && !preview.error;
  const merged = checks.map((check): InviteRowCheck => {
    if (!check.ok) return check;
    // The API numbers the rows it was given: the ready ones, in order.
    const verdict = verdicts?.find((row) => row.index === ready.indexOf(check));
    if (!verdict || verdict.ok) return check;
    return { ok: false, line: check.line, email: check.email, role: roleName(check.role), problem: verdict.message ?? `Refused (HTTP ${verdict.status})` };
  });
  const sendable = verdicts ? merged.filter((check): check is ReadyRow => check.ok) : [];
  return { merged, sendable, checking, error: preview.error, retry: () => void preview.refetch() };
}

/**
 * Many people from a paste or a CSV file: each row is checked first by the portal, then by the
 * API exactly as the send would (a dry run), rows with a problem are left out, and the API's
 * answer is shown per row. The dialog scrolls as one; the Send button stays in view below.
 */
export function BulkInvite({ access, onDone }: { access: TeamAccess; onDone: () => void }) {
  const id = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [defaultRole, setDefaultRole] = useState<TenantRole>('analyst');
  const [message, setMessage] = useState('');
  const [batch, setBatch] = useState<SentBatch | null>(null);
  const refresh = useInvalidateTeam();
  const local = checkInviteRows(parseInviteLines(text), { defaultRole, assignable: access.assignableRoles });
  const tooMany = local.filter((check) => check.ok).length > MAX_BULK_INVITES;
  const server = useServerChecks(local, !tooMany && batch === null);
  const checks = server.merged;
  const ready = server.sendable;
  const problems = checks.filter((check): check is Extract<InviteRowCheck, { ok: false }> => !check.ok);
  const send = useMutation({
    mutationFn: (rows: ReadyRow[]) => bulkInvite(rows.map(({ email, role }) => ({ email, role })), message.trim() || undefined),
    onSuccess: async (result, rows) => {
      setBatch({ sent: rows, skipped: problems, result });
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

  const canSend = ready.length > 0 && !tooMany && !server.checking && !send.isPending;
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (canSend) send.mutate(ready);
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
          rows={5}
          spellCheck={false}
          placeholder={'ada@example.com,admin\ngrace@example.com,engineer\nlinus@example.com'}
          aria-describedby={`${id}-lines-hint`}
          // Grows with its text where supported, so the dialog stays the one scroll area.
          className={cn(textareaControl, 'min-h-28 font-mono [field-sizing:content]')}
        />
        <p id={`${id}-lines-hint`} className={inviteHint}>
          One person per line: <code>email,role</code>, or just the email for the default role. A header row is optional.
        </p>
      </div>
      <div className="flex flex-wrap items-end gap-4">
        <div className="flex min-w-0 flex-col gap-1.5">
          <label htmlFor={`${id}-file`} className={inviteLabel}>
            Or upload a CSV file
          </label>
          {/* The browser's own file input says "No file chosen" even after a file was read: a button and the name instead. */}
          <input
            ref={fileInput}
            id={`${id}-file`}
            type="file"
            accept=".csv,text/csv"
            tabIndex={-1}
            onChange={(event) => void loadFile(event)}
            className="sr-only"
          />
          <div className="flex min-w-0 flex-wrap items-center gap-2">
            <Button type="button" variant="outline" size="sm" onClick={() => fileInput.current?.click()}>
              <FileUp aria-hidden="true" />
              Choose a CSV file
            </Button>
            <span className="min-w-0 truncate text-xs text-muted-foreground" aria-live="polite" data-testid="bulk-invite-file-name">
              {fileName ? `Loaded ${fileName}` : ''}
            </span>
          </div>
        </div>
        <div className="flex flex-col gap-1.5">
          <label htmlFor={`${id}-default-role`} className={inviteLabel}>
            Default role
          </label>
          <RoleSelect id={`${id}-default-role`} value={defaultRole} onChange={setDefaultRole} assignable={access.assignableRoles} />
        </div>
      </div>
      {checks.length > 0 ? <PreviewTable checks={checks} checking={server.checking} /> : null}
      {server.error ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          The list could not be checked: {errorMessage(server.error)}{' '}
          <Button type="button" variant="link" size="sm" className="h-auto p-0" onClick={server.retry}>
            Check again
          </Button>
        </p>
      ) : null}
      <MessageField id={`${id}-message`} value={message} onChange={setMessage} />
      {send.error ? <InviteRefusal title="The invitations were not sent" error={send.error} /> : null}
      <div className="sticky bottom-0 z-10 -mx-6 -mb-6 flex flex-wrap items-center justify-end gap-3 border-t bg-card px-6 py-4" data-testid="bulk-invite-footer">
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
        <Button type="submit" disabled={!canSend} aria-busy={send.isPending || server.checking}>
          {send.isPending ? 'Sending…' : server.checking ? 'Checking…' : ready.length === 1 ? 'Send 1 invitation' : `Send ${ready.length} invitations`}
        </Button>
      </div>
    </form>
  );
}
