import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { WorkflowPage, WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';
import { auditRetentionWorkflowType, startAuditRetention } from './audit.workflows.js';

// Audit retention as `audit.retention` workflows (one per tenant and day), through the app.

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25' });
});
afterAll(() => t.close());

async function staff(url: string) {
  const res = await t.app.inject({ url, headers: { authorization: `Bearer ${await t.tokenFor('staff@cbp.test')}`, 'x-tenant-id': acme.id } });
  expect(res.statusCode).toBe(200);
  return res.json() as unknown;
}

describe('audit retention on the workflow engine', () => {
  it("purges each tenant's expired entries in a daily run, batch by batch, once per day", async () => {
    // A Starter tenant (30 days kept) with 3 expired entries and 2 recent ones.
    const id = randomUUID();
    await t.database.execScript(`
      INSERT INTO tenants (id, name, slug, plan_id) SELECT '${id}', 'Retention wf', 'ret-wf-${id.slice(0, 8)}', id FROM plans WHERE key = 'starter';
      ${[90, 60, 31, 29, 1]
        .map(
          (days, i) => `INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_id, created_at)
            VALUES ('${id}', 'system', 'probe.recorded', 'tenant', '${i}', now() - interval '${days} days');`,
        )
        .join('\n')}`);
    const day = new Date().toISOString().slice(0, 10);
    // Batches of 2: three expired entries take two batches.
    const started = await startAuditRetention(t.database.db, t.app.workflows, { day, batch: 2 });
    expect(started).toBeGreaterThanOrEqual(3); // Acme, Globex, the new tenant
    expect(await startAuditRetention(t.database.db, t.app.workflows, { day, batch: 2 })).toBe(0);

    const page = (await staff(`/workflows?type=${auditRetentionWorkflowType}&tenantId=${id}`)) as WorkflowPage;
    expect(page.data).toHaveLength(1);
    expect(page.data[0]?.workflowId).toBe(`audit-retention:${day}`);
    let run: WorkflowStatusDetail | undefined;
    for (let i = 0; i < 300; i++) {
      run = (await staff(`/workflows/${page.data[0]?.id}/status`)) as WorkflowStatusDetail;
      if (run.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(run?.status).toBe('completed');
    expect(run?.steps.map((s) => [s.name, s.status])).toEqual([
      ['purge-batch-1', 'completed'],
      ['purge-batch-2', 'completed'],
    ]);
    expect(run?.result).toEqual({ removed: 3 });
    const left = await platformRows<{ age: number }>(
      t.database.db,
      sql`SELECT extract(day FROM now() - created_at)::int AS age FROM audit_logs WHERE tenant_id = ${id} AND action = 'probe.recorded' ORDER BY created_at`,
    );
    expect(left.map((r) => r.age)).toEqual([29, 1]);
  });
});
