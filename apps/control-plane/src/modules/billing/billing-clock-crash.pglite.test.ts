import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createCrashFolder, eventually, type CrashFolder } from '../../../test/api-crash-folder.js';
import { platformRows } from '../../platform/db.js';
import { demoTenants } from '../../seed/demo.js';

// billing-clock-crash.pg.test.ts on PGlite: the real API owns a PGlite folder (PGlite is
// single-process), so the test prepares the folder (seeded, Acme's period ended), starts the API
// with CBP_TEST_CRASH_AT=renewal-after-invoice, lets it SIGKILL itself inside the renewal's
// transaction, checks the folder, restarts the API without the hook, and checks again once it has
// stopped: the period is billed exactly once. Runs in the PGlite pass only.

const acme = demoTenants[0];
let folder: CrashFolder | undefined;

afterAll(async () => {
  await folder?.close();
}, 30_000);

describe('kill -9 between the renewal invoice and the subscription write (PGlite)', () => {
  it('bills the period exactly once after a restart', async () => {
    folder = await createCrashFolder('cbp-billing-crash-');
    const { withDatabase } = folder;
    const periodEnd = new Date(Date.now() - 1_000).toISOString();
    const subscriptionId = await withDatabase(async (database) => {
      const [sub] = await platformRows<{ id: string }>(
        database.db,
        sql`SELECT o.id FROM local_gateway_objects o JOIN billing_customers bc ON bc.customer_id = o.customer_id
            WHERE o.object = 'subscription' AND bc.tenant_id = ${acme.id}`,
      );
      await database.execScript(
        `UPDATE local_gateway_objects SET data = jsonb_set(data, '{currentPeriodEnd}', to_jsonb('${periodEnd}'::text)) WHERE id = '${sub?.id}'`,
      );
      return sub?.id ?? '';
    });
    const workflowId = `renewal:${subscriptionId}:${periodEnd}`;
    const state = () =>
      withDatabase(async (database) => {
        const invoices = await platformRows<{ id: string }>(
          database.db,
          sql`SELECT id FROM local_gateway_objects WHERE object = 'invoice' AND data->>'subscriptionId' = ${subscriptionId} AND data->>'periodStart' = ${periodEnd}`,
        );
        const [run] = await platformRows<{ id: string; status: string }>(database.db, sql`SELECT id, status FROM workflow_runs WHERE workflow_id = ${workflowId}`);
        const steps = await platformRows<{ name: string; status: string }>(
          database.db,
          sql`SELECT name, status FROM workflow_steps WHERE run_id = ${run?.id ?? '00000000-0000-0000-0000-000000000000'} ORDER BY seq`,
        );
        const [sub] = await platformRows<{ period_start: string }>(
          database.db,
          sql`SELECT data->>'currentPeriodStart' AS period_start FROM local_gateway_objects WHERE id = ${subscriptionId}`,
        );
        const mirrored = await platformRows<{ id: string }>(
          database.db,
          sql`SELECT id FROM invoices WHERE tenant_id = ${acme.id} AND period_start = ${periodEnd}::timestamptz`,
        );
        return { invoices: invoices.length, mirrored: mirrored.length, run: run?.status, steps, periodStart: sub?.period_start };
      });

    // The renewal is due at once: the API may die before or after it answers /health.
    await folder.crashApi('renewal-after-invoice', {}, 60_000);

    const crashed = await state();
    expect(crashed.invoices).toBe(0);
    expect(crashed.run).toBe('running');
    expect(crashed.steps.find((s) => s.name === 'close-usage-period')?.status).toBe('completed');
    expect(crashed.steps.find((s) => s.name === 'invoice-and-renew')?.status).not.toBe('completed');

    const api = await folder.startApi();
    await eventually(
      async () => {
        const res = await api.request(`/workflows?type=billing.renewal&status=completed`, { email: 'engineer@acme.test', tenantId: acme.id });
        const page = (await res.json()) as { data: { workflowId: string }[] };
        return page.data.some((r) => r.workflowId === workflowId) ? true : undefined;
      },
      60_000,
      () => `the renewal did not finish after the restart:\n${api.output()}`,
    );
    await api.kill('SIGTERM');

    const after = await state();
    expect(after).toMatchObject({ invoices: 1, mirrored: 1, run: 'completed', periodStart: periodEnd });
    expect(after.steps.every((s) => s.status === 'completed')).toBe(true);
  }, 240_000);
});
