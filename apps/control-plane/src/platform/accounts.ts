import { and, asc, eq, sql } from 'drizzle-orm';
import type { MembershipSummary, TenantRole } from '@cbp/contracts';
import { withPlatformScope, withTenant, type AppDb, type Queryable } from './db.js';
import { tenantMemberships, tenants, users } from './schema.js';

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
  return withPlatformScope(db, (tx) =>
    tx
      .select({ id: tenants.id, name: tenants.name, slug: tenants.slug, role: tenantMemberships.role })
      .from(tenantMemberships)
      .innerJoin(tenants, eq(tenants.id, tenantMemberships.tenantId))
      .where(and(eq(tenantMemberships.userId, userId), eq(tenantMemberships.status, 'active')))
      .orderBy(asc(tenants.name)),
  );
}

/** Every tenant, for platform staff. */
export async function allTenantsAs(db: Queryable, role: 'super_admin'): Promise<MembershipSummary[]> {
  const rows = await db.select({ id: tenants.id, name: tenants.name, slug: tenants.slug }).from(tenants).orderBy(asc(tenants.name));
  return rows.map((r) => ({ ...r, role }));
}

/** The user's active role in one tenant, read within that tenant's scope. */
export async function roleInTenant(db: AppDb, userId: string, tenantId: string): Promise<TenantRole | null> {
  const [row] = await withTenant(db, tenantId, (tx) =>
    tx
      .select({ role: tenantMemberships.role })
      .from(tenantMemberships)
      .where(
        and(
          eq(tenantMemberships.userId, userId),
          eq(tenantMemberships.tenantId, tenantId),
          eq(tenantMemberships.status, 'active'),
        ),
      )
      .limit(1),
  );
  return row?.role ?? null;
}

export async function tenantExists(db: Queryable, tenantId: string): Promise<boolean> {
  const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return Boolean(row);
}
