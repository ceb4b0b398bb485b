import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { platformApi } from '@/lib/axios';
import {
  addPaymentMethod,
  createLocalCardPaymentMethod,
  createSetupIntent,
  getPaymentMethod,
  getPaymentMethods,
  removePaymentMethod,
  setAsDefault,
} from '@/services/payment-methods.service';
import { cardMethod, localSetupIntent } from '@/test/payment-method-fixtures';
import { resetOidcDouble } from '@/test/oidc-double';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));

const originalAdapter = platformApi.defaults.adapter;
let sent: InternalAxiosRequestConfig[] = [];

function answer(body: unknown, status = 200) {
  const adapter: AxiosAdapter = async (config) => {
    sent.push(config);
    return { data: body, status, statusText: 'OK', headers: new AxiosHeaders({ 'content-type': 'application/json' }), config };
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

describe('payment-methods.service', () => {
  it('parses the list and the setup intent with the contract schemas', async () => {
    const visa = cardMethod('visa', '4242', { isDefault: true });
    answer([visa]);
    await expect(getPaymentMethods()).resolves.toEqual([visa]);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    answer([{ ...visa, type: 'paypal' }]);
    await expect(getPaymentMethods()).rejects.toThrow('The server sent GET /payment-methods in an unexpected shape.');

    answer(visa);
    await expect(getPaymentMethod(visa.id)).resolves.toEqual(visa);
    expect(sent.at(-1)?.url).toBe(`/payment-methods/${visa.id}`);

    answer(localSetupIntent);
    await expect(createSetupIntent()).resolves.toEqual(localSetupIntent);
    expect(sent.at(-1)?.method).toBe('post');
    expect(sent.at(-1)?.url).toBe('/payment-methods/setup-intent');
  });

  it('tokenises a local card, then adds it with the Idempotency-Key of the attempt', async () => {
    answer({ paymentMethodId: 'pm_local_1' }, 201);
    const card = { number: '4242424242424242', expMonth: 12, expYear: 2031, cvc: '123', postalCode: '10115' };
    await expect(createLocalCardPaymentMethod(card)).resolves.toBe('pm_local_1');
    expect(sent[0]?.url).toBe('/local-gateway/payment-methods');
    expect(JSON.parse(String(sent[0]?.data))).toEqual(card);

    const saved = cardMethod('visa', '4242', { isDefault: true, stripePaymentMethodId: 'pm_local_1' });
    answer(saved, 201);
    await expect(addPaymentMethod({ stripePaymentMethodId: 'pm_local_1', setAsDefault: true }, 'key-1')).resolves.toEqual(saved);
    expect(sent[1]?.url).toBe('/payment-methods');
    expect(sent[1]?.headers.get('Idempotency-Key')).toBe('key-1');
    expect(JSON.parse(String(sent[1]?.data))).toEqual({ stripePaymentMethodId: 'pm_local_1', setAsDefault: true });
  });

  it('makes a method the default and removes one by id', async () => {
    const visa = cardMethod('visa', '4242', { isDefault: true });
    answer(visa);
    await expect(setAsDefault(visa.id)).resolves.toEqual(visa);
    expect(sent[0]?.method).toBe('patch');
    expect(sent[0]?.url).toBe(`/payment-methods/${visa.id}/set-default`);

    answer(null, 204);
    await expect(removePaymentMethod(visa.id)).resolves.toBeUndefined();
    expect(sent[1]?.method).toBe('delete');
    expect(sent[1]?.url).toBe(`/payment-methods/${visa.id}`);
  });
});
