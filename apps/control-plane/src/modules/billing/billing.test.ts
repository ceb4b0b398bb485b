import { execFile } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { addMonth } from '../../adapters/payments/proration.js';
import { platformRows } from '../../platform/db.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

type Method = 'GET' | 'POST';
async function call(method: Method, url: string, email: string, tenantId: string, payload?: object) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
    ...(payload ? { payload } : {}),
  });
}

async function planId(name: string): Promise<string> {
  const res = await call('GET', '/plans', 'analyst@acme.test', acme.id);
  if (res.statusCode !== 200) throw new Error(`GET /plans: ${res.body}`);
  const plans = res.json() as { id: string; name: string }[];
  const plan = plans.find((p) => p.name === name);
  if (!plan) throw new Error(`no plan ${name}`);
  return plan.id;
}

const auditRows = (action: string) =>
  platformRows<{ tenant_id: string; before: Record<string, unknown>; after: Record<string, unknown>; actor_email: string }>(
    t.database.db,
    sql`SELECT tenant_id, before, after, actor_email FROM audit_logs WHERE action = ${action} ORDER BY created_at`,
  );

describe('subscription', () => {
  it('shows Acme on Pro, active, in the current monthly period', async () => {
    const res = await call('GET', '/subscriptions/current', 'analyst@acme.test', acme.id);
    expect(res.statusCode).toBe(200);
    const sub = res.json();
    expect(sub).toMatchObject({ status: 'active', cancelAtPeriodEnd: false, trialEnd: null, plan: { name: 'Pro', priceMonthly: 19_900 } });
    const start = new Date(sub.currentPeriodStart);
    expect(start.getTime()).toBeLessThanOrEqual(Date.now());
    expect(sub.currentPeriodEnd).toBe(addMonth(start).toISOString());
  });

  it('previews a downgrade as a credit for unused Pro time and a charge for Starter time, changing nothing', async () => {
    const res = await call('GET', `/subscriptions/preview-change?planId=${await planId('Starter')}`, 'analyst@acme.test', acme.id);
    expect(res.statusCode).toBe(200);
    const preview = res.json();
    expect(preview.direction).toBe('downgrade');
    const [credit, charge] = preview.lines;
    expect(credit.description).toMatch(/^Unused time on Pro after/);
    expect(charge.description).toMatch(/^Remaining time on Starter after/);
    expect(credit.amount).toBeLessThan(0);
    expect(charge.amount).toBeGreaterThan(0);
    // both proportional to the same remaining fraction of the period
    expect(Math.abs(Math.abs(charge.amount / credit.amount) - 4_900 / 19_900)).toBeLessThan(0.01);
    expect(preview.prorationAmount).toBe(credit.amount + charge.amount);
    expect(preview.nextInvoiceAmount).toBe(Math.max(0, 4_900 + preview.prorationAmount));
    const sub = (await call('GET', '/subscriptions/current', 'analyst@acme.test', acme.id)).json();
    expect(sub.plan.name).toBe('Pro');
  });

  it('lists the Free plan limits Acme is above, and refuses the downgrade while it has more members than seats', async () => {
    const free = await planId('Free');
    const starterId = await planId('Starter');
    const usage = (await call('GET', '/usage/status', 'analyst@acme.test', acme.id)).json() as { metricType: string; currentUsage: number }[];
    const apiCalls = usage.find((s) => s.metricType === 'api_calls')?.currentUsage ?? 0;
    const preview = (await call('GET', `/subscriptions/preview-change?planId=${free}`, 'owner@acme.test', acme.id)).json();
    expect(preview.allowed).toBe(false);
    const byMetric = new Map((preview.limitImpacts as { metricType: string; outcome: string; current: number; message: string }[]).map((i) => [i.metricType, i]));
    expect(byMetric.get('users')).toMatchObject({
      outcome: 'refused',
      current: 4,
      message: '4 active members; the Free plan allows 3. Remove or suspend 1 member first.',
    });
    // The demo's Acme is far above Free's 10,000 API calls a period: blocked from the next period.
    expect(apiCalls).toBeGreaterThan(150_000);
    expect(byMetric.get('api_calls')).toMatchObject({ outcome: 'blocked', current: apiCalls });

    const refused = await call('POST', '/subscriptions/change-plan', 'owner@acme.test', acme.id, { planId: free, prorationDate: preview.prorationDate });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'PLAN_LIMITS_EXCEEDED', detail: '4 active members; the Free plan allows 3. Remove or suspend 1 member first.' });
    expect((await call('GET', '/subscriptions/current', 'analyst@acme.test', acme.id)).json().plan.name).toBe('Pro');
    expect(await auditRows('subscription.plan_changed')).toHaveLength(0);

    // With one member suspended the seats fit; the usage outcomes stay (they never refuse).
    const analyst = '00000000-0000-4000-8000-000000000a01';
    const suspend = async (status: string) =>
      t.app.inject({
        method: 'PATCH',
        url: `/users/${analyst}/status`,
        headers: { authorization: `Bearer ${await t.tokenFor('owner@acme.test')}`, 'x-tenant-id': acme.id },
        payload: { status },
      });
    expect((await suspend('suspended')).statusCode).toBe(200);
    try {
      const fits = (await call('GET', `/subscriptions/preview-change?planId=${free}`, 'owner@acme.test', acme.id)).json();
      expect(fits.allowed).toBe(true);
      expect((fits.limitImpacts as { metricType: string }[]).some((i) => i.metricType === 'users')).toBe(false);
      const starter = (await call('GET', `/subscriptions/preview-change?planId=${starterId}`, 'owner@acme.test', acme.id)).json();
      // Starter has seats for everyone, but stops API calls at 150,000 a period.
      expect(starter.allowed).toBe(true);
      const starterImpacts = new Map((starter.limitImpacts as { metricType: string; outcome: string }[]).map((i) => [i.metricType, i.outcome]));
      expect(starterImpacts.has('users')).toBe(false);
      expect(starterImpacts.get('api_calls')).toBe('blocked');
    } finally {
      expect((await suspend('active')).statusCode).toBe(200);
    }
  });

  it('refuses a plan change to anyone but an owner, and changes nothing', async () => {
    const starter = await planId('Starter');
    for (const email of ['analyst@acme.test', 'engineer@acme.test', 'admin@acme.test']) {
      const res = await call('POST', '/subscriptions/change-plan', email, acme.id, { planId: starter });
      expect({ email, status: res.statusCode }).toEqual({ email, status: 403 });
    }
    expect((await call('GET', '/subscriptions/current', 'analyst@acme.test', acme.id)).json().plan.name).toBe('Pro');
    expect(await auditRows('subscription.plan_changed')).toEqual([]);
  });

  it('answers clear errors to bad plan changes', async () => {
    const same = await call('POST', '/subscriptions/change-plan', 'owner@acme.test', acme.id, { planId: await planId('Pro') });
    expect(same.statusCode).toBe(422);
    expect(same.json().code).toBe('SAME_PLAN');
    const unknown = await call('POST', '/subscriptions/change-plan', 'owner@acme.test', acme.id, {
      planId: '00000000-0000-4000-8000-0000000000ff',
    });
    expect(unknown.statusCode).toBe(404);
    const invalid = await call('POST', '/subscriptions/change-plan', 'owner@acme.test', acme.id, { planId: 'starter' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors).toEqual([expect.objectContaining({ path: 'body.planId' })]);
    const stale = await call('POST', '/subscriptions/change-plan', 'owner@acme.test', acme.id, {
      planId: await planId('Starter'),
      prorationDate: '2020-01-01T00:00:00.000Z',
    });
    expect(stale.statusCode).toBe(422);
    expect(stale.json().code).toBe('PRORATION_DATE_OUT_OF_RANGE');
  });

  it('lets the owner downgrade to Starter at the previewed proration, with the audit entry', async () => {
    const starter = await planId('Starter');
    const preview = (await call('GET', `/subscriptions/preview-change?planId=${starter}`, 'owner@acme.test', acme.id)).json();
    const res = await call('POST', '/subscriptions/change-plan', 'owner@acme.test', acme.id, {
      planId: starter,
      prorationDate: preview.prorationDate,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().plan.name).toBe('Starter');
    const tenant = (await call('GET', '/tenants/current', 'analyst@acme.test', acme.id)).json();
    expect(tenant.planId).toBe(starter);

    const [entry] = await auditRows('subscription.plan_changed');
    expect(entry).toMatchObject({
      tenant_id: acme.id,
      actor_email: 'owner@acme.test',
      before: { plan: 'Pro' },
      after: { plan: 'Starter' },
    });

    const upcoming = (await call('GET', '/invoices/upcoming', 'analyst@acme.test', acme.id)).json();
    expect(upcoming.lines.map((l: { amount: number }) => l.amount)).toEqual([4_900, ...preview.lines.map((l: { amount: number }) => l.amount)]);
    expect(upcoming.amountDue).toBe(preview.nextInvoiceAmount);
  });

  it('cancels at period end and resumes, each once in the audit trail', async () => {
    const cancelled = await call('POST', '/subscriptions/cancel', 'owner@acme.test', acme.id);
    expect(cancelled.json().cancelAtPeriodEnd).toBe(true);
    await call('POST', '/subscriptions/cancel', 'owner@acme.test', acme.id);
    const resumed = await call('POST', '/subscriptions/resume', 'owner@acme.test', acme.id);
    expect(resumed.json().cancelAtPeriodEnd).toBe(false);
    expect(await auditRows('subscription.cancel_scheduled')).toHaveLength(1);
    expect(await auditRows('subscription.resumed')).toHaveLength(1);
  });
});

