import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../test/harness.js';
import { platformRows, withTenant } from './db.js';
import { createEventConsumer, publishEvent, type DomainEvent, type EventHandler } from './events.js';

/** The domain events outbox and its consumer, with handlers of the test's own. */

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

const publish = (tenantId: string, type: string, payload: Record<string, unknown> = {}) =>
  withTenant(t.database.db, tenantId, (tx) => publishEvent(tx, { type, tenantId, payload }));

/** A handler that records each call (by event id) and fails while `failing` says so. */
function recorder(name: string, failing: (event: DomainEvent) => boolean = () => false) {
  const calls: string[] = [];
  const handler: EventHandler = {
    name,
    async handle(_tx, event) {
      if (!event.type.startsWith('test.')) return;
      calls.push(event.id);
      if (failing(event)) throw new Error(`${name} refuses ${event.type}`);
    },
  };
  return { handler, calls };
}

describe('domain events', () => {
  it('exist only when the change commits: a rolled-back transaction publishes nothing', async () => {
    await expect(
      withTenant(t.database.db, acme.id, async (tx) => {
        await publishEvent(tx, { type: 'test.rolled-back', tenantId: acme.id });
        throw new Error('the change fails');
      }),
    ).rejects.toThrow('the change fails');
    const rows = await platformRows(t.database.db, sql`SELECT 1 FROM domain_events WHERE type = 'test.rolled-back'`);
    expect(rows).toEqual([]);
  });

  it('a failing handler is retried later without running the others again', async () => {
    let refuse = true;
    const steady = recorder('steady');
    const flaky = recorder('flaky', (event) => refuse && event.type === 'test.retry');
    const consumer = createEventConsumer({ db: t.database.db, handlers: [steady.handler, flaky.handler] });
    await consumer.drain(); // anything left by the tests above
    steady.calls.length = 0;
    flaky.calls.length = 0;

    const id = await publish(acme.id, 'test.retry');
    await consumer.drain();
    expect(steady.calls).toEqual([id]);
    expect(flaky.calls).toEqual([id]);
    const [failed] = await platformRows<{ attempts: number; last_error: string; delivered: boolean; later: boolean }>(
      t.database.db,
      sql`SELECT attempts, last_error, delivered_at IS NOT NULL AS delivered, next_attempt_at > now() AS later FROM domain_events WHERE id = ${id}`,
    );
    expect(failed).toEqual({ attempts: 1, last_error: 'flaky refuses test.retry', delivered: false, later: true });
    // Not due yet: a drain now leaves it alone.
    await consumer.drain();
    expect(flaky.calls).toEqual([id]);

    refuse = false;
    await t.database.execScript(`UPDATE domain_events SET next_attempt_at = now() WHERE id = '${id}'`);
    await consumer.drain();
    expect(flaky.calls).toEqual([id, id]);
    expect(steady.calls).toEqual([id]); // its delivery was recorded the first time
    const [done] = await platformRows<{ delivered: boolean }>(t.database.db, sql`SELECT delivered_at IS NOT NULL AS delivered FROM domain_events WHERE id = ${id}`);
    expect(done?.delivered).toBe(true);
  });

  it('two consumers draining at once (two API copies) run each handler once per event', async () => {
    const a = recorder('shared');
    const b = recorder('shared');
    const first = createEventConsumer({ db: t.database.db, handlers: [a.handler] });
    const second = createEventConsumer({ db: t.database.db, handlers: [b.handler] });
    await first.drain();
    a.calls.length = 0;
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await publish(i % 2 ? acme.id : globex.id, 'test.concurrent', { i }));
    const [n1, n2] = await Promise.all([first.drain(), second.drain()]);
    expect(n1 + n2).toBe(40);
    expect([...a.calls, ...b.calls].sort()).toEqual([...ids].sort());
  });
});
