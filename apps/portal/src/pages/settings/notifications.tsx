import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { AlertTriangle } from 'lucide-react';
import type { FieldError } from '@cbp/contracts';
import { RequireAccess } from '@/components/access/require-access';
import { QueryError } from '@/components/billing/query-error';
import { typeDescription, typeLabel } from '@/components/notifications/notification-format';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { useNotificationSettings, useUpdateNotificationSettings } from '@/hooks/use-notifications';
import { errorMessage, problemFromError } from '@/lib/axios';
import { cn } from '@/lib/cn';
import {
  notificationTypeNames,
  type ChannelSettings,
  type NotificationSettings,
  type NotificationSettingsPatch,
} from '@/types/notification';

type Channel = keyof ChannelSettings;
const channels: { key: Channel; label: string; hint: string }[] = [
  { key: 'inApp', label: 'In-app', hint: 'The bell and the notifications page' },
  { key: 'email', label: 'Email', hint: 'To your sign-in address' },
];

const checkbox = 'size-4 shrink-0 accent-primary disabled:cursor-not-allowed disabled:opacity-50';
const cell = 'px-4 py-3 align-top';

/** Known types in the shared table's order, then any other type the API sent. */
function rowsOf(settings: NotificationSettings): string[] {
  const present = Object.keys(settings.types);
  const known: string[] = notificationTypeNames.filter((type) => present.includes(type));
  return [...known, ...present.filter((type) => !known.includes(type)).sort()];
}

/** Only what changed: the channels and types touched (each with just the changed channel), the digest if flipped. */
function settingsPatch(saved: NotificationSettings, draft: NotificationSettings): NotificationSettingsPatch {
  const patch: NotificationSettingsPatch = {};
  const channelChanges: Partial<ChannelSettings> = {};
  for (const { key } of channels) if (draft.channels[key] !== saved.channels[key]) channelChanges[key] = draft.channels[key];
  if (Object.keys(channelChanges).length > 0) patch.channels = channelChanges;

  const typeChanges: Record<string, Partial<ChannelSettings>> = {};
  for (const [type, value] of Object.entries(draft.types as Record<string, ChannelSettings>)) {
    const before = (saved.types as Record<string, ChannelSettings | undefined>)[type];
    const changed: Partial<ChannelSettings> = {};
    for (const { key } of channels) if (before?.[key] !== value[key]) changed[key] = value[key];
    if (Object.keys(changed).length > 0) typeChanges[type] = changed;
  }
  if (Object.keys(typeChanges).length > 0) patch.types = typeChanges as NotificationSettingsPatch['types'];

  if (draft.digest !== saved.digest) patch.digest = draft.digest;
  return patch;
}

const fieldPath = (path: string) => path.replace(/^body\./, '');

/** The draft of the settings, started again from the saved ones whenever those change (after a save). */
function useDraft(saved: NotificationSettings) {
  const [draft, setDraft] = useState(saved);
  const [base, setBase] = useState(saved);
  if (base !== saved) {
    setBase(saved);
    setDraft(saved);
  }
  return [draft, setDraft] as const;
}

