import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { identityRoleMappings, type IdentityRole, type IdentityUser } from '@cbp/contracts';
import { AppError } from '../../../platform/errors.js';
import type { AppDb, PlatformTx, Queryable } from '../../../platform/db.js';
import { users } from '../../../platform/schema.js';
import { endOtherSessions } from '../builtin/sessions.js';
import { realmNotFound, roleNotFound, userNotFound, type IdentityAdmin } from './port.js';

/** The realm name of the built-in provider. */
export const builtinRealm = 'cbp';

/**
 * The built-in provider's realm roles: those of the mapping table in @cbp/contracts (a role's
 * id is its name). A user's roles are stored on the user (`users.platform_role`); the provider
 * puts them in the `realm_access.roles` claim of the access tokens it issues (provider.ts).
 */
const realmRoles: IdentityRole[] = identityRoleMappings.map((m) => ({ id: m.identityRole, name: m.identityRole, description: m.description, composite: false }));

type UserRow = typeof users.$inferSelect;

const toUser = (u: UserRow): IdentityUser => ({ id: u.id, email: u.email, name: u.name, enabled: u.status === 'active' });

/** The realm roles a built-in user holds. */
export function builtinRolesOf(user: Pick<UserRow, 'platformRole'>): IdentityRole[] {
  return realmRoles.filter((r) => r.name === user.platformRole);
}

export function createBuiltinIdentityAdmin(db: AppDb): IdentityAdmin {
  async function userRow(q: Queryable, userId: string): Promise<UserRow> {
    if (!z.uuid().safeParse(userId).success) throw userNotFound(userId);
    const [u] = await q.select().from(users).where(eq(users.id, userId));
    if (!u) throw userNotFound(userId);
    return u;
  }
  function role(roleId: string): IdentityRole {
    const found = realmRoles.find((r) => r.id === roleId || r.name === roleId);
    if (!found) throw roleNotFound(roleId, builtinRealm);
    return found;
  }
  async function setPlatformRole(userId: string, roleId: string, assign: boolean, tx?: PlatformTx): Promise<IdentityRole> {
    const r = role(roleId);
    const q = tx ?? db;
    await userRow(q, userId);
    // Only super_admin exists today: it is users.platform_role (the auth_epoch trigger of
    // migration 0026 makes a revocation hold on every API copy within the cache bound).
    await q.update(users).set({ platformRole: assign ? 'super_admin' : null }).where(eq(users.id, userId));
    return r;
  }
  return {
    kind: 'builtin',
    realm: builtinRealm,
    async listRealmRoles(realm) {
      if (realm !== builtinRealm) throw realmNotFound(realm);
      return realmRoles;
    },
    async getUser(userId) {
      return toUser(await userRow(db, userId));
    },
    async findUserByEmail(email) {
      const [u] = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
      return u ? toUser(u) : null;
    },
    async getUserRoles(userId) {
      return builtinRolesOf(await userRow(db, userId));
    },
    addUserRole: (userId, roleId, tx) => setPlatformRole(userId, roleId, true, tx),
    removeUserRole: (userId, roleId, tx) => setPlatformRole(userId, roleId, false, tx),
    async setUserEnabled(userId, enabled, tx) {
      const q = tx ?? db;
      await userRow(q, userId);
      await q.update(users).set({ status: enabled ? 'active' : 'disabled' }).where(eq(users.id, userId));
    },
    async logoutUser(userId) {
      await userRow(db, userId);
      await endOtherSessions(db, userId, null);
    },
    async requireActions(userId) {
      await userRow(db, userId);
      throw new AppError(422, 'BUSINESS_RULE', 'The built-in identity provider cannot email required actions; the user changes their password on the Security page.');
    },
  };
}
