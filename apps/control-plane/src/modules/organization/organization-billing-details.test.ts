import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import type { Invoice } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

// Issue 15, acceptance 1: the billing email and address of the organization profile reach the
// payment gateway's customer (an event handler after the commit) and the next invoice's PDF.

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25' });
});
afterAll(() => t.close());

async function call(method: 'GET' | 'PATCH', url: string, { email = 'admin@acme.test', tenantId = acme.id, payload }: { email?: string; tenantId?: string; payload?: object } = {}) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
    ...(payload ? { payload } : {}),
  });
}

async function pdfText(pdf: Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cbp-billing-details-'));
  await writeFile(path.join(dir, 'invoice.pdf'), pdf);
  const { stdout } = await promisify(execFile)('pdftotext', ['-layout', path.join(dir, 'invoice.pdf'), '-']);
  return stdout;
}

const customerIdOf = async (tenantId: string) =>
  (await platformRows<{ customer_id: string }>(t.database.db, sql`SELECT customer_id FROM billing_customers WHERE tenant_id = ${tenantId}`))[0]?.customer_id;

/** Waits until `check` holds (generous bound: the workflow engine polls every 25 ms). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > until) throw new Error(`still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const syncRuns = async () =>
  (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM workflow_runs WHERE type = 'organization.gateway-customer-sync'`))[0]?.n ?? 0;

const profile = {
  legalName: 'Acme Corporation Ltd',
  billingEmail: 'Accounts@Acme.test',
  address: { line1: '1 Road Runner Way', line2: 'Suite 9', city: 'Phoenix', postalCode: '85001', region: 'AZ', country: 'US' },
  taxId: 'US-99-1234567',
};

describe('billing details from the organization profile', () => {
  it('updates the gateway customer after the change commits, and the next invoice PDF bills the new email and address', async () => {
    const local = t.app.payments.local;
    if (!local) throw new Error('the tests run on the local gateway');
    const customerId = await customerIdOf(acme.id);
    if (!customerId) throw new Error('acme has no gateway customer');
    const globexCustomer = await customerIdOf(globex.id);
    const globexBefore = globexCustomer ? await local.customer(globexCustomer) : null;

    expect((await call('PATCH', '/organization', { payload: profile })).statusCode).toBe(200);
    // Not inside the request: the customer changes when the domain event is delivered.
    expect((await local.customer(customerId)).email).not.toBe('accounts@acme.test');
    await t.app.events.drain();
    const customer = await eventually(
      () => local.customer(customerId),
      (c) => c.email === 'accounts@acme.test',
    );
    expect(customer).toMatchObject({
      name: 'Acme Corporation Ltd',
      email: 'accounts@acme.test',
      address: { line1: '1 Road Runner Way', line2: 'Suite 9', city: 'Phoenix', postalCode: '85001', state: 'AZ', country: 'US' },
      metadata: { tax_id: 'US-99-1234567' },
    });
    // Another tenant's customer is untouched.
    if (globexCustomer) expect(await local.customer(globexCustomer)).toEqual(globexBefore);

    // The next issued invoice: the renewal at the end of the current period.
    const sub = (await call('GET', '/subscriptions/current')).json() as { currentPeriodEnd: string };
    await local.advanceClock(new Date(new Date(sub.currentPeriodEnd).getTime() + 60_000));
    await local.deliverEvents();
    const [renewal] = ((await call('GET', '/invoices?limit=1')).json() as { data: Invoice[] }).data;
    if (!renewal) throw new Error('no renewal invoice');
    expect(new Date(renewal.periodStart).getTime()).toBe(new Date(sub.currentPeriodEnd).getTime());
    const pdf = await call('GET', `/invoices/${renewal.id}/pdf`);
    expect(pdf.statusCode).toBe(200);
    const text = await pdfText(pdf.rawPayload);
    for (const s of ['Billed to', 'Acme Corporation Ltd', 'accounts@acme.test', '1 Road Runner Way', 'Suite 9', '85001 Phoenix', 'AZ', 'Tax ID: US-99-1234567']) {
      expect(text).toContain(s);
    }

    // Issued, the invoice keeps the customer as billed then (decision 004): the invoice.issued
    // handler writes it once; a later profile edit reaches the next invoice, never this one.
    await t.app.events.drain();
    const issued = await eventually(
      async () => (await call('GET', `/invoices/${renewal.id}`)).json() as Invoice,
      (i) => i.customer !== null,
    );
    const asBilled = { name: 'Acme Corporation Ltd', email: 'accounts@acme.test', addressLines: ['1 Road Runner Way', 'Suite 9', '85001 Phoenix', 'AZ', 'US'], taxId: 'US-99-1234567' };
    expect(issued.customer).toEqual(asBilled);
    expect((await call('PATCH', '/organization', { payload: { billingEmail: 'payables@acme.test', taxId: 'US-11-7654321' } })).statusCode).toBe(200);
    await t.app.events.drain();
    expect(((await call('GET', `/invoices/${renewal.id}`)).json() as Invoice).customer).toEqual(asBilled);
    const reprinted = await pdfText((await call('GET', `/invoices/${renewal.id}/pdf`)).rawPayload);
    expect(reprinted).toContain('accounts@acme.test');
    expect(reprinted).toContain('Tax ID: US-99-1234567');
    expect(reprinted).not.toContain('payables@acme.test');

    await local.advanceClock(new Date(new Date(renewal.periodEnd).getTime() + 60_000));
    await local.deliverEvents();
    await t.app.events.drain();
    const [next] = ((await call('GET', '/invoices?limit=1')).json() as { data: Invoice[] }).data;
    if (!next || next.id === renewal.id) throw new Error('no second renewal invoice');
    const nextIssued = await eventually(
      async () => (await call('GET', `/invoices/${next.id}`)).json() as Invoice,
      (i) => i.customer !== null,
    );
    expect(nextIssued.customer).toEqual({ ...asBilled, email: 'payables@acme.test', taxId: 'US-11-7654321' });
    const nextText = await pdfText((await call('GET', `/invoices/${next.id}/pdf`)).rawPayload);
    expect(nextText).toContain('payables@acme.test');
    expect(nextText).toContain('Tax ID: US-11-7654321');
    // Globex's invoices carry Globex's customer, or none (its seeded history): never Acme's.
    const globexInvoices = ((await call('GET', '/invoices?limit=100', { email: 'owner@globex.test', tenantId: globex.id })).json() as { data: Invoice[] }).data;
    expect(globexInvoices.every((i) => i.customer === null || !JSON.stringify(i.customer).includes('acme'))).toBe(true);
  });

  it('a change of the website alone calls nothing; clearing the email clears it at the gateway', async () => {
    const local = t.app.payments.local;
    const customerId = await customerIdOf(acme.id);
    if (!local || !customerId) throw new Error('fixtures missing');
    const runs = await syncRuns();
    expect(runs).toBeGreaterThan(0);
    expect((await call('PATCH', '/organization', { payload: { website: 'https://acme.example' } })).statusCode).toBe(200);
    await t.app.events.drain();
    expect(await syncRuns()).toBe(runs);
    expect((await call('PATCH', '/organization', { payload: { billingEmail: null } })).statusCode).toBe(200);
    await t.app.events.drain();
    // Delivering again (as after a crash before the delivery commit) starts no second run.
    await t.app.events.drain();
    expect(await syncRuns()).toBe(runs + 1);
    await eventually(
      () => local.customer(customerId),
      (c) => c.email === null,
    );
  });

  it('an analyst cannot change the billing email (403): no gateway update is started', async () => {
    const runs = await syncRuns();
    expect((await call('PATCH', '/organization', { email: 'analyst@acme.test', payload: { billingEmail: 'evil@example.com' } })).statusCode).toBe(403);
    await t.app.events.drain();
    expect(await syncRuns()).toBe(runs);
  });
});
