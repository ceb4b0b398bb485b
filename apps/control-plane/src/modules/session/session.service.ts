import type { Me, Tenant } from '@cbp/contracts';
import { allTenantsAs, membershipsOf } from '../../platform/accounts.js';
import type { AuthenticatedUser } from '../../platform/auth.js';
import { withTenant, type AppDb } from '../../platform/db.js';
import { notFound } from '../../platform/errors.js';
import { findTenant } from './session.repo.js';

export async function describeCaller(db: AppDb, auth: AuthenticatedUser): Promise<Me> {
  const { user, platformRole } = auth;
  const tenants = platformRole === 'super_admin' ? await allTenantsAs(db, 'super_admin') : await membershipsOf(db, user.id);
  return { user: { id: user.id, email: user.email, name: user.name }, tenants, platformRole };
}

export async function currentTenant(db: AppDb, tenantId: string): Promise<Tenant> {
  const row = await withTenant(db, tenantId, (tx) => findTenant(tx, tenantId));
  if (!row) throw notFound('Tenant');
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    status: row.status,
    planId: row.planId,
    createdAt: row.createdAt.toISOString(),
  };
}
