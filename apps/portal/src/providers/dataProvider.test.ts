import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { platformApi } from '@/lib/axios';
import { createDataProvider, resourceRouting } from '@/providers/dataProvider';
import { resetOidcDouble } from '@/test/oidc-double';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));

const originalAdapter = platformApi.defaults.adapter;
let sent: InternalAxiosRequestConfig[] = [];

function answer(body: unknown) {
  const adapter: AxiosAdapter = async (config) => {
    sent.push(config);
    return { data: body, status: 200, statusText: 'OK', headers: new AxiosHeaders(), config };
  };
  platformApi.defaults.adapter = adapter;
}

beforeEach(() => {
  resetOidcDouble();
  sent = [];
});
afterEach(() => {
  platformApi.defaults.adapter = originalAdapter;
});

describe('dataProvider', () => {
  it('routes the platform resources to the platform API', () => {
    for (const resource of ['tenants', 'subscriptions', 'plans', 'users', 'user-invitations', 'roles', 'settings', 'invoices']) {
      expect(resourceRouting[resource]).toBe('platform');
    }
  });

  it('asks for a page with page and limit and reads { data, total }', async () => {
    answer({ data: [{ id: 'u1' }, { id: 'u2' }], total: 42 });
    const result = await createDataProvider().getList({
      resource: 'users',
      pagination: { currentPage: 3, pageSize: 2 },
      filters: [{ field: 'status', operator: 'eq', value: 'active' }],
    });
    expect(result).toEqual({ data: [{ id: 'u1' }, { id: 'u2' }], total: 42 });
    expect(sent[0]?.url).toBe('/users');
    expect(sent[0]?.params).toEqual({ page: 3, limit: 2, status: 'active' });
  });

  it('accepts a bare array (GET /plans)', async () => {
    answer([{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }]);
    const result = await createDataProvider().getList({ resource: 'plans', pagination: { mode: 'off' } });
    expect(result).toEqual({ data: [{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }], total: 3 });
    expect(sent[0]?.params).toEqual({});
  });

  it('refuses resources no backend serves and filters the API cannot express', async () => {
    answer([]);
    await expect(createDataProvider().getList({ resource: 'spaceships' })).rejects.toThrow(/No backend/);
    await expect(
      createDataProvider().getList({ resource: 'users', filters: [{ field: 'name', operator: 'contains', value: 'a' }] }),
    ).rejects.toThrow(/not supported/);
    expect(sent).toHaveLength(0);
  });

  it('addresses single records by id', async () => {
    answer({ id: 'current' });
    await createDataProvider().getOne({ resource: 'tenants', id: 'current' });
    expect(sent[0]?.url).toBe('/tenants/current');
  });
});
