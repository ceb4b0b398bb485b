import { RequireAccess } from '@/components/access/require-access';
import { QueryError } from '@/components/billing/query-error';
import { PageHeader } from '@/components/layout/page-header';
import { Skeleton } from '@/components/ui/skeleton';
import { useSession } from '@/hooks/use-session';
import { canAccess } from '@/lib/role-parser';
import { DangerZone } from '@/pages/organization/danger-zone';
import { DataExportCard } from '@/pages/organization/data-export-card';
import { DomainsSection } from '@/pages/organization/domains';
import { LogoCard } from '@/pages/organization/logo-card';
import { ProfileForm } from '@/pages/organization/profile-form';
import { useOrganizationProfile, useOrganizationSettings } from '@/pages/organization/queries';
import { SettingsForm } from '@/pages/organization/settings-form';

function FormLoading({ label }: { label: string }) {
  return (
    <div role="status" aria-live="polite" className="space-y-3 rounded-xl border bg-card p-5">
      <span className="sr-only">{label}</span>
      <Skeleton className="h-5 w-32" />
      <Skeleton className="h-9 w-full" />
      <Skeleton className="h-9 w-full" />
    </div>
  );
}

function OrganizationContent() {
  const { role } = useSession();
  const profile = useOrganizationProfile();
  const settings = useOrganizationSettings();
  return (
    <>
      <PageHeader title="Organization" description="Profile, settings and verified domains of your organization" />
      <div className="space-y-6">
        {profile.error && !profile.data ? (
          <QueryError title="We couldn't load the organization profile" error={profile.error} onRetry={() => void profile.refetch()} />
        ) : profile.data ? (
          <ProfileForm profile={profile.data} canEdit={canAccess(role, 'organization', 'edit')} />
        ) : (
          <FormLoading label="Loading the profile…" />
        )}
        {settings.error && !settings.data ? (
          <QueryError title="We couldn't load the settings" error={settings.error} onRetry={() => void settings.refetch()} />
        ) : settings.data ? (
          <SettingsForm settings={settings.data} canEdit={canAccess(role, 'settings', 'edit')} />
        ) : (
          <FormLoading label="Loading the settings…" />
        )}
        <LogoCard canEdit={canAccess(role, 'organization', 'edit')} />
        <DomainsSection canEdit={canAccess(role, 'organization', 'edit')} />
        {canAccess(role, 'organization-exports', 'list') ? (
          <DataExportCard canRequest={canAccess(role, 'organization-exports', 'create')} canList={canAccess(role, 'organization-exports', 'list')} />
        ) : null}
        {profile.data && canAccess(role, 'organization', 'delete') ? <DangerZone profile={profile.data} /> : null}
      </div>
    </>
  );
}

export default function OrganizationPage() {
  return (
    <RequireAccess resource="organization" action="show">
      <OrganizationContent />
    </RequireAccess>
  );
}
