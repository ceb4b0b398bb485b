import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatInvoiceLine, formatMinorUnits, type Invoice } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { invoicePdf } from './invoices.service.js';

// Issue 17: every invoice line bills quantity x unit price = amount in its priced unit, says what
// was used and included, and "amount due" is the same in the API, on the page and in the PDF.

const seller = { INVOICE_SELLER_NAME: 'Example Billing GmbH', INVOICE_SELLER_ADDRESS: 'Hauptstr. 1|10115 Berlin|Germany', INVOICE_SELLER_TAX_ID: 'DE123456789' };
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext(seller);
});
afterAll(() => t.close());

async function get(url: string, email = 'analyst@acme.test', tenantId: string = acme.id) {
  return t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId } });
}
async function post(url: string, payload: object, email = 'admin@acme.test') {
  return t.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': acme.id } });
}
const invoicesOf = async (email: string, tenantId: string) => ((await get('/invoices?limit=100', email, tenantId)).json() as { data: Invoice[] }).data;

/** The PDF's text, laid out as printed (label and amount on one line). */
async function pdfText(pdf: Buffer, layout = true): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cbp-money-'));
  await writeFile(path.join(dir, 'invoice.pdf'), pdf);
  const { stdout } = await promisify(execFile)('pdftotext', [...(layout ? ['-layout'] : []), path.join(dir, 'invoice.pdf'), '-']);
  return stdout;
}
const amountAfter = (text: string, label: string) => new RegExp(`${label}\\s+(-?[$€£][\\d,.]+)`).exec(text)?.[1];

function expectAddsUp(invoice: Invoice) {
  for (const line of invoice.lines) {
    expect({ number: invoice.number, line: line.description, product: line.quantity * line.unitAmount }).toEqual({
      number: invoice.number,
      line: line.description,
      product: line.amount,
    });
  }
  expect(invoice.lines.reduce((s, l) => s + l.amount, 0)).toBe(invoice.subtotal);
  expect(invoice.amountDue).toBe(invoice.status === 'void' ? 0 : Math.max(0, invoice.total - invoice.amountPaid));
}

describe('invoice lines in their priced unit', () => {
  it('bills every seeded line as quantity x unit price, e.g. ACME-0006: 7 blocks of 10,000 calls at $1.50', async () => {
    const all = [...(await invoicesOf('analyst@acme.test', acme.id)), ...(await invoicesOf('owner@globex.test', globex.id))];
    expect(all).toHaveLength(12);
    all.forEach(expectAddsUp);

    const march = all.find((i) => i.number === 'ACME-0006');
    const overage = march?.lines.find((l) => l.kind === 'usage');
    expect(overage).toMatchObject({ metricType: 'api_calls', usedQuantity: 1_065_000, includedQuantity: 1_000_000, unitSize: 10_000, quantity: 7, unitAmount: 150, amount: 1_050 });
    expect(formatInvoiceLine(overage as Invoice['lines'][number], 'usd')).toEqual({
      description: 'API calls: 1,065,000 used, 1,000,000 included, 65,000 over',
      quantity: '7 × 10,000 calls',
      unitPrice: '$1.50 per 10,000 calls',
      amount: '$10.50',
    });
    // Paid in full: total $209.50, paid $209.50, nothing due.
    expect(march).toMatchObject({ status: 'paid', subtotal: 20_950, total: 20_950, amountPaid: 20_950, amountDue: 0 });
    // Under the included calls the usage line bills 0 blocks.
    const quiet = all.find((i) => i.number === 'ACME-0001')?.lines.find((l) => l.kind === 'usage');
    expect(quiet).toMatchObject({ usedQuantity: 812_000, quantity: 0, unitAmount: 150, amount: 0 });
    // The open invoice is due in full.
    expect(all.find((i) => i.number === 'ACME-0007')).toMatchObject({ status: 'open', amountPaid: 0, amountDue: 19_900, total: 19_900 });
  });

  it('bills a freshly closed period in its priced unit on the renewal invoice', async () => {
    // The API-call and workflow periods ended yesterday: 1,234,567 calls (Pro: 1,000,000 included,
    // $1.50 per 10,000 over) and 10,025 workflow runs (10,000 included, $0.04 per 10 runs).
    await t.database.execScript(
      `UPDATE usage_quotas SET period_start = now() - interval '31 days', period_end = now() - interval '1 day',
         current_usage = CASE metric_type WHEN 'api_calls' THEN 1234567 ELSE 10025 END
       WHERE tenant_id = '${acme.id}' AND metric_type IN ('api_calls', 'workflows')`,
    );
    const reset = await post('/usage/quotas/reset', {});
    expect(reset.json()).toMatchObject({ reset: ['api_calls', 'workflows'], invoiced: ['api_calls', 'workflows'] });

    const local = t.app.payments.local;
    if (!local) throw new Error('the tests run on the local gateway');
    const sub = (await get('/subscriptions/current')).json() as { currentPeriodEnd: string };
    await local.advanceClock(new Date(new Date(sub.currentPeriodEnd).getTime() + 60_000));
    await local.deliverEvents();

    const [renewal] = await invoicesOf('analyst@acme.test', acme.id);
    if (!renewal) throw new Error('no renewal invoice');
    expectAddsUp(renewal);
    const calls = renewal.lines.find((l) => l.metricType === 'api_calls');
    // 234,567 over -> 24 started blocks of 10,000 -> $36.00
    expect(calls).toMatchObject({ kind: 'usage', usedQuantity: 1_234_567, includedQuantity: 1_000_000, unitSize: 10_000, quantity: 24, unitAmount: 150, amount: 3_600 });
    const runs = renewal.lines.find((l) => l.metricType === 'workflows');
    // 25 over -> 3 blocks of 10 runs -> $0.12
    expect(runs).toMatchObject({ kind: 'usage', usedQuantity: 10_025, includedQuantity: 10_000, unitSize: 10, quantity: 3, unitAmount: 4, amount: 12 });
    expect(formatInvoiceLine(runs as Invoice['lines'][number], renewal.currency)).toMatchObject({ quantity: '3 × 10 runs', unitPrice: '$0.04 per 10 runs', amount: '$0.12' });
    expect(renewal.subtotal).toBe(19_900 + 3_600 + 12);
  });
});

