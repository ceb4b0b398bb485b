import { useSyncExternalStore } from 'react';

/*
 * Tenants the API has refused as suspended (403 TENANT_SUSPENDED) during this visit. The
 * platformApi marks the tenant of such an answer; the layout then shows the suspended page
 * instead of the tenant's pages (components/layout/tenant-suspended.tsx). "Check again"
 * forgets the mark, so the next calls find out whether the tenant was reactivated.
 */

const suspended = new Set<string>();
const listeners = new Set<() => void>();
let version = 0;

function changed() {
  version += 1;
  for (const listener of listeners) listener();
}

export function markTenantSuspended(tenantId: string): void {
  if (suspended.has(tenantId)) return;
  suspended.add(tenantId);
  changed();
}

export function forgetTenantSuspension(tenantId: string): void {
  if (suspended.delete(tenantId)) changed();
}

export function isTenantSuspended(tenantId: string | null): boolean {
  return tenantId !== null && suspended.has(tenantId);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether the API refused this tenant as suspended (re-renders when that changes). */
export function useTenantSuspended(tenantId: string | null): boolean {
  useSyncExternalStore(subscribe, () => version, () => version);
  return isTenantSuspended(tenantId);
}
