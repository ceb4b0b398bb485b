import { useEffect } from 'react';
import { useForm, type Resolver } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { toast } from 'sonner';
import { dateFormats, DefaultMemberRole, OrganizationSettings, sessionTimeoutRange } from '@cbp/contracts';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';
import { FormFailure } from '@/components/ui/dialog-form';
import { selectControl } from '@/components/ui/filter-select';
import { Input } from '@/components/ui/input';
import { textareaControl } from '@/components/team/invite-fields';
import { useSession } from '@/hooks/use-session';
import { roleName } from '@/lib/role-parser';
import { updateOrganizationSettings } from '@/services/organization.service';
import { applyApiFieldErrors, errorAt, Field, fieldHint, ReadOnlyNote } from '@/pages/organization/form-fields';
import { applyApiFieldErrorsPresent } from '@/pages/organization/profile-form';
import { organizationKeys } from '@/pages/organization/queries';

/** What the inputs hold: the sign-up domains as text, one per line (or comma separated). */
export type SettingsValues = Omit<OrganizationSettings, 'allowedSignupDomains' | 'sessionTimeoutMinutes'> & {
  allowedSignupDomains: string;
  sessionTimeoutMinutes: number | string;
};

const settingsFields = ['timezone', 'locale', 'dateFormat', 'sessionTimeoutMinutes', 'mfaRequired', 'allowedSignupDomains', 'defaultRole'] as const;

export const settingsValues = (s: OrganizationSettings): SettingsValues => ({ ...s, allowedSignupDomains: s.allowedSignupDomains.join('\n') });

export function settingsBody(v: SettingsValues) {
  return {
    ...v,
    sessionTimeoutMinutes: typeof v.sessionTimeoutMinutes === 'number' ? v.sessionTimeoutMinutes : Number(v.sessionTimeoutMinutes.trim() || Number.NaN),
    allowedSignupDomains: v.allowedSignupDomains
      .split(/[\s,]+/)
      .map((d) => d.trim())
      .filter(Boolean),
  };
}

const contractResolver = zodResolver(OrganizationSettings);
const resolver: Resolver<SettingsValues, unknown, OrganizationSettings> = (values, context, options) =>
  contractResolver(settingsBody(values), context, options as never) as ReturnType<Resolver<SettingsValues, unknown, OrganizationSettings>>;

const dateFormatLabels: Record<(typeof dateFormats)[number], string> = {
  'YYYY-MM-DD': '2025-06-30 (ISO)',
  'DD/MM/YYYY': '30/06/2025',
  'MM/DD/YYYY': '06/30/2025',
  'DD.MM.YYYY': '30.06.2025',
};

/** Suggestions for the timezone field (any IANA name the contract accepts may be typed). */
const zones: readonly string[] = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
})();

export function SettingsForm({ settings, canEdit }: { settings: OrganizationSettings; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const { tenantId } = useSession();
  const { register, handleSubmit, reset, setError, formState } = useForm<SettingsValues, unknown, OrganizationSettings>({
    resolver,
    defaultValues: settingsValues(settings),
  });
  useEffect(() => reset(settingsValues(settings)), [settings, reset]);
  const save = useMutation({
    mutationFn: (body: OrganizationSettings) => updateOrganizationSettings(body),
    onSuccess: (saved) => {
      queryClient.setQueryData(organizationKeys.settings(tenantId), saved);
      reset(settingsValues(saved));
      toast.success('Organization settings saved.');
    },
    onError: (error) => applyApiFieldErrors(error, setError, settingsFields),
  });
  const err = (path: string) => errorAt(formState.errors, path);

  return (
    <Card aria-labelledby="org-settings-title">
      <CardHeader>
        <h2 id="org-settings-title" className="text-base font-semibold">
          Settings
        </h2>
        <CardDescription>Regional formats, sign-in policy and how new members join.</CardDescription>
      </CardHeader>
      <CardContent>
        {canEdit ? null : <ReadOnlyNote what="settings" />}
        <form onSubmit={handleSubmit((body) => save.mutate(body))} noValidate aria-label="Organization settings">
          <fieldset disabled={!canEdit || save.isPending} className="grid gap-4 sm:grid-cols-2">
            <Field label="Timezone" hint="IANA name, e.g. Europe/Berlin" error={err('timezone')}>
              {(ids) => (
                <>
                  <Input {...ids} list="org-timezones" autoComplete="off" {...register('timezone')} />
                  <datalist id="org-timezones">
                    {zones.map((zone) => (
                      <option key={zone} value={zone} />
                    ))}
                  </datalist>
                </>
              )}
            </Field>
            <Field label="Locale" hint="Language tag, e.g. en-GB or de-DE" error={err('locale')}>
              {(ids) => <Input {...ids} autoComplete="off" {...register('locale')} />}
            </Field>
            <Field label="Date format" error={err('dateFormat')}>
              {(ids) => (
                <select {...ids} className={selectControl} {...register('dateFormat')}>
                  {dateFormats.map((f) => (
                    <option key={f} value={f}>
                      {dateFormatLabels[f]}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              label="Session timeout (minutes)"
              hint={`Between ${sessionTimeoutRange.min} and ${sessionTimeoutRange.max} (24 hours)`}
              error={err('sessionTimeoutMinutes')}
            >
              {(ids) => (
                <Input
                  {...ids}
                  type="number"
                  inputMode="numeric"
                  min={sessionTimeoutRange.min}
                  max={sessionTimeoutRange.max}
                  {...register('sessionTimeoutMinutes')}
                />
              )}
            </Field>
            <Field label="Default role for new members" hint="Owners are never made on sign-up" error={err('defaultRole')}>
              {(ids) => (
                <select {...ids} className={selectControl} {...register('defaultRole')}>
                  {DefaultMemberRole.options.map((role) => (
                    <option key={role} value={role}>
                      {roleName(role)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <div className="flex flex-col gap-1.5">
              <div className="flex items-center gap-2 pt-6">
                <input id="org-mfa" type="checkbox" className="size-4 accent-primary" aria-describedby="org-mfa-hint" {...register('mfaRequired')} />
                <label htmlFor="org-mfa" className="text-sm font-medium">
                  Require two-step verification
                </label>
              </div>
              <p id="org-mfa-hint" className={fieldHint}>
                Every member then signs in with a code from an authenticator app as well as their password. Members without one are asked to set it up at their
                next sign-in; until they do, this organization's pages and API refuse their current session (staff and you included). API keys are not affected.
              </p>
            </div>
            <Field
              className="sm:col-span-2"
              label="Allowed sign-up email domains"
              hint="One per line. Saved now; joining on sign-up by email domain comes in a later release."
              error={err('allowedSignupDomains')}
            >
              {(ids) => <textarea {...ids} rows={3} className={textareaControl} {...register('allowedSignupDomains')} />}
            </Field>
          </fieldset>
          {save.error && !applyApiFieldErrorsPresent(save.error) ? (
            <div className="mt-4">
              <FormFailure title="The settings were not saved" error={save.error} />
            </div>
          ) : null}
          {canEdit ? (
            <div className="mt-5 flex justify-end gap-2">
              <Button type="button" variant="outline" disabled={!formState.isDirty || save.isPending} onClick={() => reset(settingsValues(settings))}>
                Discard changes
              </Button>
              <Button type="submit" disabled={save.isPending} aria-busy={save.isPending}>
                {save.isPending ? 'Saving…' : 'Save settings'}
              </Button>
            </div>
          ) : null}
        </form>
      </CardContent>
    </Card>
  );
}
