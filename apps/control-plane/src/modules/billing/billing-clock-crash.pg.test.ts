import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiProcess } from '../../../test/api-process.js';
import { startPostgres, type PostgresServer } from '../../../test/postgres-server.js';
import { migrate, openDatabase } from '../../platform/db.js';
import { demoTenants, seedDemo } from '../../seed/demo.js';

// Acceptance 3 of issue 13: the real API (a child process on a real PostgreSQL) runs Acme's
// renewal workflow and SIGKILLs itself between the renewal invoice's write and the
// subscription's (CBP_TEST_CRASH_AT=renewal-after-invoice). A restarted API takes the run over
// after its lease and finishes it: the period is billed exactly once (one invoice, at the gateway
// and in CBP's mirror; the subscription moved exactly one period).

const acme = demoTenants[0];
const database = 'cbp_billing_crash';
let server: PostgresServer;
let api: ApiProcess | undefined;
let owner: pg.Client;

/** Reads as the schema owner in the platform scope (spans tenants). */
async function rows<T>(query: string, params: unknown[] = []): Promise<T[]> {
  await owner.query('BEGIN');
  try {
    await owner.query("SELECT set_config('app.scope', 'platform', true)");
    const { rows: result } = await owner.query(query, params);
    return result as T[];
  } finally {
    await owner.query('COMMIT');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase(database);
  const migrating = await openDatabase({ url: `${server.ownerUrl}/${database}` });
  await migrate(migrating, { appRole: server.appRole });
  await migrating.close();
  const seeding = await openDatabase({ url: `${server.appUrl}/${database}` });
  await seedDemo(seeding.db);
  await seeding.close();
  owner = new pg.Client({ connectionString: `${server.ownerUrl}/${database}` });
  await owner.connect();
}, 180_000);

afterAll(async () => {
  await api?.stop();
  await owner?.end();
  await server?.stop();
}, 60_000);

describe('kill -9 between the renewal invoice and the subscription write', () => {
  it('bills the period exactly once after a restart', async () => {
    const env = {
      DATABASE_URL: `${server.appUrl}/${database}`,
      DATABASE_MIGRATION_URL: `${server.ownerUrl}/${database}`,
      WORKFLOW_POLL_INTERVAL_MS: '100',
      WORKFLOW_LEASE_MS: '3000',
      USAGE_PERIOD_CLOSE_INTERVAL_MS: '0',
      AUDIT_RETENTION_INTERVAL_MS: '0',
    };
    api = await startApi({ env: { ...env, CBP_TEST_CRASH_AT: 'renewal-after-invoice' } });
    const [sub] = await rows<{ id: string; period_start: string }>(
      `SELECT o.id, o.data->>'currentPeriodStart' AS period_start FROM local_gateway_objects o
       JOIN billing_customers bc ON bc.customer_id = o.customer_id WHERE o.object = 'subscription' AND bc.tenant_id = $1`,
      [acme.id],
    );
    expect(sub).toBeDefined();
    // Acme's period ends now (as if a month had passed); the billing clock's next tick starts its renewal.
    const periodEnd = new Date(Date.now() - 1_000).toISOString();
    await rows(`UPDATE local_gateway_objects SET data = jsonb_set(data, '{currentPeriodEnd}', to_jsonb($1::text)) WHERE id = $2`, [periodEnd, sub?.id]);

    const deadline = Date.now() + 60_000;
    while (alive(api.pid)) {
      if (Date.now() > deadline) expect.fail(`the API did not crash at the hook:\n${api.output()}`);
      await sleep(100);
    }
    const crashed = api;
    await crashed.stop(); // already gone; removes its data folder

    const gatewayInvoices = () =>
      rows<{ id: string }>(`SELECT id FROM local_gateway_objects WHERE object = 'invoice' AND data->>'subscriptionId' = $1 AND data->>'periodStart' = $2`, [sub?.id, periodEnd]);
    const workflowId = `renewal:${sub?.id}:${periodEnd}`;
    const runOf = async () =>
      (await rows<{ id: string; status: string; result: Record<string, unknown> | null }>(`SELECT id, status, result FROM workflow_runs WHERE workflow_id = $1`, [workflowId]))[0];
    const stepsOf = async (runId: string) =>
      rows<{ name: string; status: string }>(`SELECT name, status FROM workflow_steps WHERE run_id = $1 ORDER BY seq`, [runId]);

    // The crash came inside the renewal's transaction: nothing of it was kept.
    expect(await gatewayInvoices()).toEqual([]);
    const before = await runOf();
    expect(before?.status).toBe('running');
    const stepsBefore = await stepsOf(before?.id ?? '');
    expect(stepsBefore.find((s) => s.name === 'close-usage-period')?.status).toBe('completed');
    expect(stepsBefore.find((s) => s.name === 'invoice-and-renew')?.status).not.toBe('completed');

    // Restarted without the hook: the run is taken over after its lease and completes.
    api = await startApi({ env, signingKeys: crashed.signingKeys });
    const until = Date.now() + 60_000;
    let run = await runOf();
    while (run?.status === 'running') {
      if (Date.now() > until) expect.fail(`the renewal did not finish after the restart:\n${api.output()}`);
      await sleep(200);
      run = await runOf();
    }
    expect(run?.status).toBe('completed');
    expect(run?.result).toMatchObject({ outcome: 'renewed', periodEnd });
    expect((await stepsOf(run?.id ?? '')).map((s) => s.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);

    // Billed exactly once: one gateway invoice, one invoice in CBP, the subscription one period on.
    expect(await gatewayInvoices()).toHaveLength(1);
    const mirrored = await rows<{ id: string }>(`SELECT id FROM invoices WHERE tenant_id = $1 AND period_start = $2::timestamptz`, [acme.id, periodEnd]);
    expect(mirrored).toHaveLength(1);
    const [after] = await rows<{ period_start: string; period_end: string }>(
      `SELECT data->>'currentPeriodStart' AS period_start, data->>'currentPeriodEnd' AS period_end FROM local_gateway_objects WHERE id = $1`,
      [sub?.id],
    );
    expect(after?.period_start).toBe(periodEnd);
    expect(new Date(after?.period_end ?? 0).getTime()).toBeGreaterThan(Date.now() + 20 * 86_400_000);
    const [mirror] = await rows<{ current_period_start: Date }>(`SELECT current_period_start FROM subscriptions WHERE tenant_id = $1`, [acme.id]);
    expect(mirror?.current_period_start.toISOString()).toBe(periodEnd);
    // A later tick (another clock, another copy) bills nothing more.
    await sleep(2_500);
    expect(await gatewayInvoices()).toHaveLength(1);
  }, 240_000);
});
