import { useSyncExternalStore } from 'react';

/** The tenant the portal acts in; sent as `X-Tenant-Id` on every tenant-scoped call. */
export const TENANT_STORAGE_KEY = 'cbp.tenantId';

const listeners = new Set<() => void>();

export function getSelectedTenantId(): string | null {
  try {
    return window.localStorage.getItem(TENANT_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function setSelectedTenantId(tenantId: string | null): void {
  if (tenantId === getSelectedTenantId()) return;
  try {
    if (tenantId) window.localStorage.setItem(TENANT_STORAGE_KEY, tenantId);
    else window.localStorage.removeItem(TENANT_STORAGE_KEY);
  } catch {
    // Storage can be unavailable (private mode); the selection then lasts only for this call.
  }
  for (const listener of listeners) listener();
}

/** Also fires when another tab switches tenant, since both tabs share the stored id. */
export function subscribeToTenantSelection(listener: () => void): () => void {
  const onStorage = (event: StorageEvent) => {
    if (event.key === TENANT_STORAGE_KEY) listener();
  };
  listeners.add(listener);
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function useSelectedTenantId(): string | null {
  return useSyncExternalStore(subscribeToTenantSelection, getSelectedTenantId, () => null);
}

/**
 * Picks the membership to act in: the stored one if the user still belongs to it,
 * else the first tenant of /me. Stores the result so API calls carry the same id.
 */
export function reconcileTenantSelection<T extends { id: string }>(tenants: readonly T[]): T | null {
  const stored = getSelectedTenantId();
  const selected = tenants.find((t) => t.id === stored) ?? tenants[0] ?? null;
  setSelectedTenantId(selected?.id ?? null);
  return selected;
}
