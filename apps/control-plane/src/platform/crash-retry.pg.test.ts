import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiProcess } from '../../test/api-process.js';
import { startPostgres, type PostgresServer } from '../../test/postgres-server.js';
import { demoTenants, seedDemo } from '../seed/demo.js';
import { migrate, openDatabase } from './db.js';

// kill -9 of the real API (a child process on a real PostgreSQL) while payment methods are being
// added with Idempotency-Key and usage batches ingested; then a restart, and every request
// retried with the same keys. Each retry completes exactly once within the lease; nothing is
// duplicated (in CBP or at the local gateway), no acknowledged event is lost, none counts twice.

const acme = demoTenants[0];
// Longer than a restart takes here, so retries also meet the dead process's live claims.
const leaseMs = 12_000;
const database = 'cbp_crash';

let server: PostgresServer;
let api: ApiProcess | undefined;
let owner: pg.Client;

/** Reads as the schema owner inside the tenant's row-level security scope. */
async function tenantRows<T>(query: string, params: unknown[] = []): Promise<T[]> {
  await owner.query('BEGIN');
  try {
    await owner.query("SELECT set_config('app.tenant_id', $1, true)", [acme.id]);
    const { rows } = await owner.query(query, params);
    return rows as T[];
  } finally {
    await owner.query('COMMIT');
  }
}

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase(database);
  const migrating = await openDatabase({ url: `${server.ownerUrl}/${database}` });
  await migrate(migrating, { appRole: server.appRole });
  await migrating.close();
  // Seeded through the API's role, as the running API would (see test/global-setup.ts).
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  status: number;
  body: Record<string, unknown>;
}

/** One request; a connection cut by the kill is `null` (not acknowledged). */
async function attempt(send: () => Promise<Response>): Promise<Outcome | null> {
  try {
    const res = await send();
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return null;
  }
}

