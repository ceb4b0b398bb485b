import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/harness.js';
import { escapeLike, platformRows } from '../../platform/db.js';
import { applyAuditRetention } from './audit-retention.js';

/**
 * Free-text search through the word index (migration 0016): every answer must equal what a
 * plain ILIKE over the searched text gives, in the viewer's order, for any pattern.
 */

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

const ownerOfAcme = '00000000-0000-4000-8000-000000000a04';

type Entry = { id: string; tenantId: string; action: string; actorEmail: string | null; targetName: string | null; targetId: string | null };

/** A tenant (the owner of Acme is its admin) with audit entries written by `inserts` (SQL, `$T` = tenant id). */
async function tenantWith(plan: string, inserts: string) {
  const id = randomUUID();
  await t.database.execScript(`
    INSERT INTO tenants (id, name, slug, plan_id) SELECT '${id}', 'Search ${plan}', 's-${id.slice(0, 8)}', id FROM plans WHERE key = '${plan}';
    INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES ('${id}', '${ownerOfAcme}', 'admin');
    ${inserts.replaceAll('$T', id)}`);
  return id;
}

async function get<T>(tenantId: string, url: string): Promise<T> {
  const res = await t.app.inject({ url, headers: { authorization: `Bearer ${await t.tokenFor('owner@acme.test')}`, 'x-tenant-id': tenantId } });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return (url.includes('/export') ? res.body : res.json()) as T;
}

type Filters = { action?: string; from?: string; to?: string };

/** What the search must answer: a plain ILIKE over the searched text, newest first. */
async function plainIlike(tenantId: string, q: string, f: Filters = {}, order: 'viewer' | 'seq' = 'viewer') {
  const rows = await platformRows<{ id: string }>(
    t.database.db,
    sql`SELECT id FROM audit_logs WHERE tenant_id = ${tenantId}
          AND audit_search_text(action, actor_email, target_name, target_id) ILIKE ${`%${escapeLike(q)}%`}
          ${f.action ? sql`AND action = ${f.action}` : sql``}
          ${f.from ? sql`AND created_at >= ${f.from}::timestamptz` : sql``}
          ${f.to ? sql`AND created_at <= ${f.to}::timestamptz` : sql``}
        ORDER BY ${order === 'viewer' ? sql`created_at DESC, id DESC` : sql`seq DESC`}`,
  );
  return rows.map((r) => r.id);
}

/** Every page of a search (`limit` per page), the total it reports, and the count route's answer. */
async function searchAll(tenantId: string, q: string, f: Filters = {}, limit = 7) {
  const query = new URLSearchParams({ q, ...f }).toString();
  const ids: string[] = [];
  let total = -1;
  for (let page = 1; page < 200; page++) {
    const res = await get<{ data: Entry[]; total: number }>(tenantId, `/audit-logs?${query}&limit=${limit}&page=${page}`);
    expect(res.data.every((e) => e.tenantId === tenantId)).toBe(true);
    if (page === 1) total = res.total;
    ids.push(...res.data.map((e) => e.id));
    if (res.data.length < limit) break;
  }
  const counted = await get<{ count: number; capped: boolean }>(tenantId, `/audit-logs/count?${query}`);
  return { ids, total, count: counted.count };
}

/**
 * Checks, as the schema owner, that the word index holds exactly the words of the tenant's
 * entries (each posting's word, time and seq) and that the vocabulary counts them right.
 */
async function expectIndexExact(tenantId: string) {
  const entryWords = `SELECT x.word, a.created_at, a.seq FROM audit_logs a
      CROSS JOIN LATERAL audit_search.words(audit_search_text(a.action, a.actor_email, a.target_name, a.target_id)) AS x(word)
      WHERE a.tenant_id = '${tenantId}'`;
  const postings = `SELECT v.word, w.created_at, w.seq FROM audit_search.audit_log_words w
      JOIN audit_search.audit_log_vocabulary v USING (word_id) WHERE v.tenant_id = '${tenantId}'`;
  await expect(
    t.ownerScript(`DO $$
      DECLARE differing bigint;
      BEGIN
        SELECT count(*) INTO differing FROM ((${entryWords} EXCEPT ALL ${postings}) UNION ALL (${postings} EXCEPT ALL ${entryWords})) d;
        IF differing > 0 THEN RAISE EXCEPTION 'word index: % postings differ from the entries', differing; END IF;
        IF EXISTS (SELECT 1 FROM audit_search.audit_log_vocabulary v WHERE v.tenant_id = '${tenantId}'
                   AND v.entries IS DISTINCT FROM (SELECT nullif(count(*), 0) FROM audit_search.audit_log_words w WHERE w.word_id = v.word_id)) THEN
          RAISE EXCEPTION 'word index: vocabulary counts are wrong';
        END IF;
      END $$`),
  ).resolves.toBeUndefined();
}

