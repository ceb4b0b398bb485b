import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { UpdateMeBody } from '@cbp/contracts';
import { Button } from '@/components/ui/button';
import { Card, CardContent } from '@/components/ui/card';
import { FormFailure } from '@/components/ui/dialog-form';
import { PageLoading } from '@/components/layout/page-loading';
import { useUpdateProfile } from '@/hooks/use-account';
import { useSession } from '@/hooks/use-session';
import type { Me } from '@/types/session';
import { fieldErrorsOf, initialsOf, SettingsField, SettingsHeading } from './account-form';

const nameMax = UpdateMeBody.shape.name.maxLength ?? 200;

function ProfileForm({ me }: { me: Me }) {
  const [name, setName] = useState(me.user.name);
  const [clientError, setClientError] = useState<string | null>(null);
  const update = useUpdateProfile();
  const apiErrors = fieldErrorsOf(update.error);
  const nameError = clientError ?? apiErrors.name ?? null;
  const otherFailure = update.error && !apiErrors.name ? update.error : null;
  const dirty = name.trim() !== me.user.name;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = UpdateMeBody.safeParse({ name });
    if (!parsed.success) {
      setClientError(parsed.error.issues[0]?.message ?? 'Enter your name');
      return;
    }
    setClientError(null);
    update.mutate(parsed.data, {
      onSuccess: (saved) => {
        setName(saved.user.name);
        toast.success('Profile saved.');
      },
    });
  };

  return (
    <form onSubmit={submit} aria-labelledby="profile-heading" className="space-y-6" noValidate>
      <SettingsHeading id="profile-heading" title="Profile" description="How you appear to the members of your organizations." />
      <FormFailure title="We couldn't save your profile" error={otherFailure} />
      <Card>
        <CardContent className="flex flex-col gap-6 pt-5 sm:flex-row sm:items-start">
          <div className="flex items-center gap-3 sm:flex-col" aria-label="Avatar preview" role="img">
            <span
              aria-hidden="true"
              data-testid="avatar-preview"
              className="flex size-16 items-center justify-center rounded-full bg-primary text-xl font-semibold text-primary-foreground"
            >
              {initialsOf(name)}
            </span>
            <span className="text-xs text-muted-foreground">Your initials</span>
          </div>
          <div className="flex min-w-0 flex-1 flex-col gap-4">
            <SettingsField
              id="profile-name"
              label="Name"
              value={name}
              maxLength={nameMax}
              autoComplete="name"
              required
              error={nameError}
              onChange={(event) => {
                setName(event.target.value);
                setClientError(null);
              }}
            />
            <SettingsField
              id="profile-email"
              label="Email"
              value={me.user.email}
              readOnly
              hint="Your sign-in address. It cannot be changed here."
              className="bg-muted"
            />
            <div>
              <Button type="submit" disabled={update.isPending || !dirty} aria-busy={update.isPending}>
                {update.isPending ? 'Saving…' : 'Save profile'}
              </Button>
            </div>
          </div>
        </CardContent>
      </Card>
    </form>
  );
}

/** The user's own profile: name (with the initials the header shows) and the sign-in email, read-only. */
export default function ProfileSettingsPage() {
  const { me } = useSession();
  if (!me) return <PageLoading />;
  return <ProfileForm key={me.user.id} me={me} />;
}