describe('the same amount due in the API and the PDF', () => {
  it('prints every line as the page does and the amount due the API serves, paid or open', async () => {
    const invoices = await invoicesOf('analyst@acme.test', acme.id);
    const chosen = invoices.filter((i) => ['ACME-0006', 'ACME-0007'].includes(i.number) || i.lines.some((l) => l.metricType === 'workflows'));
    expect(chosen).toHaveLength(3);
    for (const invoice of chosen) {
      const res = await get(`/invoices/${invoice.id}/pdf`);
      expect(res.statusCode).toBe(200);
      const text = await pdfText(res.rawPayload);
      const money = (minor: number) => formatMinorUnits(minor, invoice.currency);
      expect({ number: invoice.number, due: amountAfter(text, 'Amount due') }).toEqual({ number: invoice.number, due: money(invoice.amountDue) });
      expect(amountAfter(text, 'Amount paid')).toBe(money(invoice.amountPaid));
      expect(amountAfter(text, 'Subtotal')).toBe(money(invoice.subtotal));
      expect(amountAfter(text, 'Total')).toBe(money(invoice.total));
      for (const line of invoice.lines) {
        const printed = formatInvoiceLine(line, invoice.currency);
        expect(text).toContain(printed.quantity);
        expect(text).toContain(printed.unitPrice);
      }
    }
    const paid = chosen.find((i) => i.number === 'ACME-0006');
    expect(paid?.amountDue).toBe(0);
    const pdf = (await get(`/invoices/${paid?.id}/pdf`)).rawPayload;
    const text = await pdfText(pdf);
    expect(amountAfter(text, 'Amount due')).toBe('$0.00');
    expect(amountAfter(text, 'Amount paid')).toBe('$209.50');
    // The description may wrap in its column: read in text order.
    expect((await pdfText(pdf, false)).replace(/\s+/g, ' ')).toContain('API calls: 1,065,000 used, 1,000,000 included, 65,000 over');
    expect(text).toMatch(/7 × 10,000 calls\s+\$1\.50 per 10,000 calls\s+\$10\.50/);
  });

  it("names the seller from configuration and the customer's address and tax id when they are known", async () => {
    const [invoice] = await invoicesOf('analyst@acme.test', acme.id);
    if (!invoice) throw new Error('no invoice');
    const plain = await pdfText((await get(`/invoices/${invoice.id}/pdf`)).rawPayload);
    for (const s of ['Example Billing GmbH', 'Hauptstr. 1', '10115 Berlin', 'Tax ID: DE123456789', 'Billed to', 'Acme Corp']) expect(plain).toContain(s);

    const gateway = t.app.payments.gateway;
    const { pdf } = await invoicePdf(
      {
        db: t.database.db,
        gateway,
        seller: { name: 'Example Billing GmbH', addressLines: [], taxId: null },
        customerBillingDetails: async (tenantId) => (tenantId === acme.id ? { name: 'Acme Corporation Ltd', addressLines: ['1 Road Runner Way', 'Phoenix, AZ 85001'], taxId: 'US-99-1234567' } : null),
      },
      acme.id,
      invoice.id,
    );
    const withCustomer = await pdfText(pdf);
    for (const s of ['Acme Corporation Ltd', '1 Road Runner Way', 'Phoenix, AZ 85001', 'Tax ID: US-99-1234567']) expect(withCustomer).toContain(s);
  });
});

