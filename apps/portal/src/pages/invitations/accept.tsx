import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useLogin } from '@refinedev/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { AcceptInvitationInput } from '@cbp/contracts';
import { AlertTriangle, CheckCircle2, LogIn } from 'lucide-react';
import { BrandMark } from '@/components/layout/brand';
import { ThemeToggle } from '@/components/layout/theme-toggle';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { ApiError, errorMessage } from '@/lib/axios';
import { formatDate } from '@/lib/dates';
import { usePageTitle } from '@/lib/page-title';
import { roleName } from '@/lib/role-parser';
import type { LoginParams } from '@/providers/auth-provider';
import { acceptInvitation, previewInvitation } from '@/services/team.service';
import type { AcceptInvitationResult, InvitationPreview } from '@/types/team';

const passwordMin = AcceptInvitationInput.shape.password.unwrap().minLength ?? 10;
const label = 'text-sm font-medium';
const fieldError = 'text-xs text-red-700 dark:text-red-300';

/** The page's frame: outside the portal's layout, like the sign-in page. */
function Shell({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col bg-muted/40">
      <header className="flex justify-end p-4">
        <ThemeToggle />
      </header>
      <main className="flex flex-1 items-start justify-center px-4 pt-[8vh] pb-12">
        <div className="w-full max-w-md rounded-xl border bg-card p-8 shadow-sm dark:shadow-none">
          <BrandMark className="size-10" />
          {children}
        </div>
      </main>
    </div>
  );
}

function Unusable({ title, detail }: { title: string; detail: string }) {
  usePageTitle(title);
  return (
    <div data-testid="invitation-unusable">
      <h1 className="mt-6 text-2xl font-semibold tracking-tight">{title}</h1>
      <p role="alert" className="mt-3 text-sm text-muted-foreground">
        {detail}
      </p>
      <p className="mt-3 text-sm text-muted-foreground">Ask the person who invited you for a new link, or sign in if you already have an account.</p>
      <Button asChild variant="outline" className="mt-5">
        <Link to="/login">
          <LogIn aria-hidden="true" />
          Go to the portal
        </Link>
      </Button>
    </div>
  );
}

