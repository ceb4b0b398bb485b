import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, globex, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

const ids = {
  analyst: '00000000-0000-4000-8000-000000000a01',
  engineer: '00000000-0000-4000-8000-000000000a02',
  admin: '00000000-0000-4000-8000-000000000a03',
  owner: '00000000-0000-4000-8000-000000000a04',
  globexOwner: '00000000-0000-4000-8000-000000000b01',
};

async function call(email: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, tenantId: string = acme.id) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': tenantId },
    ...(payload ? { payload } : {}),
  });
}

const roleOf = async (userId: string) =>
  (await platformRows<{ role: string }>(t.database.db, sql`SELECT role FROM tenant_memberships WHERE tenant_id = ${acme.id} AND user_id = ${userId}`))[0]?.role;

const entries = async (action: string) =>
  platformRows<{ actor_email: string; target_id: string; before: unknown; after: unknown }>(
    t.database.db,
    sql`SELECT actor_email, target_id, before, after FROM audit_logs WHERE tenant_id = ${acme.id} AND action = ${action} ORDER BY seq`,
  );

describe('GET /users', () => {
  it('lists the members with search, status and role filters and pagination (analyst)', async () => {
    const all = (await call('analyst@acme.test', 'GET', '/users')).json();
    expect(all.total).toBe(4);
    expect(all.data.map((m: { email: string }) => m.email)).toEqual(['admin@acme.test', 'analyst@acme.test', 'engineer@acme.test', 'owner@acme.test']);
    expect(all.data[0]).toMatchObject({ name: 'Adele Admin', role: 'admin', status: 'active' });
    expect((await call('analyst@acme.test', 'GET', '/users?search=olivia')).json().data).toEqual([expect.objectContaining({ email: 'owner@acme.test' })]);
    expect((await call('analyst@acme.test', 'GET', '/users?role=engineer')).json().total).toBe(1);
    expect((await call('analyst@acme.test', 'GET', '/users?status=suspended')).json()).toEqual({ data: [], total: 0 });
    const page2 = (await call('analyst@acme.test', 'GET', '/users?limit=3&page=2')).json();
    expect(page2).toMatchObject({ total: 4, data: [expect.objectContaining({ email: 'owner@acme.test' })] });
    expect((await call('analyst@acme.test', 'GET', '/users?status=gone')).statusCode).toBe(400);
  });

  it('never shows another tenant its members', async () => {
    const globexView = (await call('owner@globex.test', 'GET', '/users', undefined, globex.id)).json();
    expect(globexView.data.every((m: { email: string }) => m.email.endsWith('@globex.test'))).toBe(true);
    expect((await call('owner@globex.test', 'GET', `/users/${ids.admin}`, undefined, globex.id)).statusCode).toBe(404);
    expect((await call('owner@globex.test', 'PATCH', `/users/${ids.admin}/role`, { role: 'analyst' }, globex.id)).statusCode).toBe(404);
  });

  it('lists the roles with what each may do', async () => {
    const roles = (await call('analyst@acme.test', 'GET', '/roles')).json() as { key: string; level: number; permissions: string[] }[];
    expect(roles.map((r) => r.key)).toEqual(['analyst', 'engineer', 'admin', 'owner']);
    const of = (key: string) => roles.find((r) => r.key === key)?.permissions ?? [];
    expect(of('admin')).toContain('users:edit');
    expect(of('analyst')).not.toContain('users:edit');
    expect(of('owner')).toContain('team:edit');
    expect(of('admin')).not.toContain('team:edit');
  });
});

describe('role changes', () => {
  it('lets an admin change a role below owner, with an audit entry', async () => {
    const res = await call('admin@acme.test', 'PATCH', `/users/${ids.analyst}/role`, { role: 'engineer' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ids.analyst, role: 'engineer' });
    const [entry] = (await entries('member.role_changed')).slice(-1);
    expect(entry).toMatchObject({ actor_email: 'admin@acme.test', target_id: ids.analyst, before: { role: 'analyst' }, after: { role: 'engineer' } });
    expect((await call('admin@acme.test', 'PATCH', `/users/${ids.analyst}/role`, { role: 'analyst' })).statusCode).toBe(200);
  });

  it('refuses your own role, owner grants by admins and owners changed by admins; nothing changes', async () => {
    const before = (await entries('member.role_changed')).length;
    const own = await call('admin@acme.test', 'PATCH', `/users/${ids.admin}/role`, { role: 'owner' });
    expect(own.statusCode).toBe(422);
    expect(own.json().detail).toBe('You cannot change your own role or status.');
    const grant = await call('admin@acme.test', 'PATCH', `/users/${ids.engineer}/role`, { role: 'owner' });
    expect(grant.statusCode).toBe(403);
    expect(grant.json().detail).toBe('Only an owner can grant the owner role.');
    expect((await call('admin@acme.test', 'PATCH', `/users/${ids.owner}/role`, { role: 'analyst' })).statusCode).toBe(403);
    expect((await call('engineer@acme.test', 'PATCH', `/users/${ids.analyst}/role`, { role: 'engineer' })).statusCode).toBe(403);
    expect((await call('admin@acme.test', 'PATCH', `/users/${ids.engineer}/role`, { role: 'boss' })).statusCode).toBe(400);
    expect(await roleOf(ids.admin)).toBe('admin');
    expect(await roleOf(ids.engineer)).toBe('engineer');
    expect((await entries('member.role_changed')).length).toBe(before);
  });

  it('changes several roles with a result per member', async () => {
    const unknown = '00000000-0000-4000-8000-00000000ffff';
    const res = await call('admin@acme.test', 'POST', '/users/bulk-role', { userIds: [ids.analyst, ids.admin, unknown, ids.owner], role: 'engineer' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      updated: 1,
      failed: 3,
      results: [
        { index: 0, key: ids.analyst, ok: true },
        { index: 1, ok: false, status: 422, message: 'You cannot change your own role or status.' },
        { index: 2, ok: false, status: 404 },
        { index: 3, ok: false, status: 403 },
      ],
    });
    expect(await roleOf(ids.analyst)).toBe('engineer');
    await call('admin@acme.test', 'PATCH', `/users/${ids.analyst}/role`, { role: 'analyst' });
  });
});

