import { randomBytes } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { verificationRecordName, type DefaultMemberRole, type OrganizationDomain, type VerifyDomainResult } from '@cbp/contracts';
import type { WorkflowEngine } from '../../adapters/workflows/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { RequestContext, TenantContext } from '../../platform/context.js';
import { withPlatformScope, withTenant, type AppDb, type PlatformTx, type ScopedTx } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { publishEvent } from '../../platform/events.js';
import { organizationDomains, organizationSettings, tenants } from '../../platform/schema.js';
import type { TxtCheck, TxtLookup } from './dns.js';
import { normalizeDomain } from './domain-names.js';
import { deleteDomain, domainById, domainByName, insertDomain, listDomains, updateDomain, verifiedElsewhere, type DomainRow } from './organization.repo.js';

export const domainVerificationWorkflowType = 'organization.domain-verification';
export const domainVerificationWorkflowId = (domainId: string) => `domain-verification:${domainId}`;

/** How the verification workflow re-checks a pending domain (from configuration). */
export interface VerificationSchedule {
  intervalMs: number;
  windowMs: number;
}

export interface DomainDeps {
  db: AppDb;
  engine: WorkflowEngine;
  lookup: TxtLookup;
  schedule: VerificationSchedule;
}

export const domainFrom = (row: DomainRow): OrganizationDomain => ({
  id: row.id,
  domain: row.domain,
  status: row.status,
  verificationRecord: { type: 'TXT', name: verificationRecordName(row.domain), value: row.token },
  createdAt: row.createdAt.toISOString(),
  lastCheckedAt: row.lastCheckedAt?.toISOString() ?? null,
  lastCheckMessage: row.lastCheckMessage,
  verifiedAt: row.verifiedAt?.toISOString() ?? null,
  failureReason: row.failureReason,
});

const conflictElsewhere = (domain: string) => new AppError(409, 'CONFLICT', `${domain} is already verified by another organization.`);

/** A unique violation (PostgreSQL 23505) anywhere in the error's causes. */
function isUniqueViolation(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  if ((err as { code?: unknown }).code === '23505') return true;
  return isUniqueViolation((err as { cause?: unknown }).cause, depth + 1);
}

export async function listOrganizationDomains(db: AppDb, tenantId: string): Promise<OrganizationDomain[]> {
  return withTenant(db, tenantId, async (tx) => (await listDomains(tx, tenantId)).map(domainFrom));
}

/**
 * Claims a domain for the organization: normalised, refused when malformed (400 naming
 * `body.domain`), already added here or verified by another organization (409). It is stored
 * pending with a random token, audited, and its verification workflow is started in the same
 * transaction (it re-checks the TXT record on the configured schedule, then marks it failed).
 */
export async function addDomain(deps: DomainDeps, ctx: TenantContext, input: string): Promise<OrganizationDomain> {
  const domain = normalizeDomain(input);
  if (!domain) {
    throw new AppError(400, 'VALIDATION_FAILED', `"${input}" is not a domain name.`, [
      { path: 'body.domain', message: 'Enter a domain name such as acme.example (no IP addresses, at least two labels).' },
    ]);
  }
  // Other organizations' rows are invisible to a tenant transaction: this one question is asked
  // across tenants. The unique index on verified domains settles any race at verification.
  if (await withPlatformScope(deps.db, (tx) => verifiedElsewhere(tx, ctx.tenantId, domain))) throw conflictElsewhere(domain);
  const row = await withTenant(deps.db, ctx.tenantId, async (tx) => {
    if (await domainByName(tx, ctx.tenantId, domain)) throw new AppError(409, 'CONFLICT', `${domain} has already been added to this organization.`);
    const inserted = await insertDomain(tx, { tenantId: ctx.tenantId, domain, token: `cbp-verify-${randomBytes(20).toString('hex')}` });
    await recordAuditEntry(tx, ctx, { action: 'domain.added', targetType: 'domain', targetId: inserted.id, targetName: domain, after: { domain, status: 'pending' } });
    const checks = Math.max(1, Math.ceil(deps.schedule.windowMs / deps.schedule.intervalMs));
    await deps.engine.start(
      {
        type: domainVerificationWorkflowType,
        tenantId: ctx.tenantId,
        workflowId: domainVerificationWorkflowId(inserted.id),
        input: { domainId: inserted.id, intervalMs: deps.schedule.intervalMs, checks },
      },
      { tx },
    );
    return inserted;
  });
  deps.engine.wake();
  return domainFrom(row);
}

/**
 * Applies a DNS check to the domain, under its row lock: found -> verified (audited
 * `domain.verified`, event `organization.domain_verified`); not found -> the check time and
 * message are kept and the status stays. Another organization verifying it first: `conflict`.
 */
