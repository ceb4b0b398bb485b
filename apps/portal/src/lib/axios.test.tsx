import { beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { toast } from 'sonner';
import { ApiError, createPlatformApi, problemFromError } from '@/lib/axios';
import { setSelectedTenantId } from '@/lib/tenant';
import { oidcDouble, resetOidcDouble } from '@/test/oidc-double';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('sonner', () => ({ toast: { error: vi.fn(), success: vi.fn() } }));

interface FakeReply {
  status: number;
  body?: unknown;
  contentType?: string;
}

/** Answers like the API would and records what the interceptors sent. */
function fakeApi(reply: FakeReply | 'network-down') {
  const sent: InternalAxiosRequestConfig[] = [];
  const adapter: AxiosAdapter = async (config) => {
    sent.push(config);
    if (reply === 'network-down') throw new AxiosError('Network Error', AxiosError.ERR_NETWORK, config);
    const response: AxiosResponse = {
      data: reply.body,
      status: reply.status,
      statusText: String(reply.status),
      headers: new AxiosHeaders({ 'content-type': reply.contentType ?? 'application/json' }),
      config,
    };
    if (reply.status >= 400) {
      throw new AxiosError(`Request failed with status code ${reply.status}`, AxiosError.ERR_BAD_REQUEST, config, null, response);
    }
    return response;
  };
  const api = createPlatformApi('http://api.test');
  api.defaults.adapter = adapter;
  return { api, sent };
}

const validationProblem = {
  type: 'https://cbp.dev/problems/validation',
  title: 'Invalid request',
  status: 400,
  detail: 'Some fields are not valid.',
  code: 'VALIDATION_FAILED',
  errors: [
    { path: 'body.email', message: 'Enter a valid email address' },
    { path: 'body.role', message: 'Unknown role' },
  ],
};

beforeEach(() => {
  resetOidcDouble();
});

describe('platformApi request interceptor', () => {
  it('sends the access token and the selected tenant', async () => {
    setSelectedTenantId('tenant-123');
    const { api, sent } = fakeApi({ status: 200, body: {} });
    await api.get('/tenants/current');
    expect(sent[0]?.headers.get('Authorization')).toBe('Bearer test-access-token');
    expect(sent[0]?.headers.get('X-Tenant-Id')).toBe('tenant-123');
  });

  it('leaves the tenant out of calls that are not tenant-scoped', async () => {
    setSelectedTenantId('tenant-123');
    const { api, sent } = fakeApi({ status: 200, body: {} });
    await api.get('/me', { tenantScoped: false });
    expect(sent[0]?.headers.get('Authorization')).toBe('Bearer test-access-token');
    expect(sent[0]?.headers.has('X-Tenant-Id')).toBe(false);
  });

  it('sends no Authorization header when nobody is signed in', async () => {
    oidcDouble.getAccessToken.mockResolvedValue(null);
    const { api, sent } = fakeApi({ status: 200, body: {} });
    await api.get('/plans');
    expect(sent[0]?.headers.has('Authorization')).toBe(false);
  });
});

describe('platformApi response interceptor', () => {
  it('turns problem+json into an ApiError carrying the problem, and toasts it readably', async () => {
    const { api } = fakeApi({ status: 400, body: validationProblem, contentType: 'application/problem+json' });
    const error = await api.post('/user-invitations', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ statusCode: 400, message: 'Some fields are not valid.' });
    expect(problemFromError(error)?.code).toBe('VALIDATION_FAILED');

    expect(toast.error).toHaveBeenCalledTimes(1);
    const [title, options] = vi.mocked(toast.error).mock.calls[0] ?? [];
    expect(title).toBe('Invalid request');
    render(<>{(options as { description: ReactNode }).description}</>);
    expect(screen.getByText('Some fields are not valid.')).toBeInTheDocument();
    expect(screen.getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      'email: Enter a valid email address',
      'role: Unknown role',
    ]);
  });

  it('does not toast when the caller handles the error itself', async () => {
    const { api } = fakeApi({ status: 404, body: { ...validationProblem, status: 404, code: 'NOT_FOUND' } });
    await expect(api.get('/invoices/x', { silent: true })).rejects.toBeInstanceOf(ApiError);
    expect(toast.error).not.toHaveBeenCalled();
  });

  it('starts a new sign-in on 401 instead of toasting', async () => {
    const { api } = fakeApi({ status: 401, body: { ...validationProblem, status: 401, code: 'UNAUTHENTICATED' } });
    await expect(api.get('/me')).rejects.toMatchObject({ statusCode: 401 });
    expect(oidcDouble.reauthenticate).toHaveBeenCalledTimes(1);
    expect(toast.error).not.toHaveBeenCalled();
  });

  it('says so when the API cannot be reached', async () => {
    const { api } = fakeApi('network-down');
    await expect(api.get('/me')).rejects.toMatchObject({ statusCode: 0, problem: null });
    expect(vi.mocked(toast.error).mock.calls[0]?.[0]).toContain('Cannot reach the CBP API');
  });

  it('reads the problem of a failed download, whose body arrives as a Blob', async () => {
    const notFound = { ...validationProblem, status: 404, title: 'Not found', detail: 'Invoice not found.', code: 'NOT_FOUND' };
    const body = new Blob([JSON.stringify(notFound)], { type: 'application/problem+json' });
    const { api } = fakeApi({ status: 404, body, contentType: 'application/problem+json' });
    const error = await api.get('/invoices/x/pdf', { responseType: 'blob' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 404, message: 'Invoice not found.' });
    expect(problemFromError(error)?.code).toBe('NOT_FOUND');
    expect(vi.mocked(toast.error).mock.calls[0]?.[0]).toBe('Not found');
  });

  it('reports an HTTP error without a problem body by its status', async () => {
    const { api } = fakeApi({ status: 502, body: '<html>Bad gateway</html>', contentType: 'text/html' });
    const error = await api.get('/plans').catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 502, problem: null, message: 'The request failed (HTTP 502).' });
  });
});
