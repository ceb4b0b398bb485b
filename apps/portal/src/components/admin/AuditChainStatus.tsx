import { useMutation } from '@tanstack/react-query';
import { ShieldAlert, ShieldCheck } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { errorMessage } from '@/lib/axios';
import { verifyAuditChain } from '@/services/audit-logs.service';

const when = (iso: string) =>
  new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23', timeZone: 'UTC' }) + ' UTC';

/**
 * Integrity check of the trail: the server recomputes the hash chain and names the first entry
 * that was edited or follows a removed one; that entry can be opened from here.
 */
export function AuditChainStatus({ onOpenEntry }: { onOpenEntry: (id: string) => void }) {
  const check = useMutation({ mutationFn: verifyAuditChain });
  const result = check.data;
  return (
    <section aria-labelledby="chain-status-title" className="mb-4 flex flex-wrap items-center gap-3 rounded-lg border px-4 py-3 text-sm" data-testid="audit-chain-status">
      <h2 id="chain-status-title" className="font-medium">
        Integrity
      </h2>
      <p role="status" className="min-w-0 flex-1 text-muted-foreground">
        {check.isError ? (
          <span className="text-destructive">Could not verify: {errorMessage(check.error)}</span>
        ) : !result ? (
          'Entries are hash-chained: verifying recomputes the chain and shows any entry changed outside CBP.'
        ) : result.valid ? (
          <span className="inline-flex items-center gap-1.5 text-foreground">
            <ShieldCheck className="size-4 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />
            Chain intact: {result.checked.toLocaleString('en-US')} entries verified at {when(result.verifiedAt)}.
          </span>
        ) : (
          <span className="inline-flex flex-wrap items-center gap-1.5 text-destructive">
            <ShieldAlert className="size-4" aria-hidden="true" />
            Tampering detected: the entry of {when(result.firstBroken?.createdAt ?? result.verifiedAt)}{' '}
            {result.firstBroken?.reason === 'content_changed' ? 'was edited' : 'follows an entry that was removed'}.
            {result.firstBroken ? (
              <Button variant="link" size="sm" className="h-auto p-0" onClick={() => onOpenEntry(result.firstBroken?.id ?? '')}>
                Open that entry
              </Button>
            ) : null}
          </span>
        )}
      </p>
      <Button variant="outline" size="sm" onClick={() => check.mutate()} disabled={check.isPending} aria-busy={check.isPending}>
        {check.isPending ? 'Verifying…' : result ? 'Verify again' : 'Verify integrity'}
      </Button>
      {result ? (
        <div className="basis-full space-y-1 text-xs text-muted-foreground">
          <p data-testid="audit-retention">
            Your plan keeps entries for {result.retention.days.toLocaleString('en-US')} days
            {result.retention.purgedTotal > 0
              ? `; ${result.retention.purgedTotal.toLocaleString('en-US')} older entries were removed by the retention job${
                  result.retention.lastPurgedAt ? ` (last on ${when(result.retention.lastPurgedAt)})` : ''
                }, and the chain starts after them.`
              : '; nothing has been removed yet.'}
          </p>
          {result.head ? (
            <p>
              Latest hash, to keep outside CBP so removal of the newest entries can be noticed later:{' '}
              <code className="break-all rounded bg-muted px-1 py-0.5 font-mono text-[11px] text-foreground" data-testid="audit-head-hash">
                {result.head.hash}
              </code>
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
