import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toast } from 'sonner';
import { ApiError } from '@/lib/axios';
import {
  checkQuota,
  createApiKey,
  getApiKeys,
  getUsageAlerts,
  getUsageAnalytics,
  getUsageQuotas,
  getUsageStatus,
  getUsageSummaries,
  getUsageTrend,
  initializeQuotas,
  resetQuotas,
  revokeApiKey,
  updateSoftLimit,
} from '@/services/usage.service';
import { answer, resetApiDouble, restoreApi, sent } from '@/test/api-double';
import { resetOidcDouble } from '@/test/oidc-double';
import { acmeQuotas, acmeStatus, apiCallsQuota, apiKey, currentAnalytics, maySummaries, monthlyTrend } from '@/test/usage-fixtures';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('sonner', () => ({ toast: { error: vi.fn(), success: vi.fn() } }));

const last = () => sent.at(-1);
const body = () => JSON.parse(String(last()?.data)) as unknown;

beforeEach(() => {
  resetOidcDouble();
  resetApiDouble();
});
afterEach(() => {
  restoreApi();
  vi.restoreAllMocks();
});

describe('usage.service', () => {
  it('parses the status with the contract schema and refuses another shape', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    answer(acmeStatus);
    await expect(getUsageStatus()).resolves.toEqual(acmeStatus);
    expect(last()?.url).toBe('/usage/status');
    expect(last()?.headers.get('Authorization')).toBe('Bearer test-access-token');

    answer([{ ...acmeStatus[0], currentUsage: -1 }]);
    await expect(getUsageStatus()).rejects.toThrow('The server sent GET /usage/status in an unexpected shape.');
  });

  it('reads quotas, alerts and a quota check', async () => {
    answer(acmeQuotas);
    await expect(getUsageQuotas()).resolves.toHaveLength(3);
    expect(last()?.url).toBe('/usage/quotas');

    answer({ exceeded: false, softExceeded: true, currentUsage: 85_000, limit: 150_000 });
    await expect(checkQuota('api_calls')).resolves.toMatchObject({ softExceeded: true, limit: 150_000 });
    expect(last()?.url).toBe('/usage/quotas/api_calls/check');

    answer([]);
    await expect(getUsageAlerts()).resolves.toEqual([]);
    expect(last()?.url).toBe('/usage/alerts');
  });

  it('sends the soft limit, or null to turn the alert off', async () => {
    answer({ ...apiCallsQuota, softLimit: 90_000 });
    await expect(updateSoftLimit('api_calls', 90_000)).resolves.toMatchObject({ softLimit: 90_000 });
    expect(last()?.method).toBe('patch');
    expect(last()?.url).toBe('/usage/quotas/api_calls');
    expect(body()).toEqual({ softLimit: 90_000 });

    answer({ ...apiCallsQuota, softLimit: null });
    await updateSoftLimit('api_calls', null);
    expect(body()).toEqual({ softLimit: null });
  });

  it('initializes and resets quotas with an optional plan or metric', async () => {
    answer({ quotasCreated: 3, planTier: 'pro' });
    await expect(initializeQuotas()).resolves.toEqual({ quotasCreated: 3, planTier: 'pro' });
    expect(last()?.url).toBe('/usage/quotas/initialize');
    expect(body()).toEqual({});

    answer({ reset: ['api_calls'], skipped: ['users'], periodStart: '2026-07-01T00:00:00.000Z', invoiced: ['api_calls'], invoicePending: [] });
    await expect(resetQuotas()).resolves.toMatchObject({ reset: ['api_calls'], skipped: ['users'], invoiced: ['api_calls'] });
    expect(last()?.url).toBe('/usage/quotas/reset');
    expect(body()).toEqual({});
    await resetQuotas('users');
    expect(body()).toEqual({ metricType: 'users' });
  });

  it('asks for a trend with its range and granularity', async () => {
    answer(monthlyTrend);
    await expect(getUsageTrend({ metricType: 'api_calls', months: 6, granularity: 'month' })).resolves.toEqual(monthlyTrend);
    expect(last()?.url).toBe('/usage/trends/api_calls');
    expect(last()?.params).toEqual({ months: 6, granularity: 'month' });
  });

  it('asks for analytics and summaries of a period only when one is given', async () => {
    answer(currentAnalytics);
    await expect(getUsageAnalytics()).resolves.toMatchObject({ period: '2026-06', projected: { elapsed: 0.4 } });
    expect(last()?.params).toBeUndefined();
    await getUsageAnalytics('2026-05');
    expect(last()?.params).toEqual({ billingPeriod: '2026-05' });

    answer(maySummaries);
    await expect(getUsageSummaries('2026-05')).resolves.toHaveLength(2);
    expect(last()?.url).toBe('/usage/summaries');
    expect(last()?.params).toEqual({ billingPeriod: '2026-05' });
  });

  it('lists, creates and revokes API keys', async () => {
    const key = apiKey('CI pipeline');
    answer([key]);
    await expect(getApiKeys()).resolves.toEqual([key]);

    answer({ ...key, secret: 'cbp_live_secret' });
    await expect(createApiKey('CI pipeline')).resolves.toMatchObject({ secret: 'cbp_live_secret' });
    expect(last()?.method).toBe('post');
    expect(body()).toEqual({ name: 'CI pipeline' });

    answer(undefined, 204);
    await revokeApiKey(key.id);
    expect(last()?.method).toBe('delete');
    expect(last()?.url).toBe(`/api-keys/${key.id}`);
  });

  it("rejects with the API's refusal and leaves showing it to the page (no toast)", async () => {
    answer({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'FORBIDDEN', detail: 'Requires the Admin role.' }, 403);
    const refusal = updateSoftLimit('api_calls', 1);
    await expect(refusal).rejects.toBeInstanceOf(ApiError);
    await expect(refusal).rejects.toMatchObject({ statusCode: 403, message: 'Requires the Admin role.' });
    expect(toast.error).not.toHaveBeenCalled();
  });
});