describe('invoices', () => {
  it('lists six paid months and one open invoice for Acme, newest first, with their lines', async () => {
    const res = await call('GET', '/invoices?limit=100', 'analyst@acme.test', acme.id);
    expect(res.statusCode).toBe(200);
    const { data, total } = res.json();
    expect(total).toBe(7);
    expect(data.map((i: { status: string }) => i.status)).toEqual(['open', 'paid', 'paid', 'paid', 'paid', 'paid', 'paid']);
    expect(data[0].number).toBe('ACME-0007');
    for (const invoice of data) {
      expect(invoice.lines.some((l: { kind: string }) => l.kind === 'subscription')).toBe(true);
      expect(invoice.subtotal).toBe(invoice.lines.reduce((s: number, l: { amount: number }) => s + l.amount, 0));
    }
    expect(data.some((i: { lines: { kind: string; amount: number }[] }) => i.lines.some((l) => l.kind === 'usage' && l.amount > 0))).toBe(true);
  });

  it('filters by status and pages', async () => {
    const open = (await call('GET', '/invoices?status=open', 'analyst@acme.test', acme.id)).json();
    expect(open.total).toBe(1);
    const page2 = (await call('GET', '/invoices?limit=3&page=2', 'analyst@acme.test', acme.id)).json();
    expect(page2.data.map((i: { number: string }) => i.number)).toEqual(['ACME-0004', 'ACME-0003', 'ACME-0002']);
    // The total comes with the page (one statement); a page past the end still says how many there are.
    const all = (await call('GET', '/invoices?limit=100', 'analyst@acme.test', acme.id)).json();
    expect(page2.total).toBe(all.data.length);
    const beyond = (await call('GET', '/invoices?limit=3&page=9', 'analyst@acme.test', acme.id)).json();
    expect(beyond).toEqual({ data: [], total: all.data.length });
    expect((await call('GET', '/invoices?status=void', 'analyst@acme.test', acme.id)).json()).toEqual({ data: [], total: 0 });
    const bad = await call('GET', '/invoices?status=unpaid', 'analyst@acme.test', acme.id);
    expect(bad.statusCode).toBe(400);
  });

  it("serves a PDF that a PDF reader opens, and hides Acme's invoices from Globex", async () => {
    const [first] = (await call('GET', '/invoices', 'analyst@acme.test', acme.id)).json().data;
    const pdf = await call('GET', `/invoices/${first.id}/pdf`, 'analyst@acme.test', acme.id);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`attachment; filename="invoice-${first.number}.pdf"`);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    const dir = await mkdtemp(path.join(tmpdir(), 'cbp-pdf-'));
    await writeFile(path.join(dir, 'invoice.pdf'), pdf.rawPayload);
    await promisify(execFile)('pdftoppm', ['-png', '-r', '50', path.join(dir, 'invoice.pdf'), path.join(dir, 'page')]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(1);
    const { stdout } = await promisify(execFile)('pdftotext', [path.join(dir, 'invoice.pdf'), '-']);
    expect(stdout).toContain(first.number);
    expect(stdout).toContain('Acme Corp');

    for (const url of [`/invoices/${first.id}/pdf`, `/invoices/${first.id}`]) {
      const asGlobex = await call('GET', url, 'owner@globex.test', globex.id);
      expect({ url, status: asGlobex.statusCode }).toEqual({ url, status: 404 });
    }
  });

  it("keeps Globex's own invoices to Globex", async () => {
    const { data, total } = (await call('GET', '/invoices', 'owner@globex.test', globex.id)).json();
    expect(total).toBe(5);
    expect(data.every((i: { number: string }) => i.number.startsWith('GLOBEX-'))).toBe(true);
  });
});