describe('suspension and removal', () => {
  it('suspends a member, who then cannot use the tenant, and reactivates them', async () => {
    expect((await call('admin@acme.test', 'PATCH', `/users/${ids.engineer}/status`, { status: 'suspended' })).json()).toMatchObject({ status: 'suspended' });
    expect((await call('engineer@acme.test', 'GET', '/tenants/current')).statusCode).toBe(403);
    expect((await call('analyst@acme.test', 'GET', '/users?status=suspended')).json().data).toEqual([expect.objectContaining({ id: ids.engineer })]);
    expect((await call('admin@acme.test', 'PATCH', `/users/${ids.engineer}/status`, { status: 'active' })).statusCode).toBe(200);
    expect((await call('engineer@acme.test', 'GET', '/tenants/current')).statusCode).toBe(200);
    expect((await entries('member.suspended')).length).toBe(1);
    expect((await entries('member.reactivated')).length).toBe(1);
  });

  it('keeps owners out of reach of admins, and an active owner in the tenant', async () => {
    const res = await call('admin@acme.test', 'DELETE', `/users/${ids.owner}`);
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toBe('Admins cannot remove an owner.');
    const self = await call('owner@acme.test', 'DELETE', `/users/${ids.owner}`);
    expect(self.statusCode).toBe(422);
    const leave = await call('owner@acme.test', 'POST', '/team/leave');
    expect(leave.statusCode).toBe(422);
    expect(leave.json().detail).toBe('You are the last owner: transfer ownership before leaving.');
    expect(await roleOf(ids.owner)).toBe('owner');
  });
});

describe('ownership transfer', () => {
  it('is for owners only, and only to an active member', async () => {
    expect((await call('admin@acme.test', 'POST', '/team/transfer-ownership', { newOwnerId: ids.admin })).statusCode).toBe(403);
    expect((await call('owner@acme.test', 'POST', '/team/transfer-ownership', { newOwnerId: ids.globexOwner })).statusCode).toBe(404);
    expect((await call('owner@acme.test', 'POST', '/team/transfer-ownership', { newOwnerId: ids.owner })).statusCode).toBe(422);
  });

  it('swaps the roles in one transaction, records it and tells both by mail', async () => {
    const res = await call('owner@acme.test', 'POST', '/team/transfer-ownership', { newOwnerId: ids.admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ previousOwner: { id: ids.owner, role: 'admin' }, newOwner: { id: ids.admin, role: 'owner' } });
    expect(await roleOf(ids.admin)).toBe('owner');
    expect(await roleOf(ids.owner)).toBe('admin');
    expect(await entries('ownership.transferred')).toEqual([expect.objectContaining({ actor_email: 'owner@acme.test', target_id: ids.admin })]);
    const mails = await platformRows<{ to_address: string; subject: string }>(
      t.database.db,
      sql`SELECT to_address, subject FROM mail_outbox WHERE kind = 'ownership_transferred' ORDER BY to_address`,
    );
    expect(mails).toEqual([
      { to_address: 'admin@acme.test', subject: 'You are now the owner of Acme Corp' },
      { to_address: 'owner@acme.test', subject: 'You transferred the ownership of Acme Corp' },
    ]);
    // Both see it: the new owner may now transfer back; the former owner may not.
    expect((await call('owner@acme.test', 'POST', '/team/transfer-ownership', { newOwnerId: ids.admin })).statusCode).toBe(403);
    expect((await call('admin@acme.test', 'POST', '/team/transfer-ownership', { newOwnerId: ids.owner })).statusCode).toBe(200);
    expect(await roleOf(ids.owner)).toBe('owner');
  });
});

describe('activity', () => {
  it("shows one member's history and the team's changes (admin)", async () => {
    const mine = (await call('admin@acme.test', 'GET', `/team/activity?userId=${ids.analyst}`)).json() as { data: { action: string; targetId: string }[]; total: number };
    expect(mine.data.filter((e) => e.action === 'member.role_changed' && e.targetId === ids.analyst).length).toBeGreaterThanOrEqual(2);
    const team = (await call('admin@acme.test', 'GET', '/team/activity?limit=100')).json() as { data: { action: string }[] };
    expect(new Set(team.data.map((e) => e.action))).toEqual(new Set(['member.invited', 'member.role_changed', 'member.suspended', 'member.reactivated', 'ownership.transferred']));
    expect((await call('analyst@acme.test', 'GET', '/team/activity')).statusCode).toBe(403);
    expect((await call('admin@acme.test', 'GET', `/team/activity?userId=${ids.globexOwner}`)).statusCode).toBe(404);
  });
});

describe('leaving', () => {
  it('lets a member leave, after which the tenant is out of reach', async () => {
    expect((await call('analyst@acme.test', 'POST', '/team/leave')).statusCode).toBe(204);
    expect((await call('analyst@acme.test', 'GET', '/tenants/current')).statusCode).toBe(403);
    expect(await entries('member.left')).toEqual([expect.objectContaining({ actor_email: 'analyst@acme.test', target_id: ids.analyst })]);
  });
});
