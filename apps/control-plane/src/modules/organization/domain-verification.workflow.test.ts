import { sql } from 'drizzle-orm';
import type { OrganizationDomain, WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type TestDnsServer } from '../../../test/dns-server.js';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';
import { domainVerificationWorkflowId } from './domains.service.js';

// The `organization.domain-verification` workflow with short intervals: checks every 150 ms for
// 1.2 s (production: every hour for 72 h), the engine polling every 25 ms, real DNS lookups
// against the loopback server.

let t: TestContext;
let dns: TestDnsServer;
beforeAll(async () => {
  dns = await startDnsServer();
  t = await createTestContext({
    DNS_RESOLVER: dns.address,
    WORKFLOW_POLL_INTERVAL_MS: '25',
    DOMAIN_VERIFICATION_INTERVAL_MS: '150',
    DOMAIN_VERIFICATION_WINDOW_MS: '1200',
  });
});
afterAll(async () => {
  await t.close();
  await dns.close();
});

async function call(method: 'GET' | 'POST', url: string, payload?: object) {
  return t.app.inject({ method, url, headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id }, ...(payload ? { payload } : {}) });
}

async function domainNamed(name: string): Promise<OrganizationDomain | undefined> {
  return ((await call('GET', '/organization/domains')).json() as { data: OrganizationDomain[] }).data.find((d) => d.domain === name);
}

/** Polls until the domain leaves `pending` (generous bound: the schedule ends after 1.2 s). */
async function settled(name: string, timeoutMs = 15_000): Promise<OrganizationDomain> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = await domainNamed(name);
    if (d && d.status !== 'pending') return d;
    if (Date.now() > until) throw new Error(`${name} still pending: ${JSON.stringify(d)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function runOf(domainId: string): Promise<WorkflowStatusDetail> {
  const [row] = await platformRows<{ id: string }>(t.database.db, sql`SELECT id FROM workflow_runs WHERE workflow_id = ${domainVerificationWorkflowId(domainId)}`);
  const res = await t.app.inject({ url: `/workflows/${row?.id ?? ''}/status`, headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id } });
  return res.json() as WorkflowStatusDetail;
}

describe('domain verification workflow', () => {
  it('verifies a pending domain by itself once its TXT record appears', async () => {
    const added = (await call('POST', '/organization/domains', { domain: 'later.example' })).json() as OrganizationDomain;
    // The record is published after the domain was added: a later re-check finds it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    dns.setTxt(added.verificationRecord.name, [added.verificationRecord.value]);
    const done = await settled('later.example');
    expect(done).toMatchObject({ status: 'verified', failureReason: null });
    const [entry] = await platformRows<{ actor_type: string }>(t.database.db, sql`SELECT actor_type FROM audit_logs WHERE action = 'domain.verified' AND target_id = ${added.id}`);
    expect(entry).toEqual({ actor_type: 'system' });
    const run = await runOf(added.id);
    expect(run.status).toBe('completed');
    expect(run.steps.map((s) => s.name)).toContain('wait-1');
  });

  it('marks a domain failed, with the reason, when no record appears within the window', async () => {
    const added = (await call('POST', '/organization/domains', { domain: 'never.example' })).json() as OrganizationDomain;
    const done = await settled('never.example');
    expect(done.status).toBe('failed');
    expect(done.failureReason).toMatch(/No TXT record _cbp-verification\.never\.example .*was found within/);
    expect(done.lastCheckedAt).not.toBeNull();
    const run = await runOf(added.id);
    expect(run.status).toBe('completed');
    expect(run.steps.filter((s) => s.name.startsWith('lookup-'))).toHaveLength(8);
    expect(run.steps.at(-1)?.name).toBe('mark-failed');

    // Publishing later and verifying by hand still works.
    dns.setTxt(added.verificationRecord.name, [added.verificationRecord.value]);
    const verified = await call('POST', `/organization/domains/${added.id}/verify`);
    expect(verified.json()).toMatchObject({ verified: true, domain: { status: 'verified', failureReason: null } });
  });
});
