import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Ban, CheckCircle2, KeyRound, Trash2 } from 'lucide-react';
import { toast } from 'sonner';
import { RequireAccess } from '@/components/access/require-access';
import { CreateApiKeyDialog } from '@/components/billing/CreateApiKeyDialog';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { relativeTime } from '@/components/team/activity-format';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { DataTable, tableCell as cell } from '@/components/ui/data-table';
import { EmptyState } from '@/components/ui/empty-state';
import { StatusBadge } from '@/components/ui/status-badge';
import { useSession } from '@/hooks/use-session';
import { useApiKeys, usageKeys } from '@/hooks/use-usage';
import { cn } from '@/lib/cn';
import { formatShortDate } from '@/lib/dates';
import { revokeApiKey } from '@/services/usage.service';
import type { ApiKey } from '@/types/usage';

const columns = ['Name', 'Key', 'Created by', 'Created', 'Last used', 'Status'] as const;

function RevokeButton({ apiKey }: { apiKey: ApiKey }) {
  const [confirming, setConfirming] = useState(false);
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => revokeApiKey(apiKey.id),
    onSuccess: async () => {
      setConfirming(false);
      toast.success(`“${apiKey.name}” was revoked.`);
      await queryClient.invalidateQueries({ queryKey: usageKeys.apiKeys(tenantId), exact: true });
    },
  });
  return (
    <>
      <Button
        variant="ghost"
        size="sm"
        className="text-red-700 hover:text-red-800 dark:text-red-300 dark:hover:text-red-200"
        onClick={() => setConfirming(true)}
      >
        <Trash2 aria-hidden="true" />
        Revoke <span className="sr-only">{apiKey.name}</span>
      </Button>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Revoke “${apiKey.name}”?`}
        description={`Services sending the key ${apiKey.prefix} are refused from now on. This cannot be undone: create a new key to replace it.`}
        confirmLabel="Revoke key"
        pendingLabel="Revoking…"
        keepLabel="Keep key"
        failureTitle="The key was not revoked"
        action={{ run: () => revoke.mutate(), isPending: revoke.isPending, error: revoke.error, reset: revoke.reset }}
      />
    </>
  );
}

function ApiKeyRow({ apiKey, now }: { apiKey: ApiKey; now: Date }) {
  const revoked = apiKey.revokedAt !== null;
  return (
    <tr className={cn('hover:bg-muted/50', revoked && 'text-muted-foreground')} data-testid="api-key-row">
      <th scope="row" className={cn(cell, 'text-left font-medium')}>
        {apiKey.name}
      </th>
      <td className={cell}>
        <code className="rounded bg-muted px-1.5 py-0.5 font-mono text-xs">{apiKey.prefix}</code>
      </td>
      <td className={cn(cell, 'text-muted-foreground')}>{apiKey.createdBy ?? 'Someone who left'}</td>
      <td className={cn(cell, 'tabular-nums')}>{formatShortDate(apiKey.createdAt)}</td>
      <td className={cell}>
        {apiKey.lastUsedAt ? (
          <time dateTime={apiKey.lastUsedAt} title={new Date(apiKey.lastUsedAt).toLocaleString()}>
            {relativeTime(apiKey.lastUsedAt, now)}
          </time>
        ) : (
          <span className="text-muted-foreground">Never</span>
        )}
      </td>
      <td className={cell}>
        {apiKey.revokedAt ? (
          <StatusBadge look={{ label: `Revoked ${formatShortDate(apiKey.revokedAt)}`, variant: 'secondary', icon: Ban }} />
        ) : (
          <StatusBadge look={{ label: 'Active', variant: 'success', icon: CheckCircle2 }} />
        )}
      </td>
      <td className={cn(cell, 'py-2 text-right')}>{revoked ? null : <RevokeButton apiKey={apiKey} />}</td>
    </tr>
  );
}

function ApiKeyList() {
  const { membership } = useSession();
  const keys = useApiKeys({ enabled: true });
  const [now] = useState(() => new Date());
  const list = keys.data;
  return (
    <>
      <PageHeader
        title="API keys"
        description={
          membership
            ? `Keys ${membership.name}'s own services report usage with. Each secret is shown once, when the key is created.`
            : 'Keys your services report usage with. Each secret is shown once, when the key is created.'
        }
        actions={<CreateApiKeyDialog />}
      />
      {keys.error ? (
        <QueryError title="We couldn't load your API keys" error={keys.error} onRetry={() => void keys.refetch()} />
      ) : list && list.length === 0 ? (
        <EmptyState
          icon={KeyRound}
          title="No API keys yet"
          body="Create one for each service that reports usage, so each can be revoked alone."
          testId="api-keys-empty"
          className="rounded-xl border bg-card"
        />
      ) : (
        <Card className="overflow-hidden">
          <DataTable
            caption="API keys"
            columns={columns}
            actions
            rows={list}
            renderRow={(apiKey) => <ApiKeyRow key={apiKey.id} apiKey={apiKey} now={now} />}
            loadingLabel="Loading API keys…"
            skeleton={{ rows: 3, className: 'min-w-12' }}
            fetching={keys.isFetching}
          />
        </Card>
      )}
    </>
  );
}

/** Admins list, create (the secret shown once) and revoke the tenant's API keys; other roles get the 403 view. */
export default function ApiKeysPage() {
  return (
    <RequireAccess resource="api-keys" action="list">
      <ApiKeyList />
    </RequireAccess>
  );
}
