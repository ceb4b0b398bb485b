import { sql } from 'drizzle-orm';
import type { OrganizationDomain, OrganizationProfile, OrganizationSettings, VerifyDomainResult } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type TestDnsServer } from '../../../test/dns-server.js';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

// Organization profile, settings and domains through HTTP (issue 15, acceptance 1 and 2). DNS
// lookups are real: DNS_RESOLVER points at a UDP server on loopback (test/dns-server.ts).

let t: TestContext;
let dns: TestDnsServer;
beforeAll(async () => {
  dns = await startDnsServer();
  t = await createTestContext({ DNS_RESOLVER: dns.address });
});
afterAll(async () => {
  await t.close();
  await dns.close();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
async function call(method: Method, url: string, { email = 'admin@acme.test', tenantId = acme.id, payload }: { email?: string; tenantId?: string; payload?: object } = {}) {
  return t.app.inject({
    method,
    url,
    // Signed in with two-step verification: the settings test turns Acme's "MFA required" on.
    headers: { authorization: `Bearer ${await t.tokenFor(email, { amr: ['pwd', 'otp'] })}`, 'x-tenant-id': tenantId },
    ...(payload ? { payload } : {}),
  });
}

const audit = (action: string) =>
  platformRows<{ actor_email: string | null; target_id: string; target_name: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }>(
    t.database.db,
    sql`SELECT actor_email, target_id, target_name, before, after FROM audit_logs WHERE action = ${action} ORDER BY created_at, id`,
  );
const events = (type: string) =>
  platformRows<{ tenant_id: string; payload: Record<string, unknown> }>(t.database.db, sql`SELECT tenant_id, payload FROM domain_events WHERE type = ${type} ORDER BY seq`);
const paths = (body: string) => (JSON.parse(body) as { errors?: { path: string }[] }).errors?.map((e) => e.path) ?? [];

describe('organization profile (acceptance 1)', () => {
  it('lets an admin edit the profile and audits only the changed fields, before and after', async () => {
    const before = (await call('GET', '/organization')).json() as OrganizationProfile;
    expect(before).toMatchObject({ id: acme.id, name: 'Acme Corp', billingEmail: null, address: { country: null } });

    const res = await call('PATCH', '/organization', {
      payload: {
        legalName: '  Acme Corporation GmbH ',
        billingEmail: 'Billing@Acme.Example',
        address: { line1: 'Hauptstr. 1', city: 'Berlin', postalCode: '10115', country: 'de' },
        taxId: 'DE123456789',
        website: 'https://acme.example',
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const saved = res.json() as OrganizationProfile;
    expect(saved).toMatchObject({
      name: 'Acme Corp',
      legalName: 'Acme Corporation GmbH',
      billingEmail: 'billing@acme.example',
      address: { line1: 'Hauptstr. 1', line2: null, city: 'Berlin', postalCode: '10115', country: 'DE' },
      taxId: 'DE123456789',
      website: 'https://acme.example',
    });
    expect((await call('GET', '/organization', { email: 'analyst@acme.test' })).json()).toEqual(saved);

    const [entry] = await audit('organization.updated');
    expect(entry).toMatchObject({ actor_email: 'admin@acme.test', target_id: acme.id, target_name: 'Acme Corp' });
    expect(entry?.before).toEqual({ legalName: null, billingEmail: null, 'address.line1': null, 'address.city': null, 'address.postalCode': null, 'address.country': null, taxId: null, website: null });
    expect(entry?.after).toMatchObject({ legalName: 'Acme Corporation GmbH', billingEmail: 'billing@acme.example', 'address.country': 'DE', website: 'https://acme.example' });
    expect(Object.keys(entry?.after ?? {})).not.toContain('name');
    const [event] = await events('organization.updated');
    expect(event).toMatchObject({ tenant_id: acme.id, payload: { section: 'profile', actorEmail: 'admin@acme.test' } });

    // A rename reaches the tenant (switcher, GET /tenants/current); a change is audited alone.
    const renamed = await call('PATCH', '/organization', { payload: { name: 'Acme Industries', website: null } });
    expect(renamed.json()).toMatchObject({ name: 'Acme Industries', website: null, billingEmail: 'billing@acme.example' });
    expect((await call('GET', '/tenants/current')).json()).toMatchObject({ name: 'Acme Industries' });
    const entries = await audit('organization.updated');
    expect(entries).toHaveLength(2);
    expect(entries[1]?.before).toEqual({ name: 'Acme Corp', website: 'https://acme.example' });
    expect(entries[1]?.after).toEqual({ name: 'Acme Industries', website: null });
  });

  it('refuses analysts and engineers (403) and changes nothing', async () => {
    for (const email of ['analyst@acme.test', 'engineer@acme.test']) {
      const res = await call('PATCH', '/organization', { email, payload: { name: 'Hijacked' } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect((await call('PATCH', '/settings', { email, payload: { mfaRequired: true } })).statusCode).toBe(403);
    }
    expect((await call('GET', '/organization')).json()).toMatchObject({ name: 'Acme Industries' });
  });

  it('names each invalid field in problem+json errors[]', async () => {
    const res = await call('PATCH', '/organization', {
      payload: { name: 'A', billingEmail: 'not-an-email', address: { country: 'XX' }, website: 'ftp://acme.example', taxId: '!' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(paths(res.body).sort()).toEqual(['body.address.country', 'body.billingEmail', 'body.name', 'body.taxId', 'body.website']);
    expect((await call('PATCH', '/organization', { payload: { unknownField: 1 } })).statusCode).toBe(400);
  });
});

describe('organization settings (acceptance 1)', () => {
  it('answers the defaults, lets an admin change them and audits the changed fields', async () => {
    const defaults = (await call('GET', '/settings', { email: 'analyst@acme.test' })).json() as OrganizationSettings;
    expect(defaults).toEqual({ timezone: 'UTC', locale: 'en-US', dateFormat: 'YYYY-MM-DD', sessionTimeoutMinutes: 60, mfaRequired: false, allowedSignupDomains: [], defaultRole: 'analyst' });
    const res = await call('PATCH', '/settings', {
      payload: { timezone: 'Europe/Berlin', locale: 'de-DE', dateFormat: 'DD.MM.YYYY', sessionTimeoutMinutes: 120, mfaRequired: true, allowedSignupDomains: ['Acme.Example'], defaultRole: 'engineer' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ timezone: 'Europe/Berlin', locale: 'de-DE', dateFormat: 'DD.MM.YYYY', sessionTimeoutMinutes: 120, mfaRequired: true, allowedSignupDomains: ['acme.example'], defaultRole: 'engineer' });
    const again = await call('PATCH', '/settings', { payload: { sessionTimeoutMinutes: 30 } });
    expect(again.json()).toMatchObject({ sessionTimeoutMinutes: 30, timezone: 'Europe/Berlin' });
    const entries = await audit('settings.updated');
    expect(entries).toHaveLength(2);
    expect(entries[0]?.before).toMatchObject({ timezone: 'UTC', mfaRequired: false, defaultRole: 'analyst' });
    expect(entries[1]).toMatchObject({ actor_email: 'admin@acme.test', before: { sessionTimeoutMinutes: 120 }, after: { sessionTimeoutMinutes: 30 } });
  });

  it('validates every field with field errors, and never makes owner the default role', async () => {
    const res = await call('PATCH', '/settings', {
      payload: { timezone: 'Mars/Olympus', locale: 'not a locale!', dateFormat: 'YY', sessionTimeoutMinutes: 2, mfaRequired: 'yes', allowedSignupDomains: ['not a domain'], defaultRole: 'owner' },
    });
    expect(res.statusCode).toBe(400);
    expect(new Set(paths(res.body).map((p) => p.split('.').slice(0, 2).join('.')))).toEqual(
      new Set(['body.timezone', 'body.locale', 'body.dateFormat', 'body.sessionTimeoutMinutes', 'body.mfaRequired', 'body.allowedSignupDomains', 'body.defaultRole']),
    );
    expect((await call('PATCH', '/settings', { payload: { sessionTimeoutMinutes: 1441 } })).statusCode).toBe(400);
    expect((await call('GET', '/settings')).json()).toMatchObject({ sessionTimeoutMinutes: 30, defaultRole: 'engineer' });
  });
});

describe('verified domains (acceptance 2)', () => {
  let domain: OrganizationDomain;

  it('normalises an added domain and shows the TXT record to publish', async () => {
    const res = await call('POST', '/organization/domains', { payload: { domain: '  HTTPS://Acme.Example:443/login?x=1 ' } });
    expect(res.statusCode, res.body).toBe(201);
    domain = res.json() as OrganizationDomain;
    expect(domain).toMatchObject({ domain: 'acme.example', status: 'pending', verifiedAt: null, lastCheckedAt: null });
    expect(domain.verificationRecord).toEqual({ type: 'TXT', name: '_cbp-verification.acme.example', value: expect.stringMatching(/^cbp-verify-[0-9a-f]{40}$/) });
    expect((await call('GET', '/organization/domains', { email: 'analyst@acme.test' })).json()).toEqual({ data: [domain] });
    expect((await audit('domain.added'))[0]).toMatchObject({ actor_email: 'admin@acme.test', target_name: 'acme.example' });
    expect((await call('POST', '/organization/domains', { payload: { domain: 'acme.example.' } })).statusCode).toBe(409);
  });

  it('keeps the domain pending with the check time and a reason while DNS does not serve the token', async () => {
    const res = await call('POST', `/organization/domains/${domain.id}/verify`);
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json() as VerifyDomainResult;
    expect(result.verified).toBe(false);
    expect(result.message).toMatch(/No TXT record _cbp-verification\.acme\.example/);
    expect(result.domain).toMatchObject({ status: 'pending', lastCheckMessage: result.message });
    expect(result.domain.lastCheckedAt).not.toBeNull();
    expect(dns.questions).toContain('_cbp-verification.acme.example');

    dns.setTxt('_cbp-verification.acme.example', ['some-other-token']);
    const wrong = (await call('POST', `/organization/domains/${domain.id}/verify`)).json() as VerifyDomainResult;
    expect(wrong).toMatchObject({ verified: false, domain: { status: 'pending' } });
    expect(wrong.message).toMatch(/does not hold the verification token/);
  });

  it('turns verified once the DNS server serves the token (audited, event raised)', async () => {
    dns.setTxt('_cbp-verification.acme.example', ['v=spf1 -all', domain.verificationRecord.value]);
    const res = await call('POST', `/organization/domains/${domain.id}/verify`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ verified: true, domain: { status: 'verified', domain: 'acme.example' } });
    expect((res.json() as VerifyDomainResult).domain.verifiedAt).not.toBeNull();
    expect((await audit('domain.verified'))[0]).toMatchObject({ actor_email: 'admin@acme.test', target_id: domain.id, after: { status: 'verified' } });
    expect(await events('organization.domain_verified')).toEqual([{ tenant_id: acme.id, payload: expect.objectContaining({ domainId: domain.id, domain: 'acme.example' }) }]);
  });

  it('refuses a malformed domain with a field error (400)', async () => {
    for (const input of ['not a domain', 'localhost', '192.168.1.10', 'exa_mple.com', '-bad-.example', 'https://']) {
      const res = await call('POST', '/organization/domains', { payload: { domain: input } });
      expect(res.statusCode, input).toBe(400);
      expect(paths(res.body), input).toEqual(['body.domain']);
    }
  });

  it('turns an internationalised name into punycode', async () => {
    const res = await call('POST', '/organization/domains', { payload: { domain: 'Bücher.Example.' } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ domain: 'xn--bcher-kva.example', verificationRecord: { name: '_cbp-verification.xn--bcher-kva.example' } });
  });

  it('does not let Globex claim a domain Acme verified (409)', async () => {
    const res = await call('POST', '/organization/domains', { email: 'owner@globex.test', tenantId: globex.id, payload: { domain: 'ACME.example' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'CONFLICT', detail: 'acme.example is already verified by another organization.' });
  });

  it("does not let a second organization verify a domain another verified first, even if it added it while pending", async () => {
    const mine = (await call('POST', '/organization/domains', { payload: { domain: 'shared.example' } })).json() as OrganizationDomain;
    const theirs = (await call('POST', '/organization/domains', { email: 'owner@globex.test', tenantId: globex.id, payload: { domain: 'shared.example' } })).json() as OrganizationDomain;
    dns.setTxt('_cbp-verification.shared.example', [mine.verificationRecord.value, theirs.verificationRecord.value]);
    expect((await call('POST', `/organization/domains/${mine.id}/verify`)).json()).toMatchObject({ verified: true });
    const res = await call('POST', `/organization/domains/${theirs.id}/verify`, { email: 'owner@globex.test', tenantId: globex.id });
    expect(res.statusCode).toBe(409);
    expect((await call('GET', '/organization/domains', { email: 'owner@globex.test', tenantId: globex.id })).json()).toMatchObject({
      data: [{ domain: 'shared.example', status: 'pending' }],
    });
  });

  it("keeps Acme's domains invisible to Globex: not listed, not verifiable, not removable (404)", async () => {
    const globexList = (await call('GET', '/organization/domains', { email: 'owner@globex.test', tenantId: globex.id })).json() as { data: OrganizationDomain[] };
    expect(globexList.data.map((d) => d.domain)).not.toContain('acme.example');
    expect((await call('POST', `/organization/domains/${domain.id}/verify`, { email: 'owner@globex.test', tenantId: globex.id })).statusCode).toBe(404);
    const del = await call('DELETE', `/organization/domains/${domain.id}`, { email: 'owner@globex.test', tenantId: globex.id });
    expect(del.statusCode).toBe(404);
    expect(del.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await call('GET', '/organization/domains')).json()).toMatchObject({ data: expect.arrayContaining([expect.objectContaining({ id: domain.id, status: 'verified' })]) });
  });

  it('lets only admins add, verify and remove domains; removal is audited', async () => {
    expect((await call('POST', '/organization/domains', { email: 'engineer@acme.test', payload: { domain: 'eng.example' } })).statusCode).toBe(403);
    expect((await call('POST', `/organization/domains/${domain.id}/verify`, { email: 'analyst@acme.test' })).statusCode).toBe(403);
    expect((await call('DELETE', `/organization/domains/${domain.id}`, { email: 'analyst@acme.test' })).statusCode).toBe(403);
    const del = await call('DELETE', `/organization/domains/${domain.id}`);
    expect(del.statusCode).toBe(204);
    expect(((await call('GET', '/organization/domains')).json() as { data: OrganizationDomain[] }).data.map((d) => d.domain)).not.toContain('acme.example');
    expect((await audit('domain.removed'))[0]).toMatchObject({ actor_email: 'admin@acme.test', target_name: 'acme.example', before: { status: 'verified' } });
    // Released: Globex may claim it now.
    expect((await call('POST', '/organization/domains', { email: 'owner@globex.test', tenantId: globex.id, payload: { domain: 'acme.example' } })).statusCode).toBe(201);
  });
});

describe('OpenAPI', () => {
  it('documents the organization routes with their request schemas', async () => {
    const res = await t.app.inject({ url: '/docs' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/organization', '/settings', '/organization/domains', '/organization/domains/{id}/verify', '/organization/domains/{id}']));
    expect(doc.paths['/organization']?.patch?.requestBody).toBeDefined();
    expect(doc.paths['/settings']?.patch?.requestBody).toBeDefined();
  });
});
