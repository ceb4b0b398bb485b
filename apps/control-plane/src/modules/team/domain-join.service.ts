import { findUserByEmail } from '../../platform/accounts.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { RequestContext } from '../../platform/context.js';
import { scopeToTenant, withPlatformScope, type AppDb } from '../../platform/db.js';
import { publishEvent } from '../../platform/events.js';
import { users } from '../../platform/schema.js';
import { signupOrganizationsIn, type SignupOrganization } from '../organization/domains.service.js';
import { seatFree } from './seats.js';
import { insertMembership, lockTeam } from './team.repo.js';

/** A confirmed sign-up at the built-in provider: the email was proven by a mailed link. */
export interface DomainJoinAccount {
  email: string;
  name: string;
  /** Hashed by the identity provider (the team module never sees the password). */
  passwordHash: string;
}

export type DomainJoinResult =
  | { status: 'joined'; userId: string; organizations: SignupOrganization[] }
  /** The address got an account meanwhile (an invitation, an earlier link): nothing was created. */
  | { status: 'exists' }
  /** No organization admits the address any more (its domain or setting changed since the sign-up). */
  | { status: 'not_allowed' };

/**
 * Issue 15: "Verified domains let people with that email domain join on sign-up when the
 * setting allows, with the default role." Creates the account and a membership with the default
 * role in every organization that admits the email's domain now (verified and allowed: asked
 * again at this moment, not when the sign-up was requested), in one transaction, each audited in
 * its own trail (`member.joined` by the new user, reason "verified domain") and announced like an
 * accepted invitation (`invitation.accepted`, `via: verified_domain`) for the admins' notifications.
 */
export async function joinByVerifiedDomain(db: AppDb, account: DomainJoinAccount, meta: { ipAddress: string | null; userAgent: string | null }): Promise<DomainJoinResult> {
  return withPlatformScope(db, async (tx): Promise<DomainJoinResult> => {
    if (await findUserByEmail(tx, account.email)) return { status: 'exists' };
    const admitting = await signupOrganizationsIn(tx, account.email);
    // An organization whose plan has no seat left admits nobody more (decision 004; team/seats.ts).
    const organizations = [];
    for (const org of admitting) {
      const scoped = await scopeToTenant(tx, org.tenantId);
      await lockTeam(scoped, org.tenantId);
      if (await seatFree(scoped, org.tenantId)) organizations.push(org);
    }
    if (organizations.length === 0) return { status: 'not_allowed' };
    const [user] = await tx.insert(users).values({ email: account.email, name: account.name, status: 'active', passwordHash: account.passwordHash }).returning();
    if (!user) throw new Error('user not created');
    for (const org of organizations) {
      const scoped = await scopeToTenant(tx, org.tenantId);
      await insertMembership(scoped, { tenantId: org.tenantId, userId: user.id, role: org.role, invitedBy: null });
      const ctx: RequestContext = { actor: { type: 'user', id: user.id, email: user.email }, tenantId: org.tenantId, role: org.role, ...meta };
      await recordAuditEntry(scoped, ctx, {
        action: 'member.joined',
        targetType: 'user',
        targetId: user.id,
        targetName: user.email,
        after: { role: org.role },
        metadata: { reason: 'verified domain', domain: org.domain, newAccount: true },
      });
      await publishEvent(scoped, {
        type: 'invitation.accepted',
        tenantId: org.tenantId,
        payload: { invitationId: null, via: 'verified_domain', domain: org.domain, userId: user.id, email: user.email, role: org.role, actorUserId: user.id },
      });
    }
    return { status: 'joined', userId: user.id, organizations };
  });
}