function AcceptForm({ token, preview, onAccepted }: { token: string; preview: InvitationPreview; onAccepted: (result: AcceptInvitationResult) => void }) {
  const id = useId();
  const needsPassword = !preview.existingUser && preview.identity === 'builtin';
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const accept = useMutation({
    // An existing account keeps its name and password: only a new one sends them.
    mutationFn: () =>
      acceptInvitation(preview.existingUser ? { token } : { token, name: name.trim(), password: needsPassword ? password : undefined }),
    onSuccess: onAccepted,
  });
  const nameProblem = !preview.existingUser && name.trim() === '' ? 'Enter your name.' : null;
  const askName = !preview.existingUser;
  const passwordProblem = needsPassword && password.length < passwordMin ? `Use at least ${passwordMin} characters.` : null;
  const confirmationProblem = needsPassword && confirmation !== password ? 'The two passwords are not the same.' : null;
  const show = (problem: string | null) => (submitted ? problem : null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSubmitted(true);
    if (!nameProblem && !passwordProblem && !confirmationProblem) accept.mutate();
  };

  return (
    <form onSubmit={submit} noValidate className="mt-6 space-y-4" aria-label="Accept the invitation">
      {askName ? (
        <div className="flex flex-col gap-1.5">
          <label htmlFor={`${id}-name`} className={label}>
            Your name
          </label>
          <Input
            id={`${id}-name`}
            value={name}
            onChange={(event) => setName(event.target.value)}
            autoComplete="name"
            aria-invalid={show(nameProblem) !== null}
            aria-describedby={show(nameProblem) ? `${id}-name-error` : undefined}
          />
          {show(nameProblem) ? (
            <p id={`${id}-name-error`} className={fieldError}>
              {nameProblem}
            </p>
          ) : null}
        </div>
      ) : null}
      {needsPassword ? (
        <>
          <div className="flex flex-col gap-1.5">
            <label htmlFor={`${id}-password`} className={label}>
              Password
            </label>
            <Input
              id={`${id}-password`}
              type="password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              autoComplete="new-password"
              aria-invalid={show(passwordProblem) !== null}
              aria-describedby={`${id}-password-hint`}
            />
            <p id={`${id}-password-hint`} className={show(passwordProblem) ? fieldError : 'text-xs text-muted-foreground'}>
              At least {passwordMin} characters.
            </p>
          </div>
          <div className="flex flex-col gap-1.5">
            <label htmlFor={`${id}-confirm`} className={label}>
              Confirm password
            </label>
            <Input
              id={`${id}-confirm`}
              type="password"
              value={confirmation}
              onChange={(event) => setConfirmation(event.target.value)}
              autoComplete="new-password"
              aria-invalid={show(confirmationProblem) !== null}
              aria-describedby={show(confirmationProblem) ? `${id}-confirm-error` : undefined}
            />
            {show(confirmationProblem) ? (
              <p id={`${id}-confirm-error`} className={fieldError}>
                {confirmationProblem}
              </p>
            ) : null}
          </div>
        </>
      ) : null}
      {!preview.existingUser && preview.identity === 'external' ? (
        <p className="text-sm text-muted-foreground">After joining, you create your sign-in at your organization's identity provider.</p>
      ) : null}
      {accept.error ? (
        <Alert variant="destructive" role="alert">
          <AlertTriangle aria-hidden="true" />
          <div>
            <AlertTitle>You have not joined yet</AlertTitle>
            <AlertDescription>{errorMessage(accept.error)}</AlertDescription>
          </div>
        </Alert>
      ) : null}
      <Button type="submit" size="lg" className="w-full" disabled={accept.isPending} aria-busy={accept.isPending}>
        {accept.isPending ? 'Joining…' : needsPassword ? `Create account and join ${preview.tenantName}` : `Join ${preview.tenantName}`}
      </Button>
    </form>
  );
}

function Invitation({ token, preview, onAccepted }: { token: string; preview: InvitationPreview; onAccepted: (result: AcceptInvitationResult) => void }) {
  usePageTitle(`Join ${preview.tenantName}`);
  return (
    <>
      <h1 className="mt-6 text-2xl font-semibold tracking-tight">Join {preview.tenantName}</h1>
      <p className="mt-2 text-sm text-muted-foreground">
        {preview.invitedBy ? `${preview.invitedBy} invited you` : 'You are invited'} to join {preview.tenantName} on CBP.
      </p>
      <dl className="mt-5 grid grid-cols-[7rem_minmax(0,1fr)] gap-x-3 gap-y-2 rounded-lg border bg-muted/40 p-4 text-sm" data-testid="invitation-summary">
        <dt className="text-muted-foreground">Email</dt>
        <dd className="[overflow-wrap:anywhere]">{preview.email}</dd>
        <dt className="text-muted-foreground">Role</dt>
        <dd>
          <Badge>{roleName(preview.role)}</Badge>
        </dd>
        <dt className="text-muted-foreground">Valid until</dt>
        <dd>{formatDate(preview.expiresAt)}</dd>
      </dl>
      {preview.message ? (
        <figure className="mt-4">
          <blockquote className="border-l-2 border-primary pl-3 text-sm whitespace-pre-line italic">{preview.message}</blockquote>
          {preview.invitedBy ? <figcaption className="mt-1 pl-3 text-xs text-muted-foreground">— {preview.invitedBy}</figcaption> : null}
        </figure>
      ) : null}
      {preview.existingUser ? (
        <p className="mt-4 text-sm text-muted-foreground">
          You already have an account with {preview.email}: joining adds {preview.tenantName} to it, with your name and password unchanged.
        </p>
      ) : null}
      <AcceptForm token={token} preview={preview} onAccepted={onAccepted} />
    </>
  );
}

