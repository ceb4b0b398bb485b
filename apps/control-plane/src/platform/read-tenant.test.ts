import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../test/harness.js';
import { queryRows, readTenant } from './db.js';

// Tenant reads without a transaction (issue 18): on PostgreSQL a read pool whose connections
// keep their tenant scope between requests and are read-only. What a user would notice if it
// went wrong: another organization's rows, a write that half happens, or a stale answer.

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function get(email: string, url: string, tenantId: string) {
  const res = await t.app.inject({ url, headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId } });
  expect(res.statusCode).toBe(200);
  return res.json() as { data: { email: string; role: string; id: string }[]; total: number };
}

const domains = (page: { data: { email: string }[] }) => new Set(page.data.map((m) => m.email.split('@')[1]));

describe('tenant reads', () => {
  it('alternate between organizations on the same connections and never show one the other', async () => {
    // One after another: the read pool hands back the connection the other tenant just used.
    for (let i = 0; i < 6; i++) {
      expect(domains(await get('owner@acme.test', '/users', acme.id))).toEqual(new Set(['acme.test']));
      expect(domains(await get('owner@globex.test', '/users', globex.id))).toEqual(new Set(['globex.test']));
    }
    // And interleaved, many at once.
    const pages = await Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 ? get('owner@globex.test', '/users', globex.id) : get('owner@acme.test', '/users', acme.id))),
    );
    pages.forEach((page, i) => expect(domains(page)).toEqual(new Set([i % 2 ? 'globex.test' : 'acme.test'])));
  });

  it('see a change the moment its request has answered', async () => {
    const before = await get('admin@acme.test', '/users', acme.id);
    const analyst = before.data.find((m) => m.email === 'analyst@acme.test');
    expect(analyst?.role).toBe('analyst');
    const changed = await t.app.inject({
      method: 'PATCH',
      url: `/users/${analyst?.id}/role`,
      headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id },
      payload: { role: 'engineer' },
    });
    expect(changed.statusCode).toBe(200);
    const after = await get('admin@acme.test', '/users', acme.id);
    expect(after.data.find((m) => m.email === 'analyst@acme.test')?.role).toBe('engineer');
  });

  it('cannot write: on PostgreSQL a write in a read is refused and changes nothing', async () => {
    const name = async () => (await readTenant(t.database.db, acme.id, (tx) => queryRows<{ name: string }>(tx, sql`SELECT name FROM tenants WHERE id = ${acme.id}`)))[0]?.name;
    const original = await name();
    const write = readTenant(t.database.db, acme.id, (tx) => tx.execute(sql`UPDATE tenants SET name = 'Renamed in a read' WHERE id = ${acme.id}`));
    if (t.database.kind === 'postgres') {
      await expect(write).rejects.toThrow();
      expect(await name()).toBe(original);
      // The connection is still good for the next read.
      expect(await name()).toBe(original);
    } else {
      // PGlite has one connection and no read pool: readTenant is withTenant there.
      await write;
      expect(await name()).toBe('Renamed in a read');
    }
  });
});
