import { sql } from 'drizzle-orm';
import type { WorkflowPage, WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';
import { renewalWorkflowType, startRenewals } from './billing.workflows.js';

// The local gateway's billing clock as `billing.renewal` workflows, through the app (the engine
// polls every 25 ms here; the trigger is called by hand, as the 2 s timer would).

let t: TestContext;
let subscriptionId: string;
let originalPeriodEnd: string;

beforeAll(async () => {
  t = await createTestContext({ WORKFLOW_POLL_INTERVAL_MS: '25' });
  const [row] = await platformRows<{ id: string; period_end: string }>(
    t.database.db,
    sql`SELECT o.id, o.data->>'currentPeriodEnd' AS period_end FROM local_gateway_objects o
        JOIN billing_customers bc ON bc.customer_id = o.customer_id
        WHERE o.object = 'subscription' AND bc.tenant_id = ${acme.id}`,
  );
  subscriptionId = row?.id ?? '';
  originalPeriodEnd = row?.period_end ?? '';
});
afterAll(() => t.close());

async function call(email: string, url: string, tenantId: string = acme.id) {
  return t.app.inject({ url, headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId } });
}

async function runsOf(email: string, tenantId: string = acme.id) {
  const res = await call(email, `/workflows?type=${renewalWorkflowType}&limit=100`, tenantId);
  expect(res.statusCode).toBe(200);
  return res.json() as WorkflowPage;
}

/** Waits until the run (as engineer@acme.test sees it) is closed. */
async function closed(id: string, timeoutMs = 15_000): Promise<WorkflowStatusDetail> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = (await call('engineer@acme.test', `/workflows/${id}/status`)).json() as WorkflowStatusDetail;
    if (run.status !== 'running') return run;
    if (Date.now() > until) throw new Error(`run ${id} still running: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const invoicesOf = async (periodStart: string) =>
  platformRows<{ id: string }>(
    t.database.db,
    sql`SELECT id FROM invoices WHERE tenant_id = ${acme.id} AND period_start = ${periodStart}::timestamptz`,
  );

const gatewayInvoicesOf = async (periodStart: string) =>
  platformRows<{ id: string }>(
    t.database.db,
    sql`SELECT id FROM local_gateway_objects WHERE object = 'invoice' AND data->>'subscriptionId' = ${subscriptionId} AND data->>'periodStart' = ${periodStart}`,
  );

describe('billing clock on the workflow engine', () => {
  it("gives each live subscription period a visible renewal run that waits for the period's end", async () => {
    expect(await startRenewals(t.database.db, t.app.workflows)).toBe(2); // Acme and Globex
    expect(await startRenewals(t.database.db, t.app.workflows)).toBe(0); // a second clock (or API copy) starts nothing

    const acmeRuns = await runsOf('engineer@acme.test');
    expect(acmeRuns.data).toHaveLength(1);
    const [run] = acmeRuns.data;
    expect(run).toMatchObject({ workflowId: `renewal:${subscriptionId}:${originalPeriodEnd}`, status: 'running', tenantId: acme.id });
    const detail = await call('engineer@acme.test', `/workflows/${run?.id}/status`);
    const waiting = (detail.json() as WorkflowStatusDetail).steps.find((s) => s.name === 'wait-for-period-end');
    expect(waiting).toMatchObject({ kind: 'sleep', status: 'waiting' });
    // Wakes at the period's end (the database's clock against the step's: within a few seconds).
    expect(Math.abs(Date.parse(waiting?.wakeAt ?? '') - Date.parse(originalPeriodEnd))).toBeLessThan(5_000);

    // Globex sees its own renewal only; an analyst sees none.
    const globexRuns = await runsOf('owner@globex.test', globex.id);
    expect(globexRuns.data).toHaveLength(1);
    expect(globexRuns.data[0]?.tenantId).toBe(globex.id);
    expect((await call('owner@globex.test', `/workflows/${run?.id}/status`, globex.id)).statusCode).toBe(404);
    expect((await call('analyst@acme.test', '/workflows')).statusCode).toBe(403);
  });

  it('renews a period that has ended once: invoice and next period, with every step recorded', async () => {
    // The period ends a minute ago (as if a month had passed).
    const periodEnd = new Date(Date.now() - 60_000).toISOString();
    await t.database.execScript(
      `UPDATE local_gateway_objects SET data = jsonb_set(data, '{currentPeriodEnd}', to_jsonb('${periodEnd}'::text)) WHERE id = '${subscriptionId}'`,
    );
    expect(await startRenewals(t.database.db, t.app.workflows)).toBe(1);
    const run = (await runsOf('engineer@acme.test')).data.find((r) => r.workflowId === `renewal:${subscriptionId}:${periodEnd}`);
    expect(run).toBeDefined();
    const done = await closed(run?.id ?? '');
    expect(done.status).toBe('completed');
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([
      ['read-clock', 'completed'],
      ['wait-for-period-end', 'completed'],
      ['close-usage-period', 'completed'],
      ['invoice-and-renew', 'completed'],
      ['sync-billing-mirror', 'completed'],
    ]);
    expect(done.result).toMatchObject({ outcome: 'renewed', periodEnd, invoiceStatus: 'open' });

    // What the owner sees: the subscription moved one period, the period's invoice exists once.
    const sub = (await call('owner@acme.test', '/subscriptions/current')).json() as { currentPeriodStart: string; currentPeriodEnd: string };
    expect(sub.currentPeriodStart).toBe(periodEnd);
    expect(new Date(sub.currentPeriodEnd).getTime()).toBeGreaterThan(Date.now() + 20 * 86_400_000);
    expect(await invoicesOf(periodEnd)).toHaveLength(1);
    expect(await gatewayInvoicesOf(periodEnd)).toHaveLength(1);
  });

  it('bills a period once when a second clock runs the same renewal (another copy, a late retry)', async () => {
    const [renewed] = (await runsOf('engineer@acme.test')).data.filter((r) => r.status === 'completed');
    const input = renewed?.input as { subscriptionId: string; periodEnd: string };
    // The same period under another workflow id: the step re-checks the period under the row lock.
    const again = await t.app.workflows.start({ type: renewalWorkflowType, tenantId: acme.id, workflowId: 'renewal:second-clock', input });
    const done = await closed(again.runId);
    expect(done.result).toMatchObject({ outcome: 'already_closed' });
    expect(await invoicesOf(input.periodEnd)).toHaveLength(1);
    expect(await gatewayInvoicesOf(input.periodEnd)).toHaveLength(1);
    // The direct clock finds nothing due either.
    expect(await t.app.payments.local?.advanceClock()).toBe(0);
  });
});
