import { useSession } from '@/hooks/use-session';
import { initialsOf, useObjectUrl, useOrganizationLogo } from '@/pages/organization/logo-queries';

/**
 * The organization's logo in the header, next to its name (decorative: the name is the text);
 * the initials when it has none, or while it loads or could not be loaded.
 */
export function HeaderLogo() {
  const { membership } = useSession();
  const logo = useOrganizationLogo();
  const url = useObjectUrl(logo.data);
  if (!membership) return null;
  return url ? (
    <img src={url} alt="" data-testid="header-logo" className="mr-2 size-8 shrink-0 rounded-md border bg-background object-contain" />
  ) : (
    <span
      aria-hidden="true"
      data-testid="header-initials"
      className="mr-2 flex size-8 shrink-0 items-center justify-center rounded-md bg-primary/10 text-xs font-semibold text-primary"
    >
      {initialsOf(membership.name)}
    </span>
  );
}