describe('free-text search through the word index', () => {
  let tenant: string;
  let other: string;
  // 400 entries over ~4 days, four per instant (ties ordered by id), mixed case, words across
  // fields, long runs (over 100 characters), non-ASCII letters, and ids with dashes.
  const trail = (emailDomain: string) => `
    INSERT INTO audit_logs (tenant_id, actor_type, actor_email, action, target_type, target_id, target_name, metadata, created_at)
    SELECT '$T', 'user', 'Person' || (g % 7) || '@${emailDomain}',
           (ARRAY['member.role_changed', 'invoice.paid', 'domain.verified', 'api_key.created'])[1 + g % 4], 'thing',
           CASE WHEN g % 3 = 0 THEN 'obj-' || (g % 40) ELSE gen_random_uuid()::text END,
           CASE g % 5 WHEN 0 THEN 'Engineering Team ' || g WHEN 1 THEN 'Object ' || (g % 40) WHEN 2 THEN 'Ünïcode Straße ' || g
                      WHEN 3 THEN NULL ELSE repeat('Xy', 60) || g END,
           '{}', now() - ((400 - g) / 4) * interval '1 hour'
    FROM generate_series(1, 400) AS g;`;

  beforeAll(async () => {
    tenant = await tenantWith('pro', trail('Example.COM'));
    other = await tenantWith('pro', trail('other.example'));
  });

  const patterns = [
    'ngineerin', // inside a word
    'person3@example', // across the @ (two words)
    'ERSON3@EXAMPLE.c', // case-different, across three words
    'object 1', // Object 1 and Object 10..19
    'OBJECT 12',
    'bj-3', // obj-3, obj-30..39
    'paid person', // across two fields (action, email)
    'role_changed', // _ is literal
    'api_key.created person6',
    'xyxyxyxyxyxyxyxy', // inside a run longer than 100 characters
    'xyxy3', // the end of such a run
    'straße 1', // non-ASCII letters split words
    'ünïcode',
    '4-', // a uuid's dash (one run of a single character: no usable word)
    '%',
    '.',
    'zzzz', // no entry
    'team 40', // Engineering Team 40, 400
    'engineering team 395 ', // trimmed by the route
  ];

  it('answers like a plain ILIKE for any pattern: same entries, same order, same total', async () => {
    for (const q of patterns) {
      const expected = await plainIlike(tenant, q.trim());
      const found = await searchAll(tenant, q);
      expect({ q, ...found }).toEqual({ q, ids: expected, total: expected.length, count: expected.length });
    }
  });

  it('combines text with the other filters like a plain ILIKE', async () => {
    const hours = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    const cases: [string, Filters][] = [
      ['person3@', { action: 'invoice.paid' }],
      ['object 1', { from: hours(60), to: hours(20) }],
      ['example', { from: hours(30) }],
      ['straße', { to: hours(50), action: 'member.role_changed' }],
      ['zzzz', { action: 'invoice.paid' }],
    ];
    for (const [q, f] of cases) {
      const expected = await plainIlike(tenant, q, f);
      expect({ q, f, ...(await searchAll(tenant, q, f, 9)) }).toEqual({ q, f, ids: expected, total: expected.length, count: expected.length });
    }
  });

  it('exports the matches in the order they were recorded, batch after batch', async () => {
    for (const q of ['person3@example', 'object 1']) {
      const body = await get<string>(tenant, `/audit-logs/export?format=jsonl&q=${encodeURIComponent(q)}`);
      const ids = body.trim().split('\n').map((l) => (JSON.parse(l) as Entry).id);
      expect({ q, ids }).toEqual({ q, ids: await plainIlike(tenant, q, {}, 'seq') });
    }
  });

  it("never returns another tenant's entries, though both hold the same words", async () => {
    const mine = await searchAll(tenant, 'person3');
    const theirs = await searchAll(other, 'person3');
    expect(mine.total).toBeGreaterThan(0);
    expect(theirs.total).toBe(mine.total);
    expect(mine.ids.filter((id) => theirs.ids.includes(id))).toEqual([]);
    expect((await searchAll(other, 'example.com')).total).toBe(0);
    await expectIndexExact(tenant);
    await expectIndexExact(other);
  });

  it('keeps up with new entries, including several written at the same instant', async () => {
    await t.database.execScript(`
      INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_id, target_name, metadata)
      SELECT '${tenant}', 'system', 'batch.imported', 'thing', 'imp-' || g, 'Imported Object ' || g, '{}' FROM generate_series(1, 30) AS g;
      INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_name, metadata)
      VALUES ('${tenant}', 'system', 'single.written', 'thing', 'Quokka', '{}');
      INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_name, metadata)
      SELECT '${tenant}', 'system', 'fruit.listed', 'thing', CASE WHEN g % 2 = 0 THEN 'Kiwi Banana' ELSE 'Kiwi Apple' END, '{}'
      FROM generate_series(1, 200) AS g;`);
    // 'kiwi b': 100 of 200 candidates at one instant, so a page's last match shares its time
    // with candidates not read yet (which may still come first by id).
    for (const q of ['imported object 1', 'object', 'quokka', 'mported', 'kiwi b', 'ki']) {
      const expected = await plainIlike(tenant, q);
      expect({ q, ...(await searchAll(tenant, q, {}, 8)) }).toEqual({ q, ids: expected, total: expected.length, count: expected.length });
    }
    await expectIndexExact(tenant);
  });
});

