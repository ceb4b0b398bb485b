import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';

// GET /invoices answers from memory while the tenant's invoices are unchanged (issue 18,
// platform/read-cache.ts, migration 0042). These tests change invoices behind the API's back
// (SQL on another connection, as another API copy, a webhook or a workflow would) right after
// the list was read, and expect the very next read to show the change.

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

interface Line {
  id: string;
  description: string;
}
interface Invoice {
  id: string;
  number: string;
  status: string;
  amountDue: number;
  lines: Line[];
}
interface Page {
  data: Invoice[];
  total: number;
}

async function list(url: string, tenant: string = acme.id): Promise<Page> {
  const owner = tenant === globex.id ? 'owner@globex.test' : 'owner@acme.test';
  const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await t.tokenFor(owner)}`, 'x-tenant-id': tenant } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Page;
}

/** Reads the list twice (the second answer may come from memory) and returns it. */
async function listTwice(url: string, tenant: string = acme.id): Promise<Page> {
  const first = await list(url, tenant);
  expect(await list(url, tenant)).toEqual(first);
  return first;
}

describe('GET /invoices after a change to the invoices', () => {
  it('shows an invoice paid elsewhere as paid, and drops it from the open ones', async () => {
    const open = await listTwice('/invoices?status=open');
    const invoice = open.data[0];
    if (!invoice) throw new Error('no open invoice in the demo data');
    await listTwice('/invoices');

    await t.ownerScript(`UPDATE invoices SET status = 'paid', amount_paid = amount_due, paid_at = now() WHERE id = '${invoice.id}'`);

    const all = await list('/invoices');
    expect(all.data.find((i) => i.id === invoice.id)).toMatchObject({ status: 'paid', amountDue: 0 });
    const stillOpen = await list('/invoices?status=open');
    expect(stillOpen.data.map((i) => i.id)).not.toContain(invoice.id);
    expect(stillOpen.total).toBe(open.total - 1);
  });

  it('shows a changed, removed or added line', async () => {
    const before = await listTwice('/invoices');
    const invoice = before.data.find((i) => i.lines.length > 1);
    const [first, second] = invoice?.lines ?? [];
    if (!invoice || !first || !second) throw new Error('no invoice with two lines in the demo data');

    await t.ownerScript(`UPDATE invoice_lines SET description = 'Renamed line' WHERE id = '${first.id}'`);
    const renamed = (await listTwice('/invoices')).data.find((i) => i.id === invoice.id);
    expect(renamed?.lines.map((l) => l.description)).toContain('Renamed line');

    await t.ownerScript(`DELETE FROM invoice_lines WHERE id = '${second.id}'`);
    const fewer = (await listTwice('/invoices')).data.find((i) => i.id === invoice.id);
    expect(fewer?.lines.map((l) => l.id)).toEqual(invoice.lines.map((l) => l.id).filter((id) => id !== second.id));

    await t.ownerScript(`INSERT INTO invoices (tenant_id, gateway_invoice_id, number, status, currency, subtotal, amount_due, amount_paid, period_start, period_end)
      VALUES ('${acme.id}', 'in_cache_test', 'CACHE-0001', 'open', 'usd', 1200, 1200, 0, now(), now() + interval '1 month')`);
    const added = await list('/invoices?limit=100');
    expect(added.total).toBe(before.total + 1);
    expect(added.data.map((i) => i.number)).toContain('CACHE-0001');
  });

  it('keeps each tenant to its own invoices, and a change to one leaves the other as it was', async () => {
    const acmePage = await listTwice('/invoices?limit=100', acme.id);
    const globexPage = await listTwice('/invoices?limit=100', globex.id);
    const acmeIds = new Set(acmePage.data.map((i) => i.id));
    expect(globexPage.data.some((i) => acmeIds.has(i.id))).toBe(false);

    await t.ownerScript(`UPDATE invoice_lines SET description = 'Only Acme' WHERE tenant_id = '${acme.id}'`);
    expect((await list('/invoices?limit=100', acme.id)).data.flatMap((i) => i.lines.map((l) => l.description))).toContain('Only Acme');
    expect(await list('/invoices?limit=100', globex.id)).toEqual(globexPage);
  });
});
