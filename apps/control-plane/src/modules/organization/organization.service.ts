import {
  defaultOrganizationSettings,
  type OrganizationProfile,
  type OrganizationProfileUpdate,
  type OrganizationSettings,
  type OrganizationSettingsUpdate,
} from '@cbp/contracts';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext } from '../../platform/context.js';
import { membershipsOf } from '../../platform/accounts.js';
import { withPlatformScope, withTenant, type AppDb, type TenantTx } from '../../platform/db.js';
import { publishEvent } from '../../platform/events.js';
import { profileOf, renameTenant, saveProfile, saveSettings, settingsOf, tenantsRequiringMfa, type ProfileRow, type SettingsRow, type TenantRow } from './organization.repo.js';

/** Who changed it, for the domain event (consumers never notify the actor of their own change). */
export const actorOf = (ctx: TenantContext) => (ctx.actor.type === 'user' ? { actorUserId: ctx.actor.id, actorEmail: ctx.actor.email } : {});

const profileFrom = (tenant: TenantRow, row: ProfileRow | undefined): OrganizationProfile => ({
  id: tenant.id,
  name: tenant.name,
  slug: tenant.slug,
  legalName: row?.legalName ?? null,
  billingEmail: row?.billingEmail ?? null,
  address: {
    line1: row?.addressLine1 ?? null,
    line2: row?.addressLine2 ?? null,
    city: row?.addressCity ?? null,
    postalCode: row?.addressPostalCode ?? null,
    region: row?.addressRegion ?? null,
    country: row?.addressCountry ?? null,
  },
  taxId: row?.taxId ?? null,
  website: row?.website ?? null,
  updatedAt: row ? row.updatedAt.toISOString() : null,
  // Scheduled deletion (organization.deletion.ts, migration 0034).
  deletion: tenant.deletionScheduledAt ? { scheduledFor: tenant.deletionScheduledAt.toISOString() } : null,
});

const settingsFrom = (row: SettingsRow | undefined): OrganizationSettings =>
  row
    ? {
        timezone: row.timezone,
        locale: row.locale,
        dateFormat: row.dateFormat,
        sessionTimeoutMinutes: row.sessionTimeoutMinutes,
        mfaRequired: row.mfaRequired,
        allowedSignupDomains: row.allowedSignupDomains,
        defaultRole: row.defaultRole,
      }
    : { ...defaultOrganizationSettings, allowedSignupDomains: [] };

/** An empty string is no value: stored as null. */
const blank = (v: string | null): string | null => (v === null || v.trim() === '' ? null : v);

/** Flattens nested objects to dotted keys (`address.city`), so changes compare per field. */
function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/** The fields that changed, before and after (nothing else goes into the audit entry). */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b = flatten(before);
  const a = flatten(after);
  const changed = { before: {} as Record<string, unknown>, after: {} as Record<string, unknown> };
  for (const key of Object.keys(a)) {
    if (JSON.stringify(b[key]) === JSON.stringify(a[key])) continue;
    changed.before[key] = b[key] ?? null;
    changed.after[key] = a[key] ?? null;
  }
  return changed;
}

export async function getProfile(db: AppDb, tenantId: string): Promise<OrganizationProfile> {
  return withTenant(db, tenantId, async (tx) => {
    const { tenant, profile } = await profileOf(tx, tenantId);
    return profileFrom(tenant, profile);
  });
}

/**
 * Applies the fields given (null clears one), then records `organization.updated` with the
 * changed fields only, before and after, and publishes the same event, all in one transaction.
 * A patch that changes nothing writes nothing.
 */
