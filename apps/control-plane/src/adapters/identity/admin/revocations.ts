import { and, eq } from 'drizzle-orm';
import type { PlatformRole } from '@cbp/contracts';
import type { Queryable } from '../../../platform/db.js';
import { identityRoleRevocations } from '../../../platform/schema.js';

/**
 * Revocation markers (migration 0032): a role taken from an identity subject stops counting in
 * every token issued before the revocation, although the token still carries it.
 */
export async function markRoleRevoked(q: Queryable, subject: string, role: string): Promise<void> {
  await q
    .insert(identityRoleRevocations)
    .values({ subject, role, revokedAt: new Date() })
    .onConflictDoUpdate({ target: [identityRoleRevocations.subject, identityRoleRevocations.role], set: { revokedAt: new Date() } });
}

/** The role was given (back): tokens issued from now on carry it and count. */
export async function clearRoleRevocation(q: Queryable, subject: string, role: string): Promise<void> {
  await q.delete(identityRoleRevocations).where(and(eq(identityRoleRevocations.subject, subject), eq(identityRoleRevocations.role, role)));
}

/**
 * Whether a token of `subject` issued at `issuedAt` (seconds, the `iat` claim) was issued before
 * `role` was revoked. Timestamps have one-second resolution: a token of the revocation's own
 * second counts as older (a token really issued after it does not carry the role anyway).
 * A token without `iat` is treated as old.
 */
export async function roleRevokedFor(q: Queryable, subject: string, role: PlatformRole, issuedAt: number | undefined): Promise<boolean> {
  const [marker] = await q
    .select({ revokedAt: identityRoleRevocations.revokedAt })
    .from(identityRoleRevocations)
    .where(and(eq(identityRoleRevocations.subject, subject), eq(identityRoleRevocations.role, role)));
  if (!marker) return false;
  return issuedAt === undefined || issuedAt * 1000 < marker.revokedAt.getTime() + 1000;
}
