import { and, eq, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { preparedQuery, type AppDb, type ScopedTx } from './db.js';
import { tenantReadVersions } from './schema.js';

/** The resources whose rows carry a read version (triggers of migration 0042). */
export type VersionedResource = 'invoices';

/** The token of a tenant's resource as of now; '' until its rows first change. */
const versionOf = preparedQuery('cbp_read_version', (q) =>
  q
    .select({ version: tenantReadVersions.version })
    .from(tenantReadVersions)
    .where(and(eq(tenantReadVersions.tenantId, sql.placeholder('tenantId')), eq(tenantReadVersions.resource, sql.placeholder('resource'))))
    .limit(1),
);

interface Entry<T> {
  version: string;
  value: T;
}

/**
 * Answers of one read kept in memory, each under the version of its tenant's rows it was read
 * with (issue 18: GET /invoices is a page of invoices with every line; unchanged for a month
 * at a time, it cost three times a simple read). Each call asks PostgreSQL for the current
 * version (one indexed row, RLS-scoped like every tenant read) and loads again when it differs,
 * so no answer is ever older than the last committed change: the version is read before the
 * rows, so rows read after a concurrent commit are kept under the older version and loaded
 * again by the next call. Entries are per database and tenant; `weigh` gives an entry's size
 * in rough bytes, and the least recently used go past `maxBytes`.
 */
export function versionedReadCache<T>({
  resource,
  maxBytes,
  weigh,
}: {
  resource: VersionedResource;
  maxBytes: number;
  weigh: (value: T) => number;
}): (tx: ScopedTx, db: AppDb, tenantId: string, key: string, load: () => Promise<T>) => Promise<T> {
  const caches = new WeakMap<AppDb, LRUCache<string, Entry<T>>>();
  const cacheOf = (db: AppDb) => {
    let cache = caches.get(db);
    if (!cache) {
      cache = new LRUCache<string, Entry<T>>({ maxSize: maxBytes, sizeCalculation: (entry) => Math.max(1, weigh(entry.value)) });
      caches.set(db, cache);
    }
    return cache;
  };
  return async (tx, db, tenantId, key, load) => {
    const [row] = await versionOf(tx, { tenantId, resource });
    const version = row?.version ?? '';
    const cache = cacheOf(db);
    const cacheKey = `${tenantId}\u0000${key}`;
    const hit = cache.get(cacheKey);
    if (hit && hit.version === version) return hit.value;
    const value = await load();
    cache.set(cacheKey, { version, value });
    return value;
  };
}