export async function updateProfile(db: AppDb, ctx: TenantContext, patch: OrganizationProfileUpdate): Promise<OrganizationProfile> {
  return withTenant(db, ctx.tenantId, async (tx) => {
    const { tenant, profile } = await profileOf(tx, ctx.tenantId, { lock: true });
    const before = profileFrom(tenant, profile);
    const address = { ...before.address };
    for (const [k, v] of Object.entries(patch.address ?? {}) as [keyof typeof address, string | null | undefined][]) {
      if (v !== undefined) address[k] = blank(v);
    }
    const pick = <K extends 'legalName' | 'billingEmail' | 'taxId' | 'website'>(key: K) => (patch[key] === undefined ? before[key] : blank(patch[key] ?? null));
    const after: OrganizationProfile = {
      ...before,
      name: patch.name ?? before.name,
      legalName: pick('legalName'),
      billingEmail: pick('billingEmail'),
      taxId: pick('taxId'),
      website: pick('website'),
      address,
    };
    const { id: _id, slug: _slug, updatedAt: _u, ...comparableBefore } = before;
    const { id: _id2, slug: _slug2, updatedAt: _u2, ...comparableAfter } = after;
    const changed = changedFields(comparableBefore, comparableAfter);
    if (Object.keys(changed.after).length === 0) return before;
    if (after.name !== before.name) await renameTenant(tx, ctx.tenantId, after.name);
    const saved = await saveProfile(tx, {
      tenantId: ctx.tenantId,
      legalName: after.legalName,
      billingEmail: after.billingEmail,
      addressLine1: address.line1,
      addressLine2: address.line2,
      addressCity: address.city,
      addressPostalCode: address.postalCode,
      addressRegion: address.region,
      addressCountry: address.country,
      taxId: after.taxId,
      website: after.website,
    });
    await audit(tx, ctx, after.name, 'profile', changed);
    return profileFrom({ ...tenant, name: after.name }, saved);
  });
}

export async function getSettings(db: AppDb, tenantId: string): Promise<OrganizationSettings> {
  return withTenant(db, tenantId, async (tx) => settingsFrom(await settingsOf(tx, tenantId)));
}

/** Like the profile: the fields given, audited (`settings.updated`) with the changed ones only. */
export async function updateSettings(db: AppDb, ctx: TenantContext, patch: OrganizationSettingsUpdate): Promise<OrganizationSettings> {
  return withTenant(db, ctx.tenantId, async (tx) => {
    const { tenant } = await profileOf(tx, ctx.tenantId, { lock: true });
    const before = settingsFrom(await settingsOf(tx, ctx.tenantId, { lock: true }));
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<OrganizationSettings>;
    const after: OrganizationSettings = { ...before, ...defined };
    const changed = changedFields({ ...before }, { ...after });
    if (Object.keys(changed.after).length === 0) return before;
    const saved = await saveSettings(tx, { tenantId: ctx.tenantId, ...after });
    await audit(tx, ctx, tenant.name, 'settings', changed);
    return settingsFrom(saved);
  });
}

/**
 * The organizations of the user (active memberships) whose settings require two-step
 * verification, by name: the built-in provider enrolls such a user before finishing a sign-in
 * and keeps them from turning it off (app.ts hands this in; the provider never reads these tables).
 */
export async function mfaRequiredFor(db: AppDb, userId: string): Promise<{ tenantId: string; name: string }[]> {
  const memberships = await membershipsOf(db, userId);
  if (memberships.length === 0) return [];
  const requiring = new Set(await withPlatformScope(db, (tx) => tenantsRequiringMfa(tx, memberships.map((m) => m.id))));
  return memberships.filter((m) => requiring.has(m.id)).map((m) => ({ tenantId: m.id, name: m.name }));
}

async function audit(
  tx: TenantTx,
  ctx: TenantContext,
  name: string,
  section: 'profile' | 'settings',
  changed: { before: Record<string, unknown>; after: Record<string, unknown> },
): Promise<void> {
  await recordAuditEntry(tx, ctx, {
    action: section === 'profile' ? 'organization.updated' : 'settings.updated',
    targetType: 'organization',
    targetId: ctx.tenantId,
    targetName: name,
    before: changed.before,
    after: changed.after,
  });
  await publishEvent(tx, {
    type: 'organization.updated',
    tenantId: ctx.tenantId,
    payload: { section, fields: Object.keys(changed.after), ...actorOf(ctx) },
  });
}
