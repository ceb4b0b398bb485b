import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxiosError, AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { ApiError, platformApi } from '@/lib/axios';
import { setSelectedTenantId } from '@/lib/tenant';
import {
  acceptInvitation,
  bulkChangeRole,
  bulkInvite,
  cancelInvitation,
  changeMemberRole,
  changeMemberStatus,
  getInvitations,
  getMember,
  getMembers,
  getOutbox,
  getRoles,
  getTeamActivity,
  invite,
  leaveTenant,
  previewInvitation,
  removeMember,
  resendInvitation,
  transferOwnership,
} from '@/services/team.service';
import { acme } from '@/test/fixtures';
import { oidcDouble, resetOidcDouble } from '@/test/oidc-double';
import { acmeTeam, invitation, outboxMessage, teamEntry } from '@/test/team-fixtures';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));

const originalAdapter = platformApi.defaults.adapter;
let sent: InternalAxiosRequestConfig[] = [];

function answer(body: unknown, status = 200) {
  const adapter: AxiosAdapter = async (config) => {
    sent.push(config);
    const response = { data: body, status, statusText: 'OK', headers: new AxiosHeaders({ 'content-type': 'application/json' }), config };
    if (status >= 400) throw new AxiosError('failed', 'ERR_BAD_REQUEST', config, null, response);
    return response;
  };
  platformApi.defaults.adapter = adapter;
}

const last = () => sent.at(-1);
const body = () => JSON.parse(String(last()?.data)) as unknown;
const { ada, grace, linus } = acmeTeam('admin');

beforeEach(() => {
  resetOidcDouble();
  setSelectedTenantId(acme.id);
  sent = [];
});
afterEach(() => {
  platformApi.defaults.adapter = originalAdapter;
  vi.restoreAllMocks();
});