describe('the word index and the life of entries', () => {
  it('forgets purged entries and still finds the remaining ones', async () => {
    // Starter keeps 30 days: the first three go.
    const id = await tenantWith(
      'starter',
      [90, 60, 31, 29, 1]
        .map(
          (days, i) => `INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_id, target_name, metadata, created_at)
            VALUES ('$T', 'system', 'probe.recorded', 'tenant', 'probe-${i}', '${days > 30 ? 'Expiring' : 'Lasting'} Walrus ${i}', '{}', now() - interval '${days} days');`,
        )
        .join('\n'),
    );
    expect((await searchAll(id, 'walrus')).total).toBe(5);
    expect((await applyAuditRetention(t.database.db)).removed).toBeGreaterThanOrEqual(3);
    for (const q of ['walrus', 'expiring', 'lasting walrus', 'probe-', 'purged']) {
      const expected = await plainIlike(id, q);
      expect({ q, ...(await searchAll(id, q)) }).toEqual({ q, ids: expected, total: expected.length, count: expected.length });
    }
    expect((await searchAll(id, 'walrus')).total).toBe(2);
    expect((await searchAll(id, 'expiring')).total).toBe(0);
    // The purge's own entry ("audit_log.purged") is searchable like any other.
    expect((await searchAll(id, 'log.purged')).total).toBe(1);
    await expectIndexExact(id);
  });

  it("follows an entry edited by the schema owner, and keeps the words of a tenant whose deletion is refused", async () => {
    const id = await tenantWith(
      'pro',
      `INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_name, metadata) VALUES ('$T', 'system', 'probe.recorded', 'tenant', 'Narwhal', '{}');`,
    );
    await t.ownerScript(`BEGIN;
      ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only;
      UPDATE audit_logs SET target_name = 'Beluga' WHERE tenant_id = '${id}';
      ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only;
      COMMIT;`);
    expect((await searchAll(id, 'narwhal')).total).toBe(0);
    expect((await searchAll(id, 'beluga')).total).toBe(1);
    await expectIndexExact(id);
    // The trail outlives its tenant (migration 0019): the delete is refused, by the owner too,
    // and neither the entries nor their words go.
    await expect(t.database.execScript(`DELETE FROM tenants WHERE id = '${id}'`)).rejects.toThrow();
    await expect(t.ownerScript(`DELETE FROM tenants WHERE id = '${id}'`)).rejects.toThrow();
    expect((await searchAll(id, 'beluga')).total).toBe(1);
    await expectIndexExact(id);
  });

  it("is out of reach of the API's database role", async () => {
    // Outside `public`, whose tables `migrate()` grants to the API's role.
    const schemas = await platformRows<{ relname: string; nspname: string }>(
      t.database.db,
      sql`SELECT c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relname IN ('audit_log_words', 'audit_log_vocabulary') AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    expect(schemas).toEqual([
      { relname: 'audit_log_vocabulary', nspname: 'audit_search' },
      { relname: 'audit_log_words', nspname: 'audit_search' },
    ]);
    // PGlite has one role (the owner); on PostgreSQL the API's own role is refused.
    if (!inject('postgres')) return;
    for (const statement of [
      'SELECT count(*) FROM audit_search.audit_log_words',
      'SELECT count(*) FROM audit_search.audit_log_vocabulary',
      `DELETE FROM audit_search.audit_log_words`,
      `UPDATE audit_search.audit_log_vocabulary SET entries = 0`,
      `SELECT audit_search.candidate_words('${ownerOfAcme}', '%x%')`,
    ]) {
      await expect(t.database.execScript(statement), statement).rejects.toThrow(/permission denied/);
    }
  });
});
