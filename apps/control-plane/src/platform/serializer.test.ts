import Fastify from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { registerErrorHandling } from './errors.js';
import { responseSerializerCompiler } from './serializer.js';

// What the compiled response serializer writes (issue 18): production's fast path and the
// checked path every other environment runs.

const Member = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(['owner', 'admin']),
  seats: z.number().int(),
  lastSeenAt: z.iso.datetime().nullable(),
  manager: z.object({ name: z.string() }).nullable(),
  tags: z.array(z.string()),
  settings: z.record(z.string(), z.unknown()),
});

const member = {
  id: '00000000-0000-4000-8000-000000000001',
  name: 'Ann "the owner" \u2028 Lee',
  role: 'owner',
  seats: 3,
  lastSeenAt: null,
  manager: null,
  tags: ['a', 'b'],
  settings: { theme: 'dark', nested: { on: true } },
};

async function appReturning(value: unknown, verify: boolean) {
  const app = Fastify().withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler({ verify }));
  registerErrorHandling(app);
  app.get('/member', { schema: { response: { 200: Member } } }, () => value as z.infer<typeof Member>);
  await app.ready();
  return app;
}

describe('response serializer', () => {
  for (const verify of [false, true]) {
    const mode = verify ? 'checked (tests, development)' : 'compiled (production)';

    it(`${mode}: writes what zod would, nulls and nested values included`, async () => {
      const app = await appReturning(member, verify);
      const res = await app.inject({ method: 'GET', url: '/member' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(member);
      const filled = { ...member, lastSeenAt: '2026-12-05T10:00:00.000Z', manager: { name: 'Bo' } };
      const app2 = await appReturning(filled, verify);
      expect((await app2.inject({ method: 'GET', url: '/member' })).json()).toEqual(filled);
    });

    it(`${mode}: never writes a field the schema does not name (a row's secret stays on the server)`, async () => {
      const app = await appReturning({ ...member, passwordHash: 'secret-hash', manager: { name: 'Bo', salary: 1 } }, verify);
      const res = await app.inject({ method: 'GET', url: '/member' });
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('secret-hash');
      expect(res.body).not.toContain('salary');
      expect(res.json()).toEqual({ ...member, manager: { name: 'Bo' } });
    });
  }

  it('checked: a value off the contract is a 500, not a response', async () => {
    const app = await appReturning({ ...member, seats: 'three' }, true);
    const res = await app.inject({ method: 'GET', url: '/member' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('three');
  });
});
