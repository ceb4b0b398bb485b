import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { routePolicies } from '@cbp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../test/harness.js';
import { buildApp } from '../app.js';
import { recordAuditEntry } from './audit.js';
import type { RequestContext } from './context.js';
import { migrate, platformRows, queryRows, withTenant, type Tx } from './db.js';
import { registerErrorHandling } from './errors.js';

let t: TestContext;

/** PGlite connects as a superuser, who bypasses RLS: act as a plain role, as production does. */
async function actAsPlainRole(tx: Tx) {
  if (t.database.kind !== 'pglite') return;
  await tx.execute(sql`DO $$ BEGIN CREATE ROLE rls_probe; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  await tx.execute(sql`GRANT SELECT, INSERT ON tenant_memberships, audit_logs TO rls_probe`);
  await tx.execute(sql`SET LOCAL ROLE rls_probe`);
}
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

describe('errors', () => {
  const bare = async () => {
    const app = Fastify().withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    registerErrorHandling(app);
    app.post('/things', { schema: { body: z.object({ name: z.string().min(1), count: z.number().int() }) } }, () => ({ ok: true }));
    await app.ready();
    return app;
  };

  it('answers 400 problem+json listing every invalid field', async () => {
    const app = await bare();
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: '', count: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.count', 'body.name']);
  });

  it('answers 400 problem+json to malformed JSON', async () => {
    const app = await bare();
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it('answers 404 problem+json to unknown routes', async () => {
    const res = await t.app.inject({ url: '/no/such/route' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND', instance: '/no/such/route' });
  });

  it('echoes the request id so a user can quote it', async () => {
    const res = await t.app.inject({ url: '/health', headers: { 'x-request-id': 'req-12345678' } });
    expect(res.headers['x-request-id']).toBe('req-12345678');
  });
});

describe('guard', () => {
  it('refuses to start with a route missing from the RBAC table', async () => {
    const app = await buildApp({ config: t.config, db: t.database.db, signingKeys: t.keys, cookieSecret: 'x'.repeat(32) });
    expect(() => app.get('/unlisted', () => 'open')).toThrow(/no entry in routePolicies/);
    await app.close();
  });

  it('lets an analyst read the plans but not act above their role (policy table decides)', async () => {
    const res = await t.app.inject({
      url: '/plans',
      headers: { authorization: `Bearer ${await t.tokenFor('analyst@acme.test')}`, 'x-tenant-id': acme.id },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('GET /docs', () => {
  it('is an OpenAPI 3 document listing every route', async () => {
    const res = await t.app.inject({ url: '/docs' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const expected = Object.keys(routePolicies).map((k) => k.replace(/:(\w+)/g, '{$1}'));
    expect(listed.sort()).toEqual(expected.sort());
    expect(doc.paths['/me'].get.responses['200']).toBeDefined();
  });
});

describe('GET /health', () => {
  it('reports the database as up', async () => {
    const res = await t.app.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', database: 'ok' });
  });
});

describe('database', () => {
  it('applies each migration once', async () => {
    expect(await migrate(t.database)).toEqual([]);
  });

  it('scopes tenant transactions with row-level security', async () => {
    const slugs = await withTenant(t.database.db, acme.id, async (tx) => {
      await actAsPlainRole(tx);
      return queryRows<{ tenant_id: string }>(tx, sql`SELECT DISTINCT tenant_id FROM tenant_memberships`);
    });
    expect(slugs.map((r) => r.tenant_id)).toEqual([acme.id]);
    const all = await platformRows<{ n: number }>(t.database.db, sql`SELECT count(DISTINCT tenant_id)::int AS n FROM tenant_memberships`);
    expect(all[0]?.n).toBe(2);
  });
});

describe('audit trail helper', () => {
  const ctx: RequestContext = {
    actor: { type: 'user', id: '00000000-0000-4000-8000-000000000a04', email: 'owner@acme.test' },
    tenantId: acme.id,
    role: 'owner',
    ipAddress: '203.0.113.9',
    userAgent: 'vitest',
  };
  const countOf = async (action: string) =>
    (await platformRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM audit_logs WHERE action = ${action}`))[0]?.n;

  it('writes the entry with the change and loses it when the change rolls back', async () => {
    await withTenant(t.database.db, acme.id, (tx) =>
      recordAuditEntry(tx, ctx, { action: 'test.committed', targetType: 'tenant', targetId: acme.id }),
    );
    await expect(
      withTenant(t.database.db, acme.id, async (tx) => {
        await recordAuditEntry(tx, ctx, { action: 'test.rolled_back', targetType: 'tenant', targetId: acme.id });
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect(await countOf('test.committed')).toBe(1);
    expect(await countOf('test.rolled_back')).toBe(0);
  });

  it('records actor, target, before/after, IP and user agent, never secrets', async () => {
    await withTenant(t.database.db, acme.id, (tx) =>
      recordAuditEntry(tx, ctx, {
        action: 'test.redacted',
        targetType: 'user',
        targetId: 'u1',
        targetName: 'someone',
        before: { role: 'analyst' },
        after: { role: 'admin', password: 'hunter2', cardNumber: '4242424242424242' },
      }),
    );
    const [row] = await platformRows<Record<string, unknown>>(t.database.db, sql`SELECT * FROM audit_logs WHERE action = 'test.redacted'`);
    expect(row).toMatchObject({
      tenant_id: acme.id,
      actor_type: 'user',
      actor_email: 'owner@acme.test',
      target_type: 'user',
      ip_address: '203.0.113.9',
      user_agent: 'vitest',
      before: { role: 'analyst' },
      after: { role: 'admin', password: '[redacted]', cardNumber: '[redacted]' },
    });
  });

  it("cannot write another tenant's entry from inside a tenant scope", async () => {
    await expect(
      withTenant(t.database.db, acme.id, async (tx) => {
        await actAsPlainRole(tx);
        await recordAuditEntry(tx, { ...ctx, tenantId: globex.id }, { action: 'test.cross', targetType: 'tenant' });
      }),
    ).rejects.toSatisfy((e: Error) => /row-level security/.test(String((e.cause as Error | undefined)?.message)));
  });
});
