import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useSession } from '@/hooks/use-session';
import { getLogo } from '@/services/organization.service';

/** Under the tenant like the other organization queries (a tenant switch reloads it). */
export const logoKey = (tenantId: string | null) => ['tenant', tenantId, 'organization', 'logo'] as const;

/** The organization's logo as a Blob (null: none); the header and the Logo card share it. */
export function useOrganizationLogo() {
  const { tenantId } = useSession();
  return useQuery({ queryKey: logoKey(tenantId), queryFn: getLogo, enabled: tenantId !== null, staleTime: 5 * 60_000, retry: false });
}

/**
 * One object URL per Blob, kept for the page's life: a logo is a few KB and is fetched again
 * only after a change, and revoking in an effect's cleanup would break StrictMode's re-mount.
 */
const objectUrls = new WeakMap<Blob, string>();
export function useObjectUrl(blob: Blob | null | undefined): string | null {
  return useMemo(() => {
    if (!blob) return null;
    const known = objectUrls.get(blob);
    if (known) return known;
    const url = URL.createObjectURL(blob);
    objectUrls.set(blob, url);
    return url;
  }, [blob]);
}

/** "Acme Corp" -> "AC": the fallback when there is no logo. */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[1]].map((w) => w?.[0] ?? '') : [name.trim().slice(0, 2)];
  return letters.join('').toUpperCase() || '?';
}