describe('migration 0031', () => {
  it('converts lines stored before it: seeded overage, gateway overage, unpriced and odd lines all add up', async () => {
    const invoices = await invoicesOf('analyst@acme.test', acme.id);
    const march = invoices.find((i) => i.number === 'ACME-0006');
    const renewal = invoices.find((i) => i.lines.some((l) => l.metricType === 'workflows'));
    const seeded = march?.lines.find((l) => l.kind === 'usage');
    const gatewayLine = renewal?.lines.find((l) => l.metricType === 'api_calls');
    const proration = invoices.flatMap((i) => i.lines).find((l) => l.kind === 'subscription');
    if (!seeded || !gatewayLine || !proration || !march) throw new Error('fixtures missing');
    // Back to the shapes stored before 0031: the seed's "quantity = calls used", the gateway's
    // "quantity = units over, no unit price", and a line whose price cannot be recovered.
    await t.ownerScript(`BEGIN;
      SELECT set_config('app.scope', 'platform', true);
      ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_amount_adds_up, ALTER COLUMN unit_amount DROP NOT NULL;
      UPDATE invoice_lines SET quantity = 1065000, unit_size = 1, used_quantity = NULL, included_quantity = NULL WHERE id = '${seeded.id}';
      UPDATE invoice_lines SET quantity = 234567, unit_amount = NULL, unit_size = 1, used_quantity = NULL, included_quantity = NULL WHERE id = '${gatewayLine.id}';
      UPDATE invoice_lines SET quantity = 3, unit_amount = NULL, amount = 1000, kind = 'adjustment' WHERE id = '${proration.id}';
      COMMIT;`);
    const migration = await readFile(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations/0031_invoice_line_pricing.sql'), 'utf8');
    await t.ownerScript(`BEGIN;
      SELECT set_config('app.scope', 'platform', true);
      ${migration.replace(/ADD COLUMN /g, 'ADD COLUMN IF NOT EXISTS ')}
      COMMIT;`);

    const after = await invoicesOf('analyst@acme.test', acme.id);
    const lines = after.flatMap((i) => i.lines);
    for (const l of lines) expect(l.quantity * l.unitAmount).toBe(l.amount);
    expect(lines.find((l) => l.id === seeded.id)).toMatchObject({ usedQuantity: 1_065_000, includedQuantity: 1_000_000, unitSize: 10_000, quantity: 7, unitAmount: 150 });
    expect(lines.find((l) => l.id === gatewayLine.id)).toMatchObject({ usedQuantity: 1_234_567, includedQuantity: 1_000_000, unitSize: 10_000, quantity: 24, unitAmount: 150 });
    // 1000 / 3 is no whole price: one lump sum.
    expect(lines.find((l) => l.id === proration.id)).toMatchObject({ quantity: 1, unitAmount: 1_000, amount: 1_000 });
    // The rule is enforced from now on.
    await expect(
      t.ownerScript(`BEGIN; SELECT set_config('app.scope', 'platform', true); UPDATE invoice_lines SET quantity = 8 WHERE id = '${seeded.id}'; COMMIT;`),
    ).rejects.toThrow(/invoice_lines_amount_adds_up/);
  });
});