function Joined({ result }: { result: AcceptInvitationResult }) {
  usePageTitle(`You joined ${result.tenantName}`);
  const { mutate: login, isPending } = useLogin<LoginParams>();
  const registering = result.next === 'register' && result.registrationUrl;
  return (
    <div data-testid="invitation-accepted">
      <h1 className="mt-6 flex items-center gap-2 text-2xl font-semibold tracking-tight">
        <CheckCircle2 className="size-6 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />
        You joined {result.tenantName} as {roleName(result.role)}
      </h1>
      {registering ? (
        <>
          <p role="status" className="mt-3 text-sm text-muted-foreground">
            Taking you to your organization's sign-up page to create your sign-in…
          </p>
          <Button asChild size="lg" className="mt-6 w-full">
            <a href={result.registrationUrl}>Continue to sign-up</a>
          </Button>
        </>
      ) : (
        <>
          <p role="status" className="mt-3 text-sm text-muted-foreground">
            Sign in as {result.email} to start working in {result.tenantName}.
          </p>
          <Button size="lg" className="mt-6 w-full" disabled={isPending} onClick={() => login({ returnTo: '/' })}>
            <LogIn aria-hidden="true" />
            {isPending ? 'Redirecting…' : 'Sign in'}
          </Button>
        </>
      )}
    </div>
  );
}

function Checking() {
  return (
    <div className="mt-6 space-y-3" data-testid="invitation-loading">
      <p role="status" className="sr-only">
        Checking your invitation…
      </p>
      <Skeleton className="h-8 w-3/4" />
      <Skeleton className="h-4 w-full" />
      <Skeleton className="h-24 w-full" />
      <Skeleton className="h-10 w-full" />
    </div>
  );
}

/** Why a preview failed, in the API's words: expired, used or revoked (410), or no such link (404). */
function PreviewFailed({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const status = error instanceof ApiError ? error.statusCode : 0;
  if (status === 410) return <Unusable title="This invitation can no longer be used" detail={errorMessage(error)} />;
  if (status === 404) return <Unusable title="We couldn't find this invitation" detail={errorMessage(error)} />;
  return (
    <Alert variant="destructive" role="alert" className="mt-6">
      <AlertTriangle aria-hidden="true" />
      <div>
        <AlertTitle>We couldn't check your invitation</AlertTitle>
        <AlertDescription>{errorMessage(error)}</AlertDescription>
        <Button variant="outline" size="sm" className="mt-3" onClick={onRetry}>
          Try again
        </Button>
      </div>
    </Alert>
  );
}

function AcceptInvitation({ token }: { token: string }) {
  const [accepted, setAccepted] = useState<AcceptInvitationResult | null>(null);
  const preview = useQuery({
    queryKey: ['invitation-preview', token],
    queryFn: () => previewInvitation(token),
    enabled: accepted === null,
    staleTime: Infinity,
  });
  const onAccepted = (result: AcceptInvitationResult) => {
    setAccepted(result);
    if (result.next === 'register' && result.registrationUrl) window.location.assign(result.registrationUrl);
  };
  if (accepted) return <Joined result={accepted} />;
  if (preview.data) return <Invitation token={token} preview={preview.data} onAccepted={onAccepted} />;
  if (preview.error) return <PreviewFailed error={preview.error} onRetry={() => void preview.refetch()} />;
  return <Checking />;
}

/** `/invitations/accept?token=…`: the link of an invitation email, for people who may have no account yet. */
export default function AcceptInvitationPage() {
  const [searchParams] = useSearchParams();
  const token = searchParams.get('token');
  return (
    <Shell>
      {token ? (
        <AcceptInvitation token={token} />
      ) : (
        <Unusable
          title="This invitation link is incomplete"
          detail="The link has no invitation token. Open it again from your invitation email, or ask for a new invitation."
        />
      )}
    </Shell>
  );
}
