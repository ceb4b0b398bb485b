import { useEffect } from 'react';
import { useForm, type Resolver } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { toast } from 'sonner';
import { OrganizationProfileUpdate, type OrganizationProfile } from '@cbp/contracts';
import { FormFailure } from '@/components/ui/dialog-form';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { updateOrganization } from '@/services/organization.service';
import { applyApiFieldErrors, errorAt, Field, ReadOnlyNote } from '@/pages/organization/form-fields';
import { organizationKeys } from '@/pages/organization/queries';
import { useSession } from '@/hooks/use-session';

/** What the inputs hold: text everywhere, empty = not set. */
export interface ProfileValues {
  name: string;
  legalName: string;
  billingEmail: string;
  address: { line1: string; line2: string; city: string; postalCode: string; region: string; country: string };
  taxId: string;
  website: string;
}

const profileFields = ['name', 'legalName', 'billingEmail', 'address', 'taxId', 'website'] as const;

export function profileValues(p: OrganizationProfile): ProfileValues {
  return {
    name: p.name,
    legalName: p.legalName ?? '',
    billingEmail: p.billingEmail ?? '',
    address: {
      line1: p.address.line1 ?? '',
      line2: p.address.line2 ?? '',
      city: p.address.city ?? '',
      postalCode: p.address.postalCode ?? '',
      region: p.address.region ?? '',
      country: p.address.country ?? '',
    },
    taxId: p.taxId ?? '',
    website: p.website ?? '',
  };
}

const orNull = (v: string) => (v.trim() === '' ? null : v);

/** The form's text as the PATCH body: an empty field clears the value (null). */
export function profilePatch(v: ProfileValues) {
  return {
    name: v.name,
    legalName: orNull(v.legalName),
    billingEmail: orNull(v.billingEmail),
    address: {
      line1: orNull(v.address.line1),
      line2: orNull(v.address.line2),
      city: orNull(v.address.city),
      postalCode: orNull(v.address.postalCode),
      region: orNull(v.address.region),
      country: orNull(v.address.country),
    },
    taxId: orNull(v.taxId),
    website: orNull(v.website),
  };
}

/** The contract's schema checks the body the form would send; its messages land on the fields. */
const contractResolver = zodResolver(OrganizationProfileUpdate);
const resolver: Resolver<ProfileValues, unknown, OrganizationProfileUpdate> = (values, context, options) =>
  contractResolver(profilePatch(values), context, options as never) as ReturnType<Resolver<ProfileValues, unknown, OrganizationProfileUpdate>>;

export function ProfileForm({ profile, canEdit }: { profile: OrganizationProfile; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const { tenantId } = useSession();
  const form = useForm<ProfileValues, unknown, OrganizationProfileUpdate>({ resolver, defaultValues: profileValues(profile) });
  const { register, handleSubmit, reset, setError, formState } = form;
  useEffect(() => reset(profileValues(profile)), [profile, reset]);
  const save = useMutation({
    mutationFn: (patch: OrganizationProfileUpdate) => updateOrganization(patch),
    onSuccess: (saved) => {
      queryClient.setQueryData(organizationKeys.profile(tenantId), saved);
      void queryClient.invalidateQueries({ queryKey: ['me'] }); // the tenant switcher shows the name
      reset(profileValues(saved));
      toast.success('Organization profile saved.');
    },
    onError: (error) => applyApiFieldErrors(error, setError, profileFields),
  });
  const err = (path: string) => errorAt(formState.errors, path);
  const failedElsewhere = save.error && !applyApiFieldErrorsPresent(save.error);

  return (
    <Card aria-labelledby="org-profile-title">
      <CardHeader>
        <h2 id="org-profile-title" className="text-base font-semibold">
          Profile
        </h2>
        <CardDescription>How your organization is named, billed and reached.</CardDescription>
      </CardHeader>
      <CardContent>
        {canEdit ? null : <ReadOnlyNote what="profile" />}
        <form onSubmit={handleSubmit((patch) => save.mutate(patch))} noValidate aria-label="Organization profile">
          <fieldset disabled={!canEdit || save.isPending} className="grid gap-4 sm:grid-cols-2">
            <Field label="Organization name" error={err('name')}>
              {(ids) => <Input {...ids} autoComplete="organization" {...register('name')} />}
            </Field>
            <Field label="Legal name" hint="As on contracts and invoices" error={err('legalName')}>
              {(ids) => <Input {...ids} {...register('legalName')} />}
            </Field>
            <Field label="Billing email" hint="Invoices and payment notices go here" error={err('billingEmail')}>
              {(ids) => <Input {...ids} type="email" autoComplete="email" {...register('billingEmail')} />}
            </Field>
            <Field label="Website" error={err('website')}>
              {(ids) => <Input {...ids} type="url" placeholder="https://example.com" {...register('website')} />}
            </Field>
            <Field label="Tax id" hint="VAT or other tax number" error={err('taxId')}>
              {(ids) => <Input {...ids} {...register('taxId')} />}
            </Field>
            <div className="hidden sm:block" />
            <Field label="Address line 1" error={err('address.line1')}>
              {(ids) => <Input {...ids} autoComplete="address-line1" {...register('address.line1')} />}
            </Field>
            <Field label="Address line 2" error={err('address.line2')}>
              {(ids) => <Input {...ids} autoComplete="address-line2" {...register('address.line2')} />}
            </Field>
            <Field label="City" error={err('address.city')}>
              {(ids) => <Input {...ids} autoComplete="address-level2" {...register('address.city')} />}
            </Field>
            <Field label="Postal code" error={err('address.postalCode')}>
              {(ids) => <Input {...ids} autoComplete="postal-code" {...register('address.postalCode')} />}
            </Field>
            <Field label="Region" hint="State, province or county" error={err('address.region')}>
              {(ids) => <Input {...ids} autoComplete="address-level1" {...register('address.region')} />}
            </Field>
            <Field label="Country" hint="Two-letter code, e.g. DE or US" error={err('address.country')}>
              {(ids) => <Input {...ids} autoComplete="country" maxLength={2} className="uppercase" {...register('address.country')} />}
            </Field>
          </fieldset>
          {failedElsewhere ? (
            <div className="mt-4">
              <FormFailure title="The profile was not saved" error={save.error} />
            </div>
          ) : null}
          {canEdit ? (
            <div className="mt-5 flex justify-end gap-2">
              <Button type="button" variant="outline" disabled={!formState.isDirty || save.isPending} onClick={() => reset(profileValues(profile))}>
                Discard changes
              </Button>
              <Button type="submit" disabled={save.isPending} aria-busy={save.isPending}>
                {save.isPending ? 'Saving…' : 'Save profile'}
              </Button>
            </div>
          ) : null}
        </form>
      </CardContent>
    </Card>
  );
}

/** Whether a refusal carried field errors (those are shown on the fields instead). */
export function applyApiFieldErrorsPresent(error: unknown): boolean {
  return (problemErrors(error)?.length ?? 0) > 0;
}

function problemErrors(error: unknown) {
  return (error as { problem?: { errors?: unknown[] } | null } | null)?.problem?.errors;
}
