import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { PaymentGateway } from '../../adapters/payments/port.js';
import { defineWorkflow, type WorkflowEngine } from '../../adapters/workflows/port.js';
import { systemContext } from '../../platform/context.js';
import { queryRows, withPlatformScope, type AppDb } from '../../platform/db.js';
import { waitUntil } from '../billing/billing.workflows.js';
import { closeEndedPeriods } from './quotas.service.js';
import { addOverageItems, recordOverageItem, type OverageItem } from './usage-billing.js';

// The usage period close as a workflow (issue 13): one tenant-scoped run per tenant and period,
// `period-close:<YYYY-MM of the period start>`. It waits durably for the period's end, then:
//   freeze-and-reset-quotas  (local)  summaries frozen with their overage, counters restarted
//   add-overage-to-invoice   (remote) one gateway invoice item per summary with overage, keyed
//                                      `cbp-usage-overage-<summary id>` (a repeat adds nothing)
//   record-overage-items     (local)  the item ids stored on the summaries, with audit entries
// With the local gateway the renewal workflow closes the same period just before its invoice
// (Stripe's draft window); whichever comes second finds nothing left to do.

export const periodCloseWorkflowType = 'usage.period-close';
export const usageKeysExpiryWorkflowType = 'usage.keys-expiry';
export const periodCloseWorkflowId = (periodKey: string) => `period-close:${periodKey}`;

/** How long idempotency keys of usage events are kept (late events are accepted for 35 days). */
const keyLifetimeMs = 36 * 86_400_000;

const PeriodCloseInput = z.object({ periodKey: z.string().regex(/^\d{4}-\d{2}$/), periodEnd: z.iso.datetime() });
const KeysExpiryInput = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });

export function usageWorkflows({ db, gateway }: { db: AppDb; gateway: PaymentGateway }) {
  const periodClose = defineWorkflow({
    type: periodCloseWorkflowType,
    parseInput: (input) => PeriodCloseInput.parse(input),
    async run(ctx, { periodEnd }) {
      const tenantId = ctx.tenantId;
      if (!tenantId) throw new Error('usage.period-close is a tenant workflow');
      const system = { ...systemContext(tenantId), tenantId };
      await waitUntil(ctx, periodEnd);
      const frozen = await ctx.step('freeze-and-reset-quotas', async ({ tx }) => {
        const closed = await closeEndedPeriods(tx, system, {}, new Date());
        return { closed: closed.reset, nextPeriodStart: closed.periodStart };
      });
      const added = await ctx.remoteStep('add-overage-to-invoice', async () => {
        const run = await addOverageItems(db, gateway, tenantId);
        // Gateway down or refusing: retried with backoff (items already added are keyed, never doubled).
        if (run.failed.length > 0 && run.items.length === 0) throw new Error(run.failed.map((f) => `${f.metricType}: ${f.message}`).join('; '));
        return run;
      });
      const recorded = await ctx.step('record-overage-items', async ({ tx }) => {
        let stored = 0;
        for (const item of added.items as OverageItem[]) if (await recordOverageItem(tx, system, item)) stored++;
        return { stored };
      });
      return {
        closed: frozen.closed,
        nextPeriodStart: frozen.nextPeriodStart,
        invoiced: recorded.stored,
        pending: added.pending,
        failed: added.failed.map((f) => f.metricType),
      };
    },
  });

  // Platform housekeeping once a day: usage idempotency keys no accepted event can collide with.
  const keysExpiry = defineWorkflow({
    type: usageKeysExpiryWorkflowType,
    parseInput: (input) => KeysExpiryInput.parse(input),
    async run(ctx) {
      let removed = 0;
      for (let batch = 1; batch <= 1_000; batch++) {
        const n = await ctx.step(`drop-expired-keys-${batch}`, async ({ tx }) => {
          const cutoff = new Date(Date.now() - keyLifetimeMs).toISOString();
          const [gone] = await queryRows<{ n: string | number }>(
            tx,
            sql`WITH gone AS (
                  DELETE FROM usage_event_keys WHERE ctid = ANY (ARRAY(
                    SELECT ctid FROM usage_event_keys WHERE received_at < ${cutoff}::timestamptz LIMIT 10000))
                  RETURNING 1)
                SELECT count(*) AS n FROM gone`,
          );
          return Number(gone?.n ?? 0);
        });
        removed += n;
        if (n < 10_000) break;
      }
      return { removed };
    },
  });

  return [periodClose, keysExpiry] as const;
}

/**
 * The period close's trigger (every USAGE_PERIOD_CLOSE_INTERVAL_MS): starts, for each tenant with
 * quotas, the run of its current period if it has none (anti-join on the unique workflow id),
 * and the day's key expiry. Runs wait durably until their period ends.
 */
export async function startPeriodCloses(db: AppDb, engine: WorkflowEngine, { limit = 500 }: { limit?: number } = {}): Promise<number> {
  const due = await withPlatformScope(db, (tx) =>
    queryRows<{ tenant_id: string; period_key: string; period_end: Date | string }>(
      tx,
      sql`SELECT q.tenant_id, q.period_key, q.period_end
          FROM (SELECT tenant_id, to_char(min(period_start) AT TIME ZONE 'UTC', 'YYYY-MM') AS period_key, min(period_end) AS period_end
                FROM usage_quotas GROUP BY tenant_id) q
          WHERE NOT EXISTS (SELECT 1 FROM workflow_runs r WHERE r.tenant_id = q.tenant_id AND r.workflow_id = 'period-close:' || q.period_key)
          ORDER BY q.period_end
          LIMIT ${limit}`,
    ),
  );
  let started = 0;
  for (const row of due) {
    const run = await engine.start({
      type: periodCloseWorkflowType,
      tenantId: row.tenant_id,
      workflowId: periodCloseWorkflowId(row.period_key),
      input: { periodKey: row.period_key, periodEnd: new Date(row.period_end).toISOString() },
    });
    if (run.created) started++;
  }
  const day = new Date().toISOString().slice(0, 10);
  await engine.start({ type: usageKeysExpiryWorkflowType, tenantId: null, workflowId: `usage-keys-expiry:${day}`, input: { day } });
  return started;
}
