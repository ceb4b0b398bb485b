import { sql } from 'drizzle-orm';
import type { WorkflowPage, WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';
import { periodCloseWorkflowType, startPeriodCloses } from './usage.workflows.js';

// The usage period close as `usage.period-close` workflows, through the app (the engine polls
// every 25 ms; the trigger is called by hand, as its timer would).

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25' });
});
afterAll(() => t.close());

async function call(email: string, url: string, tenantId: string = acme.id) {
  return t.app.inject({ url, headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId } });
}

async function periodCloses(email: string, tenantId: string = acme.id) {
  const res = await call(email, `/workflows?type=${periodCloseWorkflowType}&limit=100`, tenantId);
  expect(res.statusCode).toBe(200);
  return (res.json() as WorkflowPage).data;
}

async function closed(id: string, timeoutMs = 15_000): Promise<WorkflowStatusDetail> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = (await call('engineer@acme.test', `/workflows/${id}/status`)).json() as WorkflowStatusDetail;
    if (run.status !== 'running') return run;
    if (Date.now() > until) throw new Error(`run ${id} still running: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('usage period close on the workflow engine', () => {
  it("closes an ended period in named steps: summaries frozen, overage onto the next invoice, quotas reset", async () => {
    await call('engineer@acme.test', '/usage/quotas'); // quotas exist
    // Acme's period ended a minute ago with 250 GB of storage: 150 over the 100 included.
    const start = new Date(Date.now() - 31 * 86_400_000);
    await t.database.execScript(
      `UPDATE usage_quotas SET period_start = '${start.toISOString()}', period_end = now() - interval '1 minute' WHERE tenant_id = '${acme.id}';
       UPDATE usage_quotas SET current_usage = 250 WHERE tenant_id = '${acme.id}' AND metric_type = 'storage_gb'`,
    );
    expect(await startPeriodCloses(t.database.db, t.app.workflows)).toBe(2); // Acme's ended period, Globex's current one
    const key = start.toISOString().slice(0, 7);
    // A second copy's start of the same period answers the existing run.
    const twice = await t.app.workflows.start({
      type: periodCloseWorkflowType,
      tenantId: acme.id,
      workflowId: `period-close:${key}`,
      input: { periodKey: key, periodEnd: new Date().toISOString() },
    });
    expect(twice.created).toBe(false);

    const run = (await periodCloses('engineer@acme.test')).find((r) => r.workflowId === `period-close:${key}`);
    expect(run).toMatchObject({ tenantId: acme.id, type: periodCloseWorkflowType });
    const done = await closed(run?.id ?? '');
    expect(done.status).toBe('completed');
    expect(done.steps.map((s) => [s.name, s.kind, s.status])).toEqual([
      ['read-clock', 'local', 'completed'],
      ['wait-for-period-end', 'sleep', 'completed'],
      ['freeze-and-reset-quotas', 'local', 'completed'],
      ['add-overage-to-invoice', 'remote', 'completed'],
      ['record-overage-items', 'local', 'completed'],
    ]);
    expect(done.result).toMatchObject({ invoiced: 1, pending: [], failed: [] });

    const summaries = (await call('engineer@acme.test', '/usage/summaries')).json() as { metricType: string; frozen: boolean; overageAmount: number; overageBilling: string }[];
    expect(summaries.find((s) => s.frozen && s.metricType === 'storage_gb')).toMatchObject({ overageAmount: 4_500, overageBilling: 'invoiced' });
    const [billed] = await platformRows<{ n: number }>(
      t.database.db,
      sql`SELECT count(*)::int AS n FROM audit_logs WHERE action = 'usage.overage_invoiced' AND tenant_id = ${acme.id}`,
    );
    expect(billed?.n).toBe(1);
    // The gateway holds the overage once, for the renewal invoice.
    const [items] = await platformRows<{ n: number }>(
      t.database.db,
      sql`SELECT count(*)::int AS n FROM local_gateway_objects WHERE object = 'invoiceitem' AND data->>'kind' = 'usage' AND data->>'metricType' = 'storage_gb'`,
    );
    expect(items?.n).toBe(1);
    const quotas = (await call('engineer@acme.test', '/usage/quotas')).json() as { metricType: string; currentUsage: number; periodStart: string }[];
    expect(new Date(quotas.find((q) => q.metricType === 'storage_gb')?.periodStart ?? 0).getTime()).toBeGreaterThan(Date.now() - 86_400_000);

    // The next tick starts the next period's run, which waits for that period's end.
    await startPeriodCloses(t.database.db, t.app.workflows);
    const next = (await periodCloses('engineer@acme.test')).find((r) => r.status === 'running');
    expect(next?.workflowId).toBe(`period-close:${quotas.find((q) => q.metricType === 'storage_gb')?.periodStart.slice(0, 7)}`);
    // Globex sees its own run only; Acme's is 404 there.
    expect((await periodCloses('owner@globex.test', globex.id)).every((r) => r.tenantId === globex.id)).toBe(true);
    expect((await call('owner@globex.test', `/workflows/${run?.id}/status`, globex.id)).statusCode).toBe(404);
  });
});
