import { useQuery } from '@tanstack/react-query';
import { KeyRound, ShieldCheck, ShieldOff } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription } from '@/components/ui/card';
import { StatusBadge, type StatusLook } from '@/components/ui/status-badge';
import { useSession } from '@/hooks/use-session';
import { signInMethods, startSecondFactorSignIn } from '@/lib/oidc';
import { getOrganizationSettings } from '@/services/organization.service';
import { SettingsHeading } from './account-form';

const on: StatusLook = { label: 'On', variant: 'success', icon: ShieldCheck };
const off: StatusLook = { label: 'Off', variant: 'secondary', icon: ShieldOff };
const secondFactors = new Set(['otp', 'mfa', 'hwk', 'swk']);
const here = '/settings/password';

/**
 * Two-step verification of the built-in provider: whether it is on (this session's sign-in asked
 * for a code: the provider asks at every sign-in of an account that has it), and the sign-in that
 * sets it up or turns it off at the provider (password and, to turn off, a current code). It
 * cannot be turned off while the organization requires it (the provider refuses too).
 */
export function TwoStepVerification() {
  const { me, tenantId, membership } = useSession();
  const methods = useQuery({ queryKey: ['oidc', 'sign-in-methods'], queryFn: signInMethods, staleTime: Infinity });
  const settings = useQuery({ queryKey: ['tenant', tenantId, 'organization', 'settings'], queryFn: getOrganizationSettings, enabled: tenantId !== null });
  const description = 'A code from an authenticator app on your phone, asked for after your password when you sign in.';
  if (me?.identity?.provider === 'external') {
    return (
      <section aria-labelledby="two-step-heading" className="space-y-6">
        <SettingsHeading
          id="two-step-heading"
          title="Two-step verification"
          description="Managed by your identity provider: set up an authenticator app in its account console (linked above)."
        />
      </section>
    );
  }
  const enabled = (methods.data ?? []).some((m) => secondFactors.has(m));
  const required = settings.data?.mfaRequired === true;
  const organization = membership?.name ?? 'Your organization';
  return (
    <section aria-labelledby="two-step-heading" className="space-y-6">
      <SettingsHeading id="two-step-heading" title="Two-step verification" description={description} />
      <Card>
        <CardContent className="flex flex-col gap-3 pt-5">
          <div className="flex items-center gap-2">
            <span className="text-sm font-medium" id="two-step-status-label">
              Status
            </span>
            {methods.isPending ? null : <StatusBadge look={enabled ? on : off} aria-describedby="two-step-status-label" data-testid="two-step-status" />}
          </div>
          {enabled ? (
            <CardDescription>Every sign-in to your account asks for a code from your authenticator app, or one of your recovery codes.</CardDescription>
          ) : (
            <CardDescription>
              {required ? `${organization} requires two-step verification: set it up now, or you will be asked to at your next sign-in. ` : ''}
              Setting it up takes about a minute: you sign in again, scan a QR code with an authenticator app and save ten recovery codes.
            </CardDescription>
          )}
          {enabled && required ? (
            <p className="text-sm text-muted-foreground">{organization} requires two-step verification, so it cannot be turned off.</p>
          ) : null}
          <div className="flex flex-wrap gap-2">
            {enabled ? (
              <>
                <Button variant="outline" onClick={() => void startSecondFactorSignIn('codes', here)}>
                  <KeyRound aria-hidden="true" />
                  Get new recovery codes
                </Button>
                {required ? null : (
                  <Button variant="outline" onClick={() => void startSecondFactorSignIn('disable', here)}>
                    <ShieldOff aria-hidden="true" />
                    Turn off two-step verification
                  </Button>
                )}
              </>
            ) : (
              <Button onClick={() => void startSecondFactorSignIn('setup', here)}>
                <ShieldCheck aria-hidden="true" />
                Set up two-step verification
              </Button>
            )}
          </div>
          {enabled ? (
            <p className="text-xs text-muted-foreground">
              Both sign you in again with your password and a current code. New recovery codes replace the earlier ones.
            </p>
          ) : null}
        </CardContent>
      </Card>
    </section>
  );
}