export async function applyCheck(
  tx: ScopedTx,
  ctx: RequestContext,
  row: DomainRow,
  check: TxtCheck,
): Promise<{ row: DomainRow; verified: boolean; conflict: boolean }> {
  const now = new Date();
  if (!check.found) {
    const updated = await updateDomain(tx, row.id, { lastCheckedAt: now, lastCheckMessage: check.message });
    return { row: updated, verified: false, conflict: false };
  }
  let updated: DomainRow;
  try {
    // A savepoint: a unique violation (verified elsewhere meanwhile) leaves the transaction usable.
    updated = await tx.transaction(async (sp) =>
      updateDomain(sp as ScopedTx, row.id, { status: 'verified', verifiedAt: now, lastCheckedAt: now, lastCheckMessage: check.message, failureReason: null }),
    );
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const message = `${row.domain} is already verified by another organization.`;
    const kept = await updateDomain(tx, row.id, { lastCheckedAt: now, lastCheckMessage: message });
    return { row: kept, verified: false, conflict: true };
  }
  await recordAuditEntry(tx, ctx, {
    action: 'domain.verified',
    targetType: 'domain',
    targetId: row.id,
    targetName: row.domain,
    before: { status: row.status },
    after: { status: 'verified', verifiedAt: now.toISOString() },
  });
  const tenantId = row.tenantId;
  const actor = ctx.actor.type === 'user' ? { actorUserId: ctx.actor.id, actorEmail: ctx.actor.email } : {};
  await publishEvent(tx, { type: 'organization.domain_verified', tenantId, payload: { domainId: row.id, domain: row.domain, ...actor } });
  return { row: updated, verified: true, conflict: false };
}

/** `POST /organization/domains/:id/verify`: a TXT lookup now (outside any transaction), then the result applied. */
export async function verifyDomain(deps: Pick<DomainDeps, 'db' | 'lookup'>, ctx: TenantContext, id: string): Promise<VerifyDomainResult> {
  const current = await withTenant(deps.db, ctx.tenantId, (tx) => domainById(tx, ctx.tenantId, id));
  if (!current) throw notFound('Domain');
  if (current.status === 'verified') return { domain: domainFrom(current), verified: true, message: `${current.domain} is verified.` };
  const check = await deps.lookup(verificationRecordName(current.domain), current.token);
  return withTenant(deps.db, ctx.tenantId, async (tx) => {
    const row = await domainById(tx, ctx.tenantId, id, { lock: true });
    if (!row) throw notFound('Domain');
    if (row.status === 'verified') return { domain: domainFrom(row), verified: true, message: `${row.domain} is verified.` };
    const result = await applyCheck(tx, ctx, row, check);
    if (result.conflict) throw conflictElsewhere(row.domain);
    if (!result.verified) {
      // The attempt is on record (who checked, what DNS answered), like every other change.
      await recordAuditEntry(tx, ctx, {
        action: 'domain.checked',
        targetType: 'domain',
        targetId: row.id,
        targetName: row.domain,
        after: { status: result.row.status, found: false },
        metadata: { message: check.message },
      });
    }
    return { domain: domainFrom(result.row), verified: result.verified, message: check.message };
  });
}

/** Removes the domain (any status); its verification workflow ends at its next check. 404 for another organization's. */
export async function removeDomain(db: AppDb, ctx: TenantContext, id: string): Promise<void> {
  await withTenant(db, ctx.tenantId, async (tx) => {
    const row = await domainById(tx, ctx.tenantId, id, { lock: true });
    if (!row) throw notFound('Domain');
    await deleteDomain(tx, ctx.tenantId, id);
    await recordAuditEntry(tx, ctx, { action: 'domain.removed', targetType: 'domain', targetId: id, targetName: row.domain, before: { domain: row.domain, status: row.status } });
  });
}

/** An organization that people with a given email domain may join on sign-up, and the role they get. */
export interface SignupOrganization {
  tenantId: string;
  tenantName: string;
  role: DefaultMemberRole;
  domain: string;
}

/** The domain of an email address, normalised like a claimed domain (IDN to punycode, lower case), or null. */
export function emailDomainOf(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return null;
  return normalizeDomain(email.slice(at + 1));
}

/**
 * Issue 15: the active organizations that let a person with `email` join on sign-up: each has
 * verified the email's domain AND lists it in its allowed sign-up domains (settings); they
 * join with its default role. Read across tenants (a sign-up has no tenant yet), in the
 * caller's platform-scope transaction; by name. Empty for everyone else.
 */
export async function signupOrganizationsIn(tx: PlatformTx, email: string): Promise<SignupOrganization[]> {
  const domain = emailDomainOf(email);
  if (!domain) return [];
  const rows = await tx
    .select({ tenantId: tenants.id, tenantName: tenants.name, role: organizationSettings.defaultRole })
    .from(organizationDomains)
    .innerJoin(organizationSettings, eq(organizationSettings.tenantId, organizationDomains.tenantId))
    .innerJoin(tenants, eq(tenants.id, organizationDomains.tenantId))
    .where(
      and(
        eq(organizationDomains.domain, domain),
        eq(organizationDomains.status, 'verified'),
        eq(tenants.status, 'active'),
        sql`${domain} = ANY(${organizationSettings.allowedSignupDomains})`,
      ),
    )
    .orderBy(asc(tenants.name), asc(tenants.id));
  return rows.map((r) => ({ ...r, domain }));
}

/** `signupOrganizationsIn` in a transaction of its own. */
export function signupOrganizations(db: AppDb, email: string): Promise<SignupOrganization[]> {
  return withPlatformScope(db, (tx) => signupOrganizationsIn(tx, email));
}
