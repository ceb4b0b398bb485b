import { and, eq, sql } from 'drizzle-orm';
import { cbpRoleOfIdentityRole, type IdentityRole, type IdentityUser, type IdentityUserRoles } from '@cbp/contracts';
import { realmNotFound, type IdentityAdmin } from '../../adapters/identity/admin/port.js';
import { clearRoleRevocation, markRoleRevoked } from '../../adapters/identity/admin/revocations.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { RequestContext } from '../../platform/context.js';
import { withPlatformScope, type AppDb, type PlatformTx } from '../../platform/db.js';
import { AppError } from '../../platform/errors.js';
import { tenantMemberships, users } from '../../platform/schema.js';

export interface IdentityRoleDeps {
  db: AppDb;
  admin: IdentityAdmin;
}

export function listRoles({ admin }: IdentityRoleDeps): Promise<IdentityRole[]> {
  return admin.listRealmRoles(admin.realm);
}

export async function findUsers({ admin }: IdentityRoleDeps, email: string): Promise<IdentityUser[]> {
  const user = await admin.findUserByEmail(email);
  return user ? [user] : [];
}

export async function userRoles({ admin }: IdentityRoleDeps, userId: string): Promise<IdentityUserRoles> {
  return { userId, realm: admin.realm, roles: await admin.getUserRoles(userId) };
}

/**
 * Which trails show a change to an identity user's roles: each tenant the matching CBP user
 * (same identity subject, or same email) is an active member of, so its customers see that
 * platform staff changed one of their members; a user in no tenant gets one platform entry
 * (tenant_id null, read by operators).
 */
async function trailsOf(tx: PlatformTx, user: IdentityUser): Promise<{ cbpUserId: string | null; tenantIds: (string | null)[] }> {
  const [cbpUser] = await tx
    .select({ id: users.id })
    .from(users)
    .where(sql`${users.externalSubject} = ${user.id} OR ${users.id}::text = ${user.id} OR lower(${users.email}) = lower(${user.email})`)
    .limit(1);
  if (!cbpUser) return { cbpUserId: null, tenantIds: [null] };
  const rows = await tx
    .select({ tenantId: tenantMemberships.tenantId })
    .from(tenantMemberships)
    .where(and(eq(tenantMemberships.userId, cbpUser.id), eq(tenantMemberships.status, 'active')));
  return { cbpUserId: cbpUser.id, tenantIds: rows.length > 0 ? rows.map((r) => r.tenantId) : [null] };
}

async function change(
  deps: IdentityRoleDeps,
  ctx: RequestContext,
  input: { realm: string; userId: string; roleId: string },
  assign: boolean,
): Promise<IdentityUserRoles> {
  const { admin, db } = deps;
  if (input.realm !== admin.realm) throw realmNotFound(input.realm);
  const user = await admin.getUser(input.userId);
  if (!assign && ctx.actor.email && user.email.toLowerCase() === ctx.actor.email.toLowerCase()) {
    const role = (await admin.listRealmRoles(admin.realm)).find((r) => r.id === input.roleId || r.name === input.roleId);
    if (role && cbpRoleOfIdentityRole(role.name)) {
      throw new AppError(422, 'BUSINESS_RULE', 'You cannot revoke your own platform staff role; ask another staff member.');
    }
  }
  await withPlatformScope(db, async (tx) => {
    // The built-in adapter writes in this transaction; Keycloak's call is made before the
    // audit entry is written, and an error of either rolls the entry (and the marker) back.
    const role = assign ? await admin.addUserRole(user.id, input.roleId, tx) : await admin.removeUserRole(user.id, input.roleId, tx);
    if (assign) await clearRoleRevocation(tx, user.id, role.name);
    else await markRoleRevoked(tx, user.id, role.name);
    const { cbpUserId, tenantIds } = await trailsOf(tx, user);
    for (const tenantId of tenantIds) {
      await recordAuditEntry(tx, { ...ctx, tenantId }, {
        action: assign ? 'identity.role_assigned' : 'identity.role_revoked',
        targetType: 'user',
        targetId: cbpUserId,
        targetName: user.email,
        metadata: { realm: admin.realm, role: role.name, roleId: role.id, identityUserId: user.id, provider: admin.kind, actorPlatformRole: ctx.role },
      });
    }
  });
  return userRoles(deps, user.id);
}

export const assignRole = (deps: IdentityRoleDeps, ctx: RequestContext, input: { realm: string; userId: string; roleId: string }) => change(deps, ctx, input, true);
export const revokeRole = (deps: IdentityRoleDeps, ctx: RequestContext, input: { realm: string; userId: string; roleId: string }) => change(deps, ctx, input, false);
