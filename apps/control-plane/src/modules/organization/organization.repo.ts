import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { PlatformTx, ScopedTx, TenantTx } from '../../platform/db.js';
import { organizationDomains, organizationProfiles, organizationSettings, tenants } from '../../platform/schema.js';

export type ProfileRow = typeof organizationProfiles.$inferSelect;
export type SettingsRow = typeof organizationSettings.$inferSelect;
export type DomainRow = typeof organizationDomains.$inferSelect;
export type TenantRow = Pick<typeof tenants.$inferSelect, 'id' | 'name' | 'slug' | 'deletionScheduledAt'>;

/** The tenant and its profile row (absent until first edited), locked for a change when `lock`. */
export async function profileOf(tx: TenantTx, tenantId: string, { lock = false } = {}): Promise<{ tenant: TenantRow; profile: ProfileRow | undefined }> {
  const tenantQuery = tx.select({ id: tenants.id, name: tenants.name, slug: tenants.slug, deletionScheduledAt: tenants.deletionScheduledAt }).from(tenants).where(eq(tenants.id, tenantId));
  const [tenant] = lock ? await tenantQuery.for('update') : await tenantQuery;
  if (!tenant) throw new Error(`tenant ${tenantId} not found`);
  const [profile] = await tx.select().from(organizationProfiles).where(eq(organizationProfiles.tenantId, tenantId));
  return { tenant, profile };
}

export async function renameTenant(tx: TenantTx, tenantId: string, name: string): Promise<void> {
  await tx.update(tenants).set({ name }).where(eq(tenants.id, tenantId));
}

export async function saveProfile(tx: TenantTx, row: Omit<ProfileRow, 'updatedAt'>): Promise<ProfileRow> {
  const { tenantId, ...values } = row;
  const [saved] = await tx
    .insert(organizationProfiles)
    .values({ ...row, updatedAt: new Date() })
    .onConflictDoUpdate({ target: organizationProfiles.tenantId, set: { ...values, updatedAt: sql`now()` } })
    .returning();
  if (!saved) throw new Error(`profile of ${tenantId} not saved`);
  return saved;
}

export async function settingsOf(tx: TenantTx, tenantId: string, { lock = false } = {}): Promise<SettingsRow | undefined> {
  const query = tx.select().from(organizationSettings).where(eq(organizationSettings.tenantId, tenantId));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

/** Which of `tenantIds` require two-step verification (their settings rows; no row: not required). */
export async function tenantsRequiringMfa(tx: PlatformTx, tenantIds: string[]): Promise<string[]> {
  if (tenantIds.length === 0) return [];
  const rows = await tx
    .select({ tenantId: organizationSettings.tenantId })
    .from(organizationSettings)
    .where(and(inArray(organizationSettings.tenantId, tenantIds), eq(organizationSettings.mfaRequired, true)));
  return rows.map((r) => r.tenantId);
}

export async function saveSettings(tx: TenantTx, row: Omit<SettingsRow, 'updatedAt'>): Promise<SettingsRow> {
  const { tenantId, ...values } = row;
  const [saved] = await tx
    .insert(organizationSettings)
    .values({ ...row, updatedAt: new Date() })
    .onConflictDoUpdate({ target: organizationSettings.tenantId, set: { ...values, updatedAt: sql`now()` } })
    .returning();
  if (!saved) throw new Error(`settings of ${tenantId} not saved`);
  return saved;
}

export function listDomains(tx: TenantTx, tenantId: string): Promise<DomainRow[]> {
  return tx.select().from(organizationDomains).where(eq(organizationDomains.tenantId, tenantId)).orderBy(asc(organizationDomains.createdAt), asc(organizationDomains.domain));
}

export async function domainById(tx: ScopedTx, tenantId: string, id: string, { lock = false } = {}): Promise<DomainRow | undefined> {
  const query = tx.select().from(organizationDomains).where(and(eq(organizationDomains.tenantId, tenantId), eq(organizationDomains.id, id)));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

export async function domainByName(tx: TenantTx, tenantId: string, domain: string): Promise<DomainRow | undefined> {
  const [row] = await tx.select().from(organizationDomains).where(and(eq(organizationDomains.tenantId, tenantId), eq(organizationDomains.domain, domain)));
  return row;
}

/** Whether another tenant has verified `domain` (platform scope: it looks across tenants). */
export async function verifiedElsewhere(tx: ScopedTx, tenantId: string, domain: string): Promise<boolean> {
  const rows = await tx
    .select({ id: organizationDomains.id })
    .from(organizationDomains)
    .where(and(eq(organizationDomains.domain, domain), eq(organizationDomains.status, 'verified'), ne(organizationDomains.tenantId, tenantId)))
    .limit(1);
  return rows.length > 0;
}

export async function insertDomain(tx: TenantTx, values: { tenantId: string; domain: string; token: string }): Promise<DomainRow> {
  const [row] = await tx.insert(organizationDomains).values({ ...values, status: 'pending' }).returning();
  if (!row) throw new Error('domain not inserted');
  return row;
}

export async function updateDomain(
  tx: ScopedTx,
  id: string,
  values: Partial<Pick<DomainRow, 'status' | 'lastCheckedAt' | 'lastCheckMessage' | 'verifiedAt' | 'failureReason'>>,
): Promise<DomainRow> {
  const [row] = await tx.update(organizationDomains).set(values).where(eq(organizationDomains.id, id)).returning();
  if (!row) throw new Error(`domain ${id} not updated`);
  return row;
}

export async function deleteDomain(tx: TenantTx, tenantId: string, id: string): Promise<void> {
  await tx.delete(organizationDomains).where(and(eq(organizationDomains.tenantId, tenantId), eq(organizationDomains.id, id)));
}