function SettingsForm({ saved }: { saved: NotificationSettings }) {
  const [draft, setDraft] = useDraft(saved);
  const update = useUpdateNotificationSettings();
  const [failure, setFailure] = useState<{ title: string; detail: string; errors: readonly FieldError[] } | null>(null);
  const patch = settingsPatch(saved, draft);
  const dirty = Object.keys(patch).length > 0;
  const rows = rowsOf(draft);
  const types = draft.types as Record<string, ChannelSettings>;

  const errorsFor = (type: string) => failure?.errors.filter((error) => fieldPath(error.path).startsWith(`types.${type}`)) ?? [];

  const setChannel = (key: Channel, on: boolean) => setDraft({ ...draft, channels: { ...draft.channels, [key]: on } });
  const setType = (type: string, key: Channel, on: boolean) => {
    const current = types[type] ?? { inApp: false, email: false };
    setDraft({ ...draft, types: { ...types, [type]: { ...current, [key]: on } } as NotificationSettings['types'] });
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!dirty) return;
    setFailure(null);
    update.mutate(patch, {
      onSuccess: () => {
        toast.success('Notification settings saved.');
      },
      onError: (error) => {
        const problem = problemFromError(error);
        setFailure({
          title: problem?.title ?? "We couldn't save your settings",
          detail: problem?.detail ?? errorMessage(error),
          errors: problem?.errors ?? [],
        });
      },
    });
  };

  return (
    <form onSubmit={submit} aria-labelledby="notification-settings-heading" className="space-y-6">
      <div>
        <h2 id="notification-settings-heading" className="text-lg font-semibold">
          Notifications
        </h2>
        <p className="mt-1 text-sm text-muted-foreground">Choose what reaches you, and where.</p>
      </div>

      {failure ? (
        <Alert variant="destructive" role="alert" data-testid="settings-error">
          <AlertTriangle aria-hidden="true" />
          <div>
            <AlertTitle>{failure.title}</AlertTitle>
            <AlertDescription>
              <p>{failure.detail}</p>
              {failure.errors.length > 0 ? (
                <ul className="mt-1 list-disc pl-4">
                  {failure.errors.map((error) => (
                    <li key={`${error.path}:${error.message}`}>
                      <span className="font-medium">{fieldPath(error.path)}</span>: {error.message}
                    </li>
                  ))}
                </ul>
              ) : null}
            </AlertDescription>
          </div>
        </Alert>
      ) : null}

      <Card role="group" aria-labelledby="channels-heading">
        <div>
          <CardHeader>
            <h3 id="channels-heading" className="text-sm font-semibold">
              Channels
            </h3>
            <CardDescription>Turning a channel off silences it for every type below.</CardDescription>
          </CardHeader>
          <CardContent className="flex flex-wrap gap-6">
            {channels.map((channel) => (
              <div key={channel.key} className="flex items-start gap-2.5">
                <input
                  id={`channel-${channel.key}`}
                  type="checkbox"
                  className={cn(checkbox, 'mt-0.5')}
                  checked={draft.channels[channel.key]}
                  onChange={(event) => setChannel(channel.key, event.target.checked)}
                  aria-describedby={`channel-${channel.key}-hint`}
                />
                <div className="text-sm">
                  <label htmlFor={`channel-${channel.key}`} className="font-medium">
                    {channel.label} notifications
                  </label>
                  <p id={`channel-${channel.key}-hint`} className="text-muted-foreground">
                    {channel.hint}
                  </p>
                </div>
              </div>
            ))}
          </CardContent>
        </div>
      </Card>

      <Card className="overflow-x-auto">
        <table className="w-full text-sm">
          <caption className="border-b px-4 py-2.5 text-left text-sm font-semibold">Notification types</caption>
          <thead className="bg-muted/40 text-left text-xs font-medium text-muted-foreground">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium">
                Type
              </th>
              {channels.map((channel) => (
                <th key={channel.key} scope="col" className="w-24 px-4 py-2 text-center font-medium">
                  {channel.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y">
            {rows.map((type) => {
              const errors = errorsFor(type);
              const description = typeDescription(type);
              return (
                <tr key={type} data-testid="settings-type-row">
                  <th scope="row" className={cn(cell, 'text-left font-normal')}>
                    <span className="block font-medium">{typeLabel(type)}</span>
                    {description ? <span className="block text-xs text-muted-foreground">{description}</span> : null}
                    {errors.length > 0 ? (
                      <span id={`type-error-${type}`} className="mt-1 block text-xs text-red-700 dark:text-red-300">
                        {errors.map((error) => error.message).join(' ')}
                      </span>
                    ) : null}
                  </th>
                  {channels.map((channel) => (
                    <td key={channel.key} className={cn(cell, 'text-center')}>
                      <input
                        type="checkbox"
                        className={checkbox}
                        checked={types[type]?.[channel.key] ?? false}
                        disabled={!draft.channels[channel.key]}
                        aria-label={`${typeLabel(type)}: ${channel.label}`}
                        aria-invalid={errors.length > 0 || undefined}
                        aria-describedby={errors.length > 0 ? `type-error-${type}` : undefined}
                        onChange={(event) => setType(type, channel.key, event.target.checked)}
                      />
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </Card>

      <Card>
        <CardContent className="flex items-start gap-2.5 pt-5">
          <input
            id="digest"
            type="checkbox"
            className={cn(checkbox, 'mt-0.5')}
            checked={draft.digest}
            onChange={(event) => setDraft({ ...draft, digest: event.target.checked })}
            aria-describedby="digest-hint"
          />
          <div className="text-sm">
            <label htmlFor="digest" className="font-medium">
              Daily digest email
            </label>
            <p id="digest-hint" className="text-muted-foreground">
              One email a day summing up the notifications you have not read.
            </p>
          </div>
        </CardContent>
      </Card>

      <div className="flex items-center gap-2">
        <Button type="submit" disabled={!dirty || update.isPending}>
          {update.isPending ? 'Saving…' : 'Save'}
        </Button>
        <Button
          type="button"
          variant="ghost"
          disabled={!dirty || update.isPending}
          onClick={() => {
            setDraft(saved);
            setFailure(null);
          }}
        >
          Discard changes
        </Button>
        {dirty ? <span className="text-sm text-muted-foreground">Unsaved changes</span> : null}
      </div>
    </form>
  );
}

function NotificationSettingsView() {
  const settings = useNotificationSettings();
  if (settings.error) {
    return <QueryError title="We couldn't load your notification settings" error={settings.error} onRetry={() => void settings.refetch()} />;
  }
  if (!settings.data) {
    return (
      <div role="status" aria-live="polite" className="space-y-4">
        <span className="sr-only">Loading notification settings…</span>
        <Skeleton className="h-6 w-40" />
        <Skeleton className="h-24" />
        <Skeleton className="h-72" />
      </div>
    );
  }
  return <SettingsForm saved={settings.data} />;
}

/** The user's notification preferences: channels, each type per channel, the daily digest. */
export default function NotificationSettingsPage() {
  return (
    <RequireAccess resource="notifications" action="show">
      <NotificationSettingsView />
    </RequireAccess>
  );
}
