import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';

/** Rows of an RFC 4180 document (quoted cells may hold commas, quotes and newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

const bulk = 100_000;
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext();
  // A large trail for Acme (the trigger chains every row) and a little for Globex.
  await t.database.execScript(`
    INSERT INTO audit_logs (tenant_id, actor_type, actor_email, action, target_type, target_id, target_name, after, metadata, created_at)
    SELECT '${acme.id}', 'user', 'owner@acme.test', 'member.role_changed', 'user', 'u' || g,
           'Name, with "quotes"' || E'\\n' || 'and a newline', jsonb_build_object('role', 'admin', 'n', g), '{}',
           now() - (g || ' seconds')::interval
    FROM generate_series(1, ${bulk}) AS g;
    INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_name, metadata)
    SELECT '${globex.id}', 'system', 'globex.secret', 'tenant', '=HYPERLINK("x")', '{}' FROM generate_series(1, 10);`);
}, 240_000);
afterAll(() => t.close());

async function exportAs(format: 'csv' | 'jsonl', query = '', email = 'admin@acme.test', tenantId: string = acme.id) {
  return t.app.inject({
    url: `/audit-logs/export?format=${format}${query}`,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
  });
}

describe('GET /audit-logs/export', () => {
  it(`streams ${bulk.toLocaleString('en-US')}+ entries as CSV that parses back to the same row count`, async () => {
    const res = await exportAs('csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="audit-log-\d{4}-\d{2}-\d{2}\.csv"$/);
    const [header, ...rows] = parseCsv(res.body);
    expect(header?.slice(0, 3)).toEqual(['id', 'createdAt', 'action']);
    const total = (await t.app.inject({ url: '/audit-logs/count', headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id } })).json().count;
    expect(total).toBeGreaterThanOrEqual(bulk);
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r[0])).size).toBe(total);
    const sample = rows.find((r) => r[2] === 'member.role_changed');
    expect(sample?.[8]).toBe('Name, with "quotes"\nand a newline');
  }, 120_000);

  it('applies the filters and writes JSON lines', async () => {
    const res = await exportAs('jsonl', '&action=tenant.created');
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as { action: string; tenantId: string });
    expect(lines).toEqual([expect.objectContaining({ action: 'tenant.created', tenantId: acme.id })]);
  });

  it('exports every entry of a large transaction (one timestamp across batch boundaries)', async () => {
    await t.database.execScript(`
      INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_id, metadata)
      SELECT '${globex.id}', 'system', 'bulk.same_instant', 'tenant', 'n' || g, '{}' FROM generate_series(1, 2500) AS g;`);
    const res = await exportAs('jsonl', '&action=bulk.same_instant', 'owner@globex.test', globex.id);
    const ids = res.body.trim().split('\n').map((l) => (JSON.parse(l) as { id: string; createdAt: string }).id);
    expect(ids).toHaveLength(2500);
    expect(new Set(ids).size).toBe(2500);
    const text = await exportAs('jsonl', '&action=bulk.same_instant&q=n25', 'owner@globex.test', globex.id);
    // n25, n250..n259, n2500: through the text search's keyset path.
    expect(text.body.trim().split('\n')).toHaveLength(12);
  });

  it("exports only the caller's tenant and defuses spreadsheet formulas", async () => {
    const res = await exportAs('csv', '', 'owner@globex.test', globex.id);
    expect(res.body).not.toContain(acme.id);
    expect(res.body).toContain("'=HYPERLINK(\"\"x\"\")");
    expect((await exportAs('csv', '', 'engineer@acme.test')).statusCode).toBe(403);
  });
});

describe('text search at scale', () => {
  const list = async (query: string) =>
    (await t.app.inject({ url: `/audit-logs?${query}`, headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id } })).json() as {
      data: { id: string; targetId: string }[];
      total: number;
      totalCapped: boolean;
    };

  it('pages a common word in the same newest-first order as the unfiltered trail', async () => {
    for (const page of [1, 2, 40]) {
      const byText = await list(`q=quotes&action=member.role_changed&limit=25&page=${page}`);
      const plain = await list(`action=member.role_changed&limit=25&page=${page}`);
      expect(byText.data.map((e) => e.id)).toEqual(plain.data.map((e) => e.id));
      // Free-text totals stop at 1,000: the viewer says "1,000+".
      expect(byText).toMatchObject({ total: 1000, totalCapped: true });
      expect(plain).toMatchObject({ total: bulk, totalCapped: false });
    }
  });

  it('finds a rare word among all entries, and exports exactly its matches', async () => {
    // u9999 and u99990..u99999: the oldest of the bulk entries, far from the newest page.
    const found = await list('q=u9999&limit=100');
    expect(found.total).toBe(11);
    expect(found.data.map((e) => e.targetId).sort()).toEqual(['u9999', ...Array.from({ length: 10 }, (_, i) => `u9999${i}`)].sort());
    const lines = (await exportAs('jsonl', '&q=u9999')).body.trim().split('\n');
    expect(lines).toHaveLength(11);
  });
});
