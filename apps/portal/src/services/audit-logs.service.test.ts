import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { platformApi } from '@/lib/axios';
import {
  countAuditLogs,
  getAuditLogById,
  getAuditLogs,
  getAuditLogsByAction,
  getAuditLogsByActor,
  getAuditLogsByTarget,
} from '@/services/audit-logs.service';
import { ownerId, planChanged } from '@/test/audit-log-fixtures';
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
    return { data: body, status: 200, statusText: 'OK', headers: new AxiosHeaders({ 'content-type': 'application/json' }), config };
  };
  platformApi.defaults.adapter = adapter;
}

beforeEach(() => {
  resetOidcDouble();
  sent = [];
});
afterEach(() => {
  platformApi.defaults.adapter = originalAdapter;
  vi.restoreAllMocks();
});

describe('audit-logs.service', () => {
  it('asks for a page with only the filters that are set, and parses it with the contract', async () => {
    answer({ data: [planChanged], total: 1, totalCapped: false });
    await expect(getAuditLogs({ page: 2, limit: 20, action: 'subscription.plan_changed', q: undefined })).resolves.toEqual({
      data: [planChanged],
      total: 1,
      totalCapped: false,
    });
    expect(sent[0]?.url).toBe('/audit-logs');
    expect(sent[0]?.params).toEqual({ page: 2, limit: 20, action: 'subscription.plan_changed' });

    answer({ data: [{ ...planChanged, actorType: 'robot' }], total: 1, totalCapped: false });
    await expect(getAuditLogs({ page: 1, limit: 20 })).rejects.toThrow('The server sent GET /audit-logs in an unexpected shape.');
  });

  it('reads one entry and the count', async () => {
    answer(planChanged);
    await expect(getAuditLogById(planChanged.id)).resolves.toMatchObject({ action: 'subscription.plan_changed' });
    expect(sent[0]?.url).toBe(`/audit-logs/${planChanged.id}`);

    answer({ count: 3, capped: false });
    await expect(countAuditLogs({ targetType: 'payment_method' })).resolves.toEqual({ count: 3, capped: false });
    expect(sent[1]?.url).toBe('/audit-logs/count');
    expect(sent[1]?.params).toEqual({ targetType: 'payment_method' });
    answer({ total: 3 });
    await expect(countAuditLogs({})).rejects.toThrow('unexpected shape');
  });

  it('calls the shortcut lists with their path segments encoded', async () => {
    answer({ data: [], total: 0, totalCapped: false });
    await getAuditLogsByAction('invoice.paid', { page: 1, limit: 5 });
    await getAuditLogsByTarget('invoice', 'in_1/2');
    await getAuditLogsByActor(ownerId);
    expect(sent.map((config) => config.url)).toEqual([
      '/audit-logs/by-action/invoice.paid',
      '/audit-logs/by-target/invoice/in_1%2F2',
      `/audit-logs/by-actor/${ownerId}`,
    ]);
    expect(sent[0]?.params).toEqual({ page: 1, limit: 5 });
    expect(sent[1]?.params).toEqual({});
  });
});
