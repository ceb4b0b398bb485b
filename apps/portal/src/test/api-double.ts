import { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { platformApi } from '@/lib/axios';

/*
 * The Control Plane API as the services' tests see it: `answer()` makes the next requests of
 * `platformApi` answer `body` with `status` (4xx/5xx reject as axios does), `sent` holds the
 * requests made. Call `resetApiDouble()` in `beforeEach` and `restoreApi()` in `afterEach`.
 */

const originalAdapter = platformApi.defaults.adapter;

/** The requests sent since the last reset, oldest first. */
export const sent: InternalAxiosRequestConfig[] = [];

export function answer(body: unknown, status = 200): void {
  const adapter: AxiosAdapter = async (config) => {
    sent.push(config);
    const response: AxiosResponse = { data: body, status, statusText: String(status), headers: new AxiosHeaders({ 'content-type': 'application/json' }), config };
    if (status >= 400) throw new AxiosError(`Request failed with status code ${status}`, AxiosError.ERR_BAD_REQUEST, config, null, response);
    return response;
  };
  platformApi.defaults.adapter = adapter;
}

export function resetApiDouble(): void {
  sent.length = 0;
}

export function restoreApi(): void {
  platformApi.defaults.adapter = originalAdapter;
}
