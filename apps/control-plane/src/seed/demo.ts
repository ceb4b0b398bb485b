import { sql } from 'drizzle-orm';
import type { TenantRole } from '@cbp/contracts';
import { builtinAccounts } from '../adapters/identity/accounts.js';
import { hashPassword } from '../adapters/identity/builtin/passwords.js';
import { systemContext } from '../platform/context.js';
import { recordAuditEntry } from '../platform/audit.js';
import { queryRows, withPlatformScope, type AppDb } from '../platform/db.js';
import { plans, tenantMemberships, tenants, users } from '../platform/schema.js';
import { LocalGateway } from '../adapters/payments/local.js';
import type { PaymentGateway } from '../adapters/payments/port.js';
import { createMailer } from '../adapters/mail/port.js';
import { invite } from '../modules/team/invitations.service.js';
import { seedDemoBilling } from './billing-history.js';
import { seedDemoUsage } from './usage-history.js';
import { planCatalog } from './catalog.js';

export const demoPassword = 'demo1234!';

/** Fixed ids make the demo reproducible (and let `npm run token` work without the database). */
export const demoTenants = [
  { id: '00000000-0000-4000-8000-00000000ac01', name: 'Acme Corp', slug: 'acme', plan: 'pro' },
  { id: '00000000-0000-4000-8000-00000000910b', name: 'Globex', slug: 'globex', plan: 'starter' },
] as const;

export const demoUsers: { id: string; email: string; name: string; tenant?: 'acme' | 'globex'; role?: TenantRole; platformRole?: 'super_admin' }[] = [
  { id: '00000000-0000-4000-8000-000000000a01', email: 'analyst@acme.test', name: 'Alice Analyst', tenant: 'acme', role: 'analyst' },
  { id: '00000000-0000-4000-8000-000000000a02', email: 'engineer@acme.test', name: 'Evan Engineer', tenant: 'acme', role: 'engineer' },
  { id: '00000000-0000-4000-8000-000000000a03', email: 'admin@acme.test', name: 'Adele Admin', tenant: 'acme', role: 'admin' },
  { id: '00000000-0000-4000-8000-000000000a04', email: 'owner@acme.test', name: 'Olivia Owner', tenant: 'acme', role: 'owner' },
  { id: '00000000-0000-4000-8000-000000000b01', email: 'owner@globex.test', name: 'Gus Owner', tenant: 'globex', role: 'owner' },
  { id: '00000000-0000-4000-8000-000000000b02', email: 'analyst@globex.test', name: 'Greta Analyst', tenant: 'globex', role: 'analyst' },
  { id: '00000000-0000-4000-8000-000000000c01', email: 'staff@cbp.test', name: 'Sam Staff', platformRole: 'super_admin' },
];

/** Inserts the plan catalog if the database has no plans yet. */
export async function seedPlanCatalog(db: AppDb): Promise<void> {
  await db
    .insert(plans)
    .values(planCatalog.map((p) => ({ ...p, currency: 'usd', interval: 'month' as const })))
    .onConflictDoNothing({ target: plans.key });
}

/**
 * Seeds the demo tenants and users into a database that has no tenant yet; returns false
 * when there was something already (the demo is never re-applied over real data).
 */
export async function seedDemo(
  db: AppDb,
  gateway: PaymentGateway = new LocalGateway(db, { portalUrl: 'http://localhost:27100' }),
  { portalUrl = 'http://localhost:27100' }: { portalUrl?: string } = {},
): Promise<boolean> {
  await seedPlanCatalog(db);
  const passwordHash = await hashPassword(demoPassword);
  // Seeding writes several tenants at once: the platform scope (decision 003).
  const created = await withPlatformScope(db, async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(727272)`);
    const existing = await queryRows(tx, sql`SELECT 1 FROM tenants LIMIT 1`);
    if (existing.length > 0) return false;
    const planRows = await tx.select({ id: plans.id, key: plans.key }).from(plans);
    const planId = (key: string) => {
      const row = planRows.find((p) => p.key === key);
      if (!row) throw new Error(`plan ${key} missing from the catalog`);
      return row.id;
    };
    for (const t of demoTenants) {
      await tx.insert(tenants).values({ id: t.id, name: t.name, slug: t.slug, status: 'active', planId: planId(t.plan) });
      await recordAuditEntry(tx, systemContext(t.id), {
        action: 'tenant.created',
        targetType: 'tenant',
        targetId: t.id,
        targetName: t.name,
        after: { name: t.name, slug: t.slug, plan: t.plan },
        metadata: { source: 'demo-seed' },
      });
    }
    for (const u of demoUsers) {
      await tx.insert(users).values({
        id: u.id,
        email: u.email,
        name: u.name,
        passwordHash,
        platformRole: u.platformRole ?? null,
        status: 'active',
      });
      const tenant = demoTenants.find((t) => t.slug === u.tenant);
      if (tenant && u.role) {
        await tx.insert(tenantMemberships).values({ tenantId: tenant.id, userId: u.id, role: u.role, status: 'active' });
      }
    }
    return true;
  });
  if (!created) return false;
  const [acme, globex] = demoTenants;
  await seedDemoBilling(db, gateway, {
    tenantId: acme.id,
    name: acme.name,
    slug: acme.slug,
    planKey: acme.plan,
    paidMonths: 6,
    apiCalls: [812_000, 905_000, 1_040_000, 968_000, 1_120_000, 1_065_000, 990_000],
  });
  await seedDemoBilling(db, gateway, {
    tenantId: globex.id,
    name: globex.name,
    slug: globex.slug,
    planKey: globex.plan,
    paidMonths: 4,
    apiCalls: [64_000, 88_000, 121_000, 97_000, 104_000],
  });
  // Usage: six months of API-call history; Acme's API calls close to their soft limit (800k).
  await seedDemoUsage(db, {
    tenantId: acme.id,
    current: { api_calls: 762_000, storage_gb: 64, users: 4, workflows: 3_150, integrations: 4 },
    pastApiCalls: [812_000, 905_000, 1_040_000, 968_000, 1_120_000, 1_065_000],
  });
  await seedDemoUsage(db, {
    tenantId: globex.id,
    current: { api_calls: 41_000, storage_gb: 3, users: 2, workflows: 180, integrations: 1 },
    pastApiCalls: [64_000, 88_000, 121_000, 97_000, 104_000, 99_000],
  });
  // A pending invitation, so Acme's team shows one (its mail, with a working link, is in the outbox).
  const admin = demoUsers.find((u) => u.email === 'admin@acme.test');
  if (admin) {
    await invite(
      { db, mailer: createMailer('outbox'), portalUrl, accounts: builtinAccounts },
      { actor: { type: 'user', id: admin.id, email: admin.email }, tenantId: acme.id, role: 'admin', ipAddress: null, userAgent: null },
      { email: 'new.hire@acme.test', role: 'engineer', message: 'Welcome to the platform team!' },
    );
  }
  return true;
}
