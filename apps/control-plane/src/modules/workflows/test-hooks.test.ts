import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { WorkflowStatusDetail } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { loadConfig } from '../../config.js';
import { workflowTestHooks } from './test-hooks.js';

// The end-to-end suite's hook (CBP_TEST_HOOKS=1): a `test.flaky` run fails at `charge`, a retry
// completes it, a sleeping one is cancelled; without the variable the route does not exist.

let t: TestContext;

async function call(email: string, method: 'GET' | 'POST', url: string, payload?: object) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': acme.id },
    ...(payload ? { payload } : {}),
  });
}

async function waitFor(id: string, done: (run: WorkflowStatusDetail) => boolean, timeoutMs = 10_000): Promise<WorkflowStatusDetail> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await call('engineer@acme.test', 'GET', `/workflows/${id}/status`);
    const run = res.json() as WorkflowStatusDetail;
    if (res.statusCode === 200 && done(run)) return run;
    if (Date.now() > until) throw new Error(`run ${id} did not get there: ${res.body}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  t = await createTestContext({ CBP_TEST_HOOKS: '1', WORKFLOW_POLL_INTERVAL_MS: '50' });
});
afterAll(() => t.close());

describe('POST /workflows/test-hooks/start (CBP_TEST_HOOKS=1)', () => {
  it('starts a run that fails at charge with its error; an admin retry completes it', async () => {
    const started = await call('admin@acme.test', 'POST', '/workflows/test-hooks/start', {});
    expect(started.statusCode).toBe(201);
    const { id } = started.json() as { id: string };

    const failed = await waitFor(id, (run) => run.status === 'failed');
    expect(failed.type).toBe('test.flaky');
    expect(failed.tenantId).toBe(acme.id);
    expect(failed.currentStep).toBe('charge');
    expect(failed.error?.step).toBe('charge');
    expect(failed.error?.message).toContain('Card declined by the test gateway');
    expect(failed.steps.map((s) => [s.name, s.status])).toEqual([
      ['prepare', 'completed'],
      ['charge', 'failed'],
    ]);
    expect(failed.steps[1]?.attempts).toBe(2);
    expect(failed.steps[1]?.lastError?.stack).toContain('Card declined');

    const retried = await call('admin@acme.test', 'POST', `/workflows/${id}/retry`);
    expect(retried.statusCode).toBe(200);
    const done = await waitFor(id, (run) => run.status === 'completed');
    expect(done.attempt).toBe(2);
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([
      ['prepare', 'completed'],
      ['charge', 'completed'],
      ['finish', 'completed'],
    ]);
    expect(done.result).toMatchObject({ charged: 4200, currency: 'usd', onAttempt: 2, receipt: `rcpt_${id.slice(0, 8)}` });
  });

  it('with sleepMs the run waits in its sleep until cancelled; it never charges', async () => {
    const started = await call('admin@acme.test', 'POST', '/workflows/test-hooks/start', { failAttempts: 0, sleepMs: 3_600_000 });
    expect(started.statusCode).toBe(201);
    const { id } = started.json() as { id: string };
    const sleeping = await waitFor(id, (run) => run.steps.some((s) => s.name === 'wait' && s.status === 'waiting'));
    expect(sleeping.status).toBe('running');
    expect(sleeping.currentStep).toBe('wait');
    expect(Date.parse(sleeping.steps[1]?.wakeAt ?? '')).toBeGreaterThan(Date.now() + 3_000_000);

    const cancelled = await call('admin@acme.test', 'POST', `/workflows/${id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect((cancelled.json() as WorkflowStatusDetail).status).toBe('cancelled');
    const after = await waitFor(id, (run) => run.status === 'cancelled');
    expect(after.steps.map((s) => s.name)).toEqual(['prepare', 'wait']);
  });

  it('is for admins, like cancel and retry: an engineer gets 403 and nothing starts', async () => {
    const before = (await call('engineer@acme.test', 'GET', '/workflows?type=test.flaky')).json() as { total: number };
    const res = await call('engineer@acme.test', 'POST', '/workflows/test-hooks/start', {});
    expect(res.statusCode).toBe(403);
    const after = (await call('engineer@acme.test', 'GET', '/workflows?type=test.flaky')).json() as { total: number };
    expect(after.total).toBe(before.total);
  });

  it('refuses a bad input with 400', async () => {
    const res = await call('admin@acme.test', 'POST', '/workflows/test-hooks/start', { failAttempts: -1 });
    expect(res.statusCode).toBe(400);
  });
});

describe('without CBP_TEST_HOOKS, or in production', () => {
  it('the route does not exist in a normal app', async () => {
    const normal = await createTestContext();
    try {
      const res = await normal.app.inject({
        method: 'POST',
        url: '/workflows/test-hooks/start',
        headers: { authorization: `Bearer ${await normal.tokenFor('admin@acme.test')}`, 'x-tenant-id': acme.id },
        payload: {},
      });
      expect(res.statusCode).toBe(404);
    } finally {
      await normal.close();
    }
  });

  it('refuses to load with NODE_ENV=production', async () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      CBP_TEST_HOOKS: '1',
      CBP_DATA_DIR: '/nonexistent',
      OIDC_COOKIE_SECRET: randomBytes(32).toString('hex'),
      WORKFLOW_POLL_INTERVAL_MS: '0',
    });
    const app = Fastify().withTypeProvider<ZodTypeProvider>();
    await expect(app.register(workflowTestHooks, { config, db: t.database.db }).ready()).rejects.toThrow(/refused when NODE_ENV=production/);
    await app.close().catch(() => undefined);
  });
});
