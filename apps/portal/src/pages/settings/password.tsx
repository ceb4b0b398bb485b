import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { ExternalLink } from 'lucide-react';
import { NewPassword, passwordPolicy } from '@cbp/contracts';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription } from '@/components/ui/card';
import { FormFailure } from '@/components/ui/dialog-form';
import { PageLoading } from '@/components/layout/page-loading';
import { useChangePassword } from '@/hooks/use-account';
import { useSession } from '@/hooks/use-session';
import { fieldErrorsOf, SettingsField, SettingsHeading } from './account-form';
import { TwoStepVerification } from './two-step';

type Field = 'currentPassword' | 'newPassword' | 'confirmPassword';
type Errors = Partial<Record<Field, string>>;
const empty = { currentPassword: '', newPassword: '', confirmPassword: '' };

/** The checks the API makes too, plus the confirmation, so most mistakes never leave the browser. */
function validate(values: typeof empty): Errors {
  const errors: Errors = {};
  if (!values.currentPassword) errors.currentPassword = 'Enter your current password';
  const policy = NewPassword.safeParse(values.newPassword);
  if (!policy.success) errors.newPassword = policy.error.issues[0]?.message ?? 'Choose another password';
  else if (values.newPassword === values.currentPassword) errors.newPassword = 'Must differ from the current password';
  if (!errors.newPassword && values.confirmPassword !== values.newPassword) errors.confirmPassword = 'The passwords do not match';
  return errors;
}

/** The account console of an external identity provider (Keycloak), where the password is managed. */
export function AccountConsoleLink({ url, what }: { url: string; what: string }) {
  return (
    <Card>
      <CardContent className="flex flex-col gap-3 pt-5">
        <CardDescription>Your sign-in is managed by your organization&apos;s identity provider: change your {what} in its account console.</CardDescription>
        <div>
          <Button asChild variant="outline">
            <a href={url} target="_blank" rel="noreferrer">
              Open the account console
              <ExternalLink aria-hidden="true" />
              <span className="sr-only">(opens in a new tab)</span>
            </a>
          </Button>
        </div>
      </CardContent>
    </Card>
  );
}

function PasswordForm() {
  const [values, setValues] = useState(empty);
  const [clientErrors, setClientErrors] = useState<Errors>({});
  const change = useChangePassword();
  const apiErrors = fieldErrorsOf(change.error) as Errors;
  const errors: Errors = { ...apiErrors, ...clientErrors };
  const otherFailure = change.error && !apiErrors.currentPassword && !apiErrors.newPassword ? change.error : null;

  const set = (field: Field) => (event: { target: { value: string } }) => {
    setValues({ ...values, [field]: event.target.value });
    setClientErrors({ ...clientErrors, [field]: undefined });
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = validate(values);
    setClientErrors(found);
    if (Object.keys(found).length > 0) {
      const first = (['currentPassword', 'newPassword', 'confirmPassword'] as const).find((f) => found[f]);
      if (first) document.getElementById(`password-${first}`)?.focus();
      return;
    }
    change.reset();
    change.mutate(
      { currentPassword: values.currentPassword, newPassword: values.newPassword },
      {
        onSuccess: ({ endedSessions }) => {
          setValues(empty);
          toast.success(
            endedSessions > 0
              ? `Password changed. ${endedSessions === 1 ? 'Your other session was' : `${endedSessions} other sessions were`} signed out.`
              : 'Password changed.',
          );
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-labelledby="password-heading" className="space-y-6" noValidate>
      <SettingsHeading id="password-heading" title="Password" description="Changing it signs out your other sessions." />
      <FormFailure title="We couldn't change your password" error={otherFailure} />
      <Card>
        <CardContent className="flex max-w-md flex-col gap-4 pt-5">
          <SettingsField
            id="password-currentPassword"
            label="Current password"
            type="password"
            autoComplete="current-password"
            value={values.currentPassword}
            onChange={set('currentPassword')}
            error={errors.currentPassword}
          />
          <SettingsField
            id="password-newPassword"
            label="New password"
            type="password"
            autoComplete="new-password"
            value={values.newPassword}
            onChange={set('newPassword')}
            hint={`At least ${passwordPolicy.minLength} characters.`}
            error={errors.newPassword}
          />
          <SettingsField
            id="password-confirmPassword"
            label="Confirm new password"
            type="password"
            autoComplete="new-password"
            value={values.confirmPassword}
            onChange={set('confirmPassword')}
            error={errors.confirmPassword}
          />
          <div>
            <Button type="submit" disabled={change.isPending} aria-busy={change.isPending}>
              {change.isPending ? 'Changing…' : 'Change password'}
            </Button>
          </div>
        </CardContent>
      </Card>
    </form>
  );
}

/** Password change at the built-in provider and two-step verification; with an external issuer, links to its account console. */
export default function PasswordSettingsPage() {
  const { me } = useSession();
  if (!me) return <PageLoading />;
  if (me.identity?.provider === 'external') {
    return (
      <div className="space-y-10">
        <div className="space-y-6">
          <SettingsHeading id="password-heading" title="Password" description="Managed by your identity provider." />
          {me.identity.accountUrl ? <AccountConsoleLink url={me.identity.accountUrl} what="password" /> : null}
        </div>
        <TwoStepVerification />
      </div>
    );
  }
  return (
    <div className="space-y-10">
      <PasswordForm />
      <TwoStepVerification />
    </div>
  );
}