describe('team.service', () => {
  it('lists members with only the filters set, and reads one, parsed with the contract', async () => {
    answer({ data: [ada, grace], total: 2 });
    await expect(getMembers({ page: 2, limit: 20, search: 'gr', status: undefined, role: 'engineer' })).resolves.toEqual({ data: [ada, grace], total: 2 });
    expect(last()?.url).toBe('/users');
    expect(last()?.params).toEqual({ page: 2, limit: 20, search: 'gr', role: 'engineer' });
    expect(last()?.headers.get('X-Tenant-Id')).toBe(acme.id);

    answer(grace);
    await expect(getMember(grace.id)).resolves.toEqual(grace);
    expect(last()?.url).toBe(`/users/${grace.id}`);

    vi.spyOn(console, 'error').mockImplementation(() => {});
    answer({ data: [{ ...grace, role: 'wizard' }], total: 1 });
    await expect(getMembers({ page: 1, limit: 20 })).rejects.toThrow('The server sent GET /users in an unexpected shape.');
  });

  it('changes a role, a status, removes, and changes roles in bulk', async () => {
    answer({ ...grace, role: 'admin' });
    await expect(changeMemberRole(grace.id, 'admin')).resolves.toMatchObject({ role: 'admin' });
    expect(last()?.method).toBe('patch');
    expect(last()?.url).toBe(`/users/${grace.id}/role`);
    expect(body()).toEqual({ role: 'admin' });

    answer({ ...grace, status: 'suspended' });
    await changeMemberStatus(grace.id, 'suspended', { silent: true });
    expect(last()?.url).toBe(`/users/${grace.id}/status`);
    expect(body()).toEqual({ status: 'suspended' });
    expect(last()?.silent).toBe(true);

    answer(null, 204);
    await expect(removeMember(grace.id)).resolves.toBeUndefined();
    expect(last()?.method).toBe('delete');
    expect(last()?.url).toBe(`/users/${grace.id}`);

    const result = {
      updated: 1,
      failed: 1,
      results: [
        { index: 0, key: grace.id, ok: true, status: 200 },
        { index: 1, key: linus.id, ok: false, status: 422, code: 'BUSINESS_RULE', message: 'No.' },
      ],
    };
    answer(result);
    await expect(bulkChangeRole([grace.id, linus.id], 'engineer')).resolves.toEqual(result);
    expect(last()?.url).toBe('/users/bulk-role');
    expect(body()).toEqual({ userIds: [grace.id, linus.id], role: 'engineer' });
  });

  it('lists, sends, resends and cancels invitations', async () => {
    const pending = invitation('bob@example.com');
    answer({ data: [pending], total: 1 });
    await expect(getInvitations({ page: 1, limit: 20, status: 'pending', search: undefined })).resolves.toEqual({ data: [pending], total: 1 });
    expect(last()?.params).toEqual({ page: 1, limit: 20, status: 'pending' });

    answer(pending, 201);
    await expect(invite({ email: 'bob@example.com', role: 'engineer', message: undefined })).resolves.toEqual(pending);
    expect(last()?.url).toBe('/user-invitations');
    expect(body()).toEqual({ email: 'bob@example.com', role: 'engineer' });

    const bulk = { created: 1, failed: 1, results: [{ index: 0, key: 'a@example.com', ok: true, status: 201, invitationId: pending.id }, { index: 1, key: 'b@example.com', ok: false, status: 409, message: 'Already a member.' }] };
    answer(bulk);
    await expect(bulkInvite([{ email: 'a@example.com', role: 'admin' }, { email: 'b@example.com', role: 'analyst' }], 'Welcome!')).resolves.toEqual(bulk);
    expect(last()?.url).toBe('/user-invitations/bulk');
    expect(body()).toEqual({ invitations: [{ email: 'a@example.com', role: 'admin' }, { email: 'b@example.com', role: 'analyst' }], message: 'Welcome!' });

    answer({ ...pending, sendCount: 2 });
    await expect(resendInvitation(pending.id)).resolves.toMatchObject({ sendCount: 2 });
    expect(last()?.url).toBe(`/user-invitations/${pending.id}/resend`);
    expect(last()?.method).toBe('post');

    answer(null, 204);
    await cancelInvitation(pending.id);
    expect(last()?.method).toBe('delete');
    expect(last()?.url).toBe(`/user-invitations/${pending.id}`);
  });

  it('previews and accepts without a session or a tenant, and keeps the problem of a used link', async () => {
    oidcDouble.getAccessToken.mockResolvedValue(null);
    const preview = {
      tenantName: 'Acme Corp',
      email: 'bob@example.com',
      role: 'engineer',
      invitedBy: 'Ada Lovelace',
      message: null,
      expiresAt: '2025-06-08T09:00:00.000Z',
      existingUser: false,
      identity: 'builtin',
    };
    answer(preview);
    await expect(previewInvitation('t'.repeat(32))).resolves.toEqual(preview);
    expect(last()?.url).toBe('/user-invitations/preview');
    expect(body()).toEqual({ token: 't'.repeat(32) });
    expect(last()?.headers.get('Authorization')).toBeUndefined();
    expect(last()?.headers.get('X-Tenant-Id')).toBeUndefined();

    const accepted = { tenantId: acme.id, tenantName: 'Acme Corp', role: 'engineer', email: 'bob@example.com', next: 'sign-in' };
    answer(accepted);
    await expect(acceptInvitation({ token: 't'.repeat(32), name: 'Bob', password: 'correct horse' })).resolves.toEqual(accepted);
    expect(body()).toEqual({ token: 't'.repeat(32), name: 'Bob', password: 'correct horse' });

    answer({ type: 'about:blank', title: 'Gone', status: 410, code: 'INVITATION_EXPIRED', detail: 'This invitation expired on June 8.' }, 410);
    const failure = await previewInvitation('t'.repeat(32)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ statusCode: 410, message: 'This invitation expired on June 8.' });
  });

  it('reads roles, team activity and the outbox; transfers ownership and leaves', async () => {
    const roles = [{ key: 'analyst', name: 'Analyst', level: 10, description: 'Reads.', permissions: ['users:list'] }];
    answer(roles);
    await expect(getRoles()).resolves.toEqual(roles);
    expect(last()?.url).toBe('/roles');

    const entry = teamEntry({ action: 'member.role_changed', createdAt: '2025-06-01T09:00:00.000Z' });
    answer({ data: [entry], total: 1 });
    await expect(getTeamActivity({ page: 1, limit: 20, userId: grace.id })).resolves.toEqual({ data: [entry], total: 1 });
    expect(last()?.url).toBe('/team/activity');
    expect(last()?.params).toEqual({ page: 1, limit: 20, userId: grace.id });

    const mail = outboxMessage();
    answer({ data: [mail], total: 1 });
    await expect(getOutbox({ page: 1, limit: 20 })).resolves.toEqual({ data: [mail], total: 1 });
    expect(last()?.url).toBe('/mail/outbox');

    answer({ previousOwner: { ...ada, role: 'admin' }, newOwner: { ...grace, role: 'owner' } });
    await expect(transferOwnership(grace.id)).resolves.toMatchObject({ newOwner: { id: grace.id, role: 'owner' } });
    expect(last()?.url).toBe('/team/transfer-ownership');
    expect(body()).toEqual({ newOwnerId: grace.id });

    answer(null, 204);
    await expect(leaveTenant()).resolves.toBeUndefined();
    expect(last()?.url).toBe('/team/leave');
    expect(last()?.method).toBe('post');
  });
});
