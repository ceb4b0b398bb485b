import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TestContext } from '../../../test/harness.js';
import type * as RepoModule from './audit-logs.repo.js';

/**
 * Which export batches the database fails: none, the first (before any byte is sent) or the
 * ones after it (mid-stream). The failure is a real error from the database driver: the
 * batch's transaction runs a statement the database refuses.
 */
const fault = vi.hoisted(() => ({ batches: 'none' as 'none' | 'first' | 'later' }));

vi.mock('./audit-logs.repo.js', async (importOriginal) => {
  const repo = await importOriginal<typeof RepoModule>();
  return {
    ...repo,
    auditLogsBefore: async (...args: Parameters<typeof repo.auditLogsBefore>) => {
      const [tx, , , beforeSeq] = args;
      const failing = fault.batches === 'first' ? beforeSeq === null : fault.batches === 'later' && beforeSeq !== null;
      if (failing) await tx.execute(sql`SELECT 1 / (SELECT count(*) FROM audit_logs WHERE false)`);
      return repo.auditLogsBefore(...args);
    },
  };
});

const entries = 2_500;
let t: TestContext;
let base: string;

let acme: { id: string };

beforeAll(async () => {
  // Test files share their worker's modules (vitest.config.ts, isolate: false): modules loaded
  // by an earlier file were loaded without the mock above, so load the app afresh through it.
  vi.resetModules();
  const harness = await import('../../../test/harness.js');
  acme = harness.acme;
  t = await harness.createTestContext();
  // More than two export batches (1,000 each) of Acme's trail.
  await t.database.execScript(`
    INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_id, metadata)
    SELECT '${acme.id}', 'system', 'bulk.export_fault', 'tenant', 'n' || g, '{}' FROM generate_series(1, ${entries}) AS g;`);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await t.close();
  // The next file in this worker gets the real repository again.
  fault.batches = 'none';
  vi.resetModules();
});
beforeEach(() => {
  fault.batches = 'none';
});

/** A real HTTP/1.1 download, as a browser or curl makes it. */
async function download(format: 'csv' | 'jsonl') {
  return fetch(`${base}/audit-logs/export?format=${format}&action=bulk.export_fault`, {
    headers: { authorization: `Bearer ${await t.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id },
  });
}

describe('an audit export that fails never looks like a finished file', () => {
  it('without a fault, the whole file arrives (the baseline the faults below break)', async () => {
    const res = await download('jsonl');
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines).toHaveLength(entries);
  });

  it.each(['csv', 'jsonl'] as const)('a database failure on the first batch is a problem answer before any byte (%s)', async (format) => {
    fault.batches = 'first';
    const res = await download(format);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBeNull();
    const problem = (await res.json()) as { status: number; code: string };
    expect(problem.status).toBe(res.status);
    expect(problem.code).toEqual(expect.any(String));
  });

  it.each(['csv', 'jsonl'] as const)('a database failure mid-stream aborts the download: the client sees an error, not an end (%s)', async (format) => {
    fault.batches = 'later';
    const res = await download(format);
    // The first batch went out as a 200 attachment...
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    // ...and the body never ends cleanly: reading it to the end fails.
    await expect(res.text()).rejects.toThrow();
    // The API keeps serving afterwards.
    fault.batches = 'none';
    const again = await download(format);
    expect(again.status).toBe(200);
    expect((await again.text()).trim().split('\n')).toHaveLength(format === 'csv' ? entries + 1 : entries);
  });
});
