import { useSyncExternalStore } from 'react';

/*
 * Tenants whose API calls were refused with 403 MFA_REQUIRED during this visit: the organization
 * requires two-step verification and this session's sign-in had none. The platformApi marks the
 * tenant of such an answer; the layout then shows the "requires two-step verification" page
 * instead of the tenant's pages (components/layout/mfa-required.tsx), whose button signs in
 * again so the identity provider asks for the code (or sets it up).
 */

const refused = new Set<string>();
const listeners = new Set<() => void>();
let version = 0;

function changed() {
  version += 1;
  for (const listener of listeners) listener();
}

export function markMfaRequired(tenantId: string): void {
  if (refused.has(tenantId)) return;
  refused.add(tenantId);
  changed();
}

export function forgetMfaRequired(tenantId: string): void {
  if (refused.delete(tenantId)) changed();
}

export function isMfaRequired(tenantId: string | null): boolean {
  return tenantId !== null && refused.has(tenantId);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether the API refused this tenant for want of two-step verification (re-renders when that changes). */
export function useMfaRequired(tenantId: string | null): boolean {
  useSyncExternalStore(subscribe, () => version, () => version);
  return isMfaRequired(tenantId);
}