describe('renewal on the local gateway clock', () => {
  it('brings the new period and its invoice into what the API serves', async () => {
    const local = t.app.payments.local;
    if (!local) throw new Error('the tests run on the local gateway');
    const before = (await call('GET', '/subscriptions/current', 'analyst@acme.test', acme.id)).json();
    await local.advanceClock(new Date(new Date(before.currentPeriodEnd).getTime() + 60_000));
    await local.deliverEvents();

    const after = (await call('GET', '/subscriptions/current', 'analyst@acme.test', acme.id)).json();
    expect(after.currentPeriodStart).toBe(before.currentPeriodEnd);
    // the credit from the downgrade to Starter covers the renewal: nothing is due, it is paid
    expect(after.status).toBe('active');
    const { data, total } = (await call('GET', '/invoices', 'analyst@acme.test', acme.id)).json();
    expect(total).toBe(8);
    expect(data[0]).toMatchObject({ status: 'paid', amountDue: 0, number: expect.stringMatching(/^ACME[0-9A-F]{4}-0001$/) });
    expect(data[0].lines.map((l: { kind: string }) => l.kind)).toEqual(['subscription', 'proration', 'proration']);
    expect(data[0].lines[0]).toMatchObject({ kind: 'subscription', amount: 4_900 });
  });
});
