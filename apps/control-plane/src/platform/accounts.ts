import { asc, eq, sql } from 'drizzle-orm';
import type { MembershipSummary, TenantRole } from '@cbp/contracts';
import { preparedRows, type AppDb, type Queryable } from './db.js';
import { tenants, users } from './schema.js';

export type UserRow = typeof users.$inferSelect;

// Queries on users and memberships that authentication itself needs (every request and the
// login page); feature modules go through their own services.

export async function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`)
    .limit(1);
  return row;
}

export async function findUserByExternalSubject(db: Queryable, subject: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.externalSubject, subject)).limit(1);
  return row;
}

export async function linkExternalSubject(db: Queryable, userId: string, subject: string): Promise<void> {
  await db.update(users).set({ externalSubject: subject }).where(eq(users.id, userId));
}

/**
 * Tenants the user belongs to (active memberships of active or suspended tenants), by name.
 * One user's memberships span tenants: read in the platform scope (decision 003).
 */
export async function membershipsOf(db: AppDb, userId: string): Promise<MembershipSummary[]> {
  // One statement: memberships_of() sets the platform scope for itself (migration 0026).
  return preparedRows<MembershipSummary>(db, 'cbp_memberships_of', sql`SELECT id, name, slug, role FROM memberships_of(${userId}::uuid) ORDER BY name`);
}

/** A user as authentication knows them: every column but the password hash. */
export type AuthUser = Omit<UserRow, 'passwordHash'>;

export type TenantStatus = (typeof tenants.$inferSelect)['status'];

/** What one request needs to know about its caller, read in one statement (`auth_principal`, migration 0026). */
export interface PrincipalRow {
  user: AuthUser;
  /** The tenant asked for (or the caller's only tenant); null if it does not exist or none was chosen. */
  tenant: { id: string; status: TenantStatus; role: TenantRole | null; mfaRequired: boolean } | null;
  /** The caller's active memberships. */
  activeMemberships: number;
  /** `auth_epoch` in the same snapshot: what a cached copy of this row is valid for. */
  epoch: number;
}

interface RawPrincipal {
  id: string;
  email: string;
  name: string;
  external_subject: string | null;
  platform_role: 'super_admin' | null;
  status: 'active' | 'disabled';
  created_at: Date | string;
  tenant_id: string | null;
  tenant_status: TenantStatus | null;
  role: TenantRole | null;
  active_memberships: number;
  epoch: string | number | bigint;
  tenant_mfa_required: boolean | null;
}

/**
 * The user (by id, or by external subject), their active role in `tenantId` (or, without one,
 * in their only tenant), that tenant's status and whether it requires two-step verification
 * (migration 0041), and the auth epoch: one statement, one round trip.
 */
export async function findPrincipal(
  db: AppDb,
  who: { userId: string } | { externalSubject: string },
  tenantId: string | null,
): Promise<PrincipalRow | undefined> {
  const userId = 'userId' in who ? who.userId : null;
  const subject = 'externalSubject' in who ? who.externalSubject : null;
  const [row] = await preparedRows<RawPrincipal>(
    db,
    // Named after the function's version: its row type changed in migration 0041.
    'cbp_auth_principal_v2',
    sql`SELECT * FROM auth_principal(${userId}::uuid, ${subject}::text, ${tenantId}::uuid)`,
  );
  if (!row) return undefined;
  return {
    user: {
      id: row.id,
      email: row.email,
      name: row.name,
      externalSubject: row.external_subject,
      platformRole: row.platform_role,
      status: row.status,
      createdAt: new Date(row.created_at),
    },
    tenant: row.tenant_id && row.tenant_status ? { id: row.tenant_id, status: row.tenant_status, role: row.role, mfaRequired: row.tenant_mfa_required === true } : null,
    activeMemberships: Number(row.active_memberships),
    epoch: Number(row.epoch),
  };
}

/** The current auth epoch (migration 0026): one indexed row. */
export async function currentAuthEpoch(db: AppDb): Promise<number> {
  const [row] = await preparedRows<{ value: string | number | bigint }>(db, 'cbp_auth_epoch', sql`SELECT value FROM auth_epoch WHERE id = 1`);
  return Number(row?.value ?? 0);
}

/** A tenant's status (tenants are not tenant-scoped rows), or undefined if it does not exist. */
export async function tenantStatus(db: AppDb, tenantId: string): Promise<TenantStatus | undefined> {
  const [row] = await db.select({ status: tenants.status }).from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return row?.status;
}

/** Every tenant, for platform staff. */
export async function allTenantsAs(db: Queryable, role: 'super_admin'): Promise<MembershipSummary[]> {
  const rows = await db.select({ id: tenants.id, name: tenants.name, slug: tenants.slug }).from(tenants).orderBy(asc(tenants.name));
  return rows.map((r) => ({ ...r, role }));
}

export async function tenantExists(db: Queryable, tenantId: string): Promise<boolean> {
  const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return Boolean(row);
}
