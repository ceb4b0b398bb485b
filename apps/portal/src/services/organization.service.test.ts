import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { toast } from 'sonner';
import { platformApi } from '@/lib/axios';
import { addDomain, getDomains, removeDomain, updateOrganization, verifyDomain } from '@/services/organization.service';
import { resetOidcDouble } from '@/test/oidc-double';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('sonner', () => ({ toast: { error: vi.fn(), success: vi.fn() } }));

const originalAdapter = platformApi.defaults.adapter;
let sent: InternalAxiosRequestConfig[] = [];

function answer(body: unknown, status = 200) {
  const adapter: AxiosAdapter = async (config) => {
    sent.push(config);
    const response = { data: body, status, statusText: String(status), headers: new AxiosHeaders({ 'content-type': 'application/json' }), config };
    if (status >= 400) {
      const { AxiosError } = await import('axios');
      throw new AxiosError('Request failed', 'ERR_BAD_REQUEST', config, null, response);
    }
    return response;
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

const domain = {
  id: '11111111-1111-4111-8111-111111111111',
  domain: 'acme.example',
  status: 'pending',
  verificationRecord: { type: 'TXT', name: '_cbp-verification.acme.example', value: 'cbp-verify-x' },
  createdAt: '2026-12-01T10:00:00.000Z',
  lastCheckedAt: null,
  lastCheckMessage: null,
  verifiedAt: null,
  failureReason: null,
};

describe('organization.service', () => {
  it('lists domains and posts new ones and verifications to the contract paths', async () => {
    answer({ data: [domain] });
    expect(await getDomains()).toEqual([domain]);
    answer(domain, 201);
    await addDomain('acme.example');
    expect(sent[1]).toMatchObject({ method: 'post', url: '/organization/domains', data: JSON.stringify({ domain: 'acme.example' }) });
    answer({ domain, verified: false, message: 'No TXT record yet.' });
    expect(await verifyDomain(domain.id)).toMatchObject({ verified: false });
    expect(sent[2]).toMatchObject({ method: 'post', url: `/organization/domains/${domain.id}/verify` });
    answer(null, 204);
    await removeDomain(domain.id);
    expect(sent[3]).toMatchObject({ method: 'delete', url: `/organization/domains/${domain.id}` });
  });

  it('rejects with the problem (field errors kept) and raises no toast: the form shows it', async () => {
    answer({ type: 'about:blank', title: 'Invalid request', status: 400, code: 'VALIDATION_FAILED', detail: 'Invalid body.billingEmail.', errors: [{ path: 'body.billingEmail', message: 'Invalid email' }] }, 400);
    await expect(updateOrganization({ billingEmail: 'x' })).rejects.toMatchObject({ statusCode: 400, problem: { errors: [{ path: 'body.billingEmail' }] } });
    expect(toast.error).not.toHaveBeenCalled();
  });

  it('refuses a response in an unexpected shape', async () => {
    answer({ data: [{ ...domain, status: 'unknown' }] });
    await expect(getDomains()).rejects.toThrow('unexpected shape');
  });
});