describe('kill -9 of the API mid-flight, then retries with the same keys', () => {
  it('completes every payment-method add and usage batch exactly once after a restart', async () => {
    api = await startApi({
      env: {
        DATABASE_URL: `${server.appUrl}/${database}`,
        DATABASE_MIGRATION_URL: `${server.ownerUrl}/${database}`,
        IDEMPOTENCY_LEASE_MS: String(leaseMs),
        // Limits stay on but out of reach of this burst.
        RATE_LIMIT_READS_PER_SECOND: '100000',
        RATE_LIMIT_WRITES_PER_SECOND: '100000',
        RATE_LIMIT_EVENTS_PER_SECOND: '100000000',
        RATE_LIMIT_ANON_PER_MINUTE: '1000000',
      },
    });
    const live = api;
    const owned = { email: 'owner@acme.test', tenantId: acme.id };

    const created = await live.request('/api-keys', { ...owned, body: { name: 'crash test ingestion' } });
    expect(created.status, live.output()).toBe(201);
    const apiKey = ((await created.json()) as { secret: string }).secret;
    // Quotas exist before the burst, so their counters can be compared.
    expect((await live.request('/usage/status', owned)).status).toBe(200);
    const token = await live.request('/local-gateway/payment-methods', {
      ...owned,
      body: { number: '2223 0031 2200 3222', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123', postalCode: '94107' },
    });
    expect(token.status).toBe(201);
    const tokenised = ((await token.json()) as { paymentMethodId: string }).paymentMethodId;

    const cards = ['pm_card_visa', 'pm_card_visa_debit', 'pm_card_mastercard', 'pm_card_amex', 'pm_card_discover', tokenised];
    const last4s = ['0005', '1117', '3222', '4242', '4444', '5556'];
    const adds = cards.map((stripePaymentMethodId, i) => ({ key: `crash-pm-${i}`, body: { stripePaymentMethodId } }));
    const batches = Array.from({ length: 30 }, (_, b) => ({
      events: Array.from({ length: 250 }, (_, i) => ({ metricType: 'api_calls', quantity: 1 + (i % 3), idempotencyKey: `crash-ev-${b}-${i}` })),
    }));
    const total = batches.flatMap((b) => b.events).reduce((sum, e) => sum + e.quantity, 0);
    const eventCount = batches.length * 250;
    const [before] = await tenantRows<{ usage: string; events: string }>(
      "SELECT current_usage AS usage, current_events AS events FROM usage_quotas WHERE tenant_id = $1 AND metric_type = 'api_calls'",
      [acme.id],
    );
    expect(before).toBeDefined();

    const sendAdd = (target: ApiProcess, add: (typeof adds)[number]) =>
      target.request('/payment-methods', { ...owned, body: add.body, headers: { 'idempotency-key': add.key } });
    const sendBatch = (target: ApiProcess, batch: (typeof batches)[number]) =>
      target.request('/usage/events', { bearer: apiKey, body: batch });

    // The burst; the API is killed (SIGKILL: no shutdown code runs) as soon as the first add is
    // answered, so the others are caught at different steps (claimed, attached, saved, ...).
    let firstAnswer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      firstAnswer = resolve;
    });
    const addsInFlight = adds.map((add) => attempt(() => sendAdd(live, add)).finally(() => firstAnswer()));
    // Ingestion in three lanes of consecutive batches, as a sender with a few connections would.
    const batchOutcomes: (Outcome | null)[] = batches.map(() => null);
    const lanes = [0, 1, 2].map(async (lane) => {
      for (let i = lane; i < batches.length; i += 3) {
        const batch = batches[i];
        if (!batch) break;
        batchOutcomes[i] = await attempt(() => sendBatch(live, batch));
        if (!batchOutcomes[i]) break;
      }
    });
    await Promise.race([answered, sleep(15_000)]);
    await live.kill('SIGKILL');
    const addOutcomes = await Promise.all(addsInFlight);
    await Promise.all(lanes);
    const cut = [...addOutcomes, ...batchOutcomes].filter((o) => o === null).length;
    expect(cut, 'the kill should land while requests are in flight').toBeGreaterThan(0);
    for (const o of addOutcomes) if (o) expect(o.status, JSON.stringify(o.body)).toBe(201);
    for (const o of batchOutcomes) if (o) expect(o.status, JSON.stringify(o.body)).toBe(200);

    // Every batch acknowledged before the kill is stored, whole.
    const acknowledged = batches.filter((_, i) => batchOutcomes[i] !== null).flatMap((b) => b.events.map((e) => e.idempotencyKey));
    const [stored] = await tenantRows<{ n: string }>('SELECT count(*) AS n FROM usage_events WHERE tenant_id = $1 AND idempotency_key = ANY($2)', [
      acme.id,
      acknowledged,
    ]);
    expect(Number(stored?.n)).toBe(acknowledged.length);

    // Restart on the same database; retry everything with the same keys.
    const restarted = await live.restart();
    api = restarted;
    const retryStarted = Date.now();
    const retryUntilDone = async (send: () => Promise<Response>, done: number): Promise<Outcome & { replayed: boolean }> => {
      for (;;) {
        const res = await send();
        const body = (await res.json()) as Record<string, unknown>;
        if (res.status === done) return { status: res.status, body, replayed: res.headers.get('idempotent-replayed') === 'true' };
        // A claim of the killed process holds its key until its lease ends: wait as told.
        expect({ status: res.status, code: body.code }, restarted.output().slice(-4000)).toEqual({ status: 409, code: 'IDEMPOTENCY_IN_PROGRESS' });
        const wait = Number(res.headers.get('retry-after'));
        expect(wait).toBeGreaterThanOrEqual(1);
        expect(wait).toBeLessThanOrEqual(60);
        await sleep(Math.min(wait * 1000, 1_000));
        expect(Date.now() - retryStarted, 'a retry must complete within the lease').toBeLessThan(leaseMs + 15_000);
      }
    };
    const retried = await Promise.all(adds.map((add) => retryUntilDone(() => sendAdd(restarted, add), 201)));
    const retriedBatches = await Promise.all(batches.map((batch) => retryUntilDone(() => sendBatch(restarted, batch), 200)));
    adds.forEach((_, i) => {
      const earlier = addOutcomes[i];
      // An add answered before the kill is answered the same again.
      if (earlier) expect(retried[i]?.body.id).toBe(earlier.body.id);
    });
    batches.forEach((batch, i) => {
      const result = retriedBatches[i]?.body as { accepted: number; duplicates: number };
      expect(result.accepted + result.duplicates).toBe(batch.events.length);
      if (batchOutcomes[i]) expect(result).toEqual({ accepted: 0, duplicates: batch.events.length });
    });

    // The local gateway's queued events (attach, default) arrive after the restart: they change nothing.
    await expect
      .poll(
        async () =>
          (await owner.query("SELECT count(*) AS n FROM local_gateway_objects WHERE object = 'event' AND (data->>'delivered')::boolean = false")).rows[0]?.n,
        { timeout: 15_000, interval: 500 },
      )
      .toBe('0');

    // Payment methods: one per add, in CBP and at the gateway, one default, one audit entry each.
    const listed = (await (await restarted.request('/payment-methods', owned)).json()) as { id: string; stripePaymentMethodId: string; isDefault: boolean; card: { last4: string } }[];
    expect(listed.map((m) => m.card.last4).sort()).toEqual(last4s);
    expect(listed.filter((m) => m.isDefault)).toHaveLength(1);
    expect(new Set(retried.map((r) => r.body.id))).toEqual(new Set(listed.map((m) => m.id)));
    const [customer] = await tenantRows<{ customer_id: string }>('SELECT customer_id FROM billing_customers WHERE tenant_id = $1', [acme.id]);
    const { rows: atGateway } = await owner.query<{ id: string }>(
      "SELECT id FROM local_gateway_objects WHERE object = 'payment_method' AND data->>'customerId' = $1",
      [customer?.customer_id],
    );
    expect(atGateway.map((r) => r.id).sort()).toEqual(listed.map((m) => m.stripePaymentMethodId).sort());
    const added = await tenantRows<{ target_id: string }>("SELECT target_id FROM audit_logs WHERE tenant_id = $1 AND action = 'payment_method.added'", [acme.id]);
    expect(added.map((a) => a.target_id).sort()).toEqual(listed.map((m) => m.id).sort());
    const keys = await tenantRows<{ key: string; status_code: number }>(
      "SELECT key, status_code FROM idempotency_keys WHERE tenant_id = $1 AND key LIKE 'crash-pm-%'",
      [acme.id],
    );
    expect(keys.map((k) => k.status_code)).toEqual(adds.map(() => 201));
    for (const [i, add] of adds.entries()) {
      const replay = await sendAdd(restarted, add);
      expect(replay.status).toBe(201);
      expect(((await replay.json()) as { id: string }).id).toBe(retried[i]?.body.id);
    }

    // Usage: every event once, in the raw events, the daily rollup and the quota counter.
    const [events] = await tenantRows<{ n: string; q: string }>(
      "SELECT count(*) AS n, coalesce(sum(quantity), 0) AS q FROM usage_events WHERE tenant_id = $1 AND idempotency_key LIKE 'crash-ev-%'",
      [acme.id],
    );
    expect({ events: Number(events?.n), quantity: Number(events?.q) }).toEqual({ events: eventCount, quantity: total });
    const [after] = await tenantRows<{ usage: string; events: string }>(
      "SELECT current_usage AS usage, current_events AS events FROM usage_quotas WHERE tenant_id = $1 AND metric_type = 'api_calls'",
      [acme.id],
    );
    expect({ usage: Number(after?.usage) - Number(before?.usage), events: Number(after?.events) - Number(before?.events) }).toEqual({
      usage: total,
      events: eventCount,
    });
  }, 240_000);
});
