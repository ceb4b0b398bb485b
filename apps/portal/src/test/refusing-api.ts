import { afterEach, beforeEach, vi } from 'vitest';
import { AxiosError, AxiosHeaders, type AxiosAdapter } from 'axios';
import { platformApi } from '@/lib/axios';
import { getSelectedTenantId } from '@/lib/tenant';
import { getCurrentTenant, getPlans } from '@/services/session.service';
import { acme, globex, proPlan } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';

export interface RefusingApi {
  /** The tenants whose every call is refused now; a test may change it. */
  refused: Set<string>;
  /** `<url> <X-Tenant-Id>` of each call since the test began, oldest first. */
  requests: string[];
}

/**
 * For the tests of a full-page notice that stands in for an organization's pages (suspended,
 * two-step verification required): before each test the API refuses every call of the
 * `initially` tenants (by X-Tenant-Id) with 403 `code` as problem+json, as the real guard does,
 * and fails any other call as with the network down; `forget` drops what the portal remembers of
 * a refusal (Acme's and Globex's). The session service (mocked by the test file with
 * `vi.mock('@/services/session.service')`) answers the selected tenant, Acme or Globex, and the
 * Pro plan. Call it once at the top of the test file.
 */
export function withRefusingApi(code: string, detail: string, { initially, forget }: { initially: string[]; forget: (tenantId: string) => void }): RefusingApi {
  const state: RefusingApi = { refused: new Set(), requests: [] };
  const originalAdapter = platformApi.defaults.adapter;
  const api: AxiosAdapter = async (config) => {
    const tenant = String(config.headers.get('X-Tenant-Id') ?? '');
    state.requests.push(`${config.url} ${tenant}`);
    if (state.refused.has(tenant)) {
      const body = { type: 'about:blank', title: 'Forbidden', status: 403, code, detail };
      throw new AxiosError('Request failed with status code 403', AxiosError.ERR_BAD_REQUEST, config, null, {
        data: body,
        status: 403,
        statusText: 'Forbidden',
        headers: new AxiosHeaders({ 'content-type': 'application/problem+json' }),
        config,
      });
    }
    throw new AxiosError('No API in tests', AxiosError.ERR_NETWORK, config);
  };
  beforeEach(() => {
    resetOidcDouble();
    state.refused.clear();
    for (const id of initially) state.refused.add(id);
    state.requests.length = 0;
    forget(acme.id);
    forget(globex.id);
    platformApi.defaults.adapter = api;
    vi.mocked(getCurrentTenant).mockImplementation(async () => (getSelectedTenantId() === globex.id ? globex : acme));
    vi.mocked(getPlans).mockResolvedValue([proPlan]);
  });
  afterEach(() => {
    platformApi.defaults.adapter = originalAdapter;
  });
  return state;
}
