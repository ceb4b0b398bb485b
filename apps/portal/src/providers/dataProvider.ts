import type { AxiosInstance } from 'axios';
import type { BaseRecord, CrudFilter, DataProvider } from '@refinedev/core';
import { config } from '@/lib/config';
import { platformApi } from '@/lib/axios';

/** The HTTP backends the portal talks to; future areas can add their own. */
const backends = {
  platform: platformApi,
} satisfies Record<string, AxiosInstance>;

export type Backend = keyof typeof backends;

/** Which backend serves each Refine resource. */
export const resourceRouting: Record<string, Backend> = {
  tenants: 'platform',
  subscriptions: 'platform',
  plans: 'platform',
  users: 'platform',
  'user-invitations': 'platform',
  roles: 'platform',
  settings: 'platform',
  invoices: 'platform',
};

function clientFor(resource: string): AxiosInstance {
  const backend = resourceRouting[resource];
  if (!backend) throw new Error(`No backend is configured for the resource "${resource}".`);
  return backends[backend];
}

/** The platform API filters by plain query parameters, so only `eq` filters can be expressed. */
function filterParams(filters: CrudFilter[] | undefined): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const filter of filters ?? []) {
    if (!('field' in filter) || filter.operator !== 'eq') {
      throw new Error(`Filter operator "${filter.operator}" is not supported by the platform API.`);
    }
    if (filter.value !== undefined && filter.value !== null && filter.value !== '') params[filter.field] = filter.value;
  }
  return params;
}

/** Lists answer `{ data, total }`; a few (GET /plans) answer a bare array. */
function listFrom<T>(body: unknown): { data: T[]; total: number } {
  if (Array.isArray(body)) return { data: body as T[], total: body.length };
  const page = body as { data?: unknown; total?: unknown } | null;
  if (page && Array.isArray(page.data) && typeof page.total === 'number') {
    return { data: page.data as T[], total: page.total };
  }
  throw new Error('The list response has neither `{ data, total }` nor an array.');
}

const path = (resource: string, id?: string | number) =>
  id === undefined ? `/${resource}` : `/${resource}/${encodeURIComponent(String(id))}`;

export function createDataProvider(): DataProvider {
  return {
    getApiUrl: () => config.apiUrl,

    getList: async <T extends BaseRecord>({ resource, pagination, filters }: Parameters<DataProvider['getList']>[0]) => {
      const params = filterParams(filters);
      if ((pagination?.mode ?? 'server') === 'server') {
        params.page = pagination?.currentPage ?? 1;
        params.limit = pagination?.pageSize ?? 20;
      }
      const { data } = await clientFor(resource).get<unknown>(path(resource), { params });
      return listFrom<T>(data);
    },

    getOne: async <T extends BaseRecord>({ resource, id }: Parameters<DataProvider['getOne']>[0]) => {
      const { data } = await clientFor(resource).get<T>(path(resource, id));
      return { data };
    },

    getMany: async <T extends BaseRecord>({ resource, ids }: Parameters<NonNullable<DataProvider['getMany']>>[0]) => {
      const client = clientFor(resource);
      const data = await Promise.all(ids.map(async (id) => (await client.get<T>(path(resource, id))).data));
      return { data };
    },

    create: async <T extends BaseRecord>({ resource, variables }: Parameters<DataProvider['create']>[0]) => {
      const { data } = await clientFor(resource).post<T>(path(resource), variables);
      return { data };
    },

    update: async <T extends BaseRecord>({ resource, id, variables }: Parameters<DataProvider['update']>[0]) => {
      const { data } = await clientFor(resource).patch<T>(path(resource, id), variables);
      return { data };
    },

    deleteOne: async <T extends BaseRecord>({ resource, id }: Parameters<DataProvider['deleteOne']>[0]) => {
      const { data } = await clientFor(resource).delete<T>(path(resource, id));
      return { data };
    },

    custom: async <T extends BaseRecord>({ url, method, payload, query, headers, meta }: Parameters<NonNullable<DataProvider['custom']>>[0]) => {
      const backend: Backend = (meta?.backend as Backend | undefined) ?? 'platform';
      const { data } = await backends[backend].request<T>({ url, method, data: payload, params: query, headers });
      return { data };
    },
  };
}
