import { LocalCardResponse, PaymentMethod, SetupIntent } from '@cbp/contracts';
import { parseResponse, platformApi } from '@/lib/axios';
import type { AddPaymentMethodRequest, LocalCardRequest } from '@/types/payment-method';

/*
 * Owner only (the API answers 403 to other roles). Reads and the calls made from the add form
 * or the remove dialog are `silent`: those views show the error in place. Making a card the
 * default is a button on the list, so its errors are toasted.
 */

const PaymentMethodList = PaymentMethod.array();

const byId = (id: string) => `/payment-methods/${encodeURIComponent(id)}`;

/** A SetupIntent to confirm in the browser; `gateway` says whether Stripe Elements or the local card form collects the card. */
export async function createSetupIntent(): Promise<SetupIntent> {
  const { data } = await platformApi.post<unknown>('/payment-methods/setup-intent', undefined, { silent: true });
  return parseResponse(SetupIntent, data, 'POST /payment-methods/setup-intent');
}

/**
 * Local gateway only: turns one of Stripe's test cards into a PaymentMethod id, as Stripe.js
 * would. The card number goes to the API in this request and nowhere else.
 */
export async function createLocalCardPaymentMethod(card: LocalCardRequest): Promise<string> {
  const { data } = await platformApi.post<unknown>('/local-gateway/payment-methods', card, { silent: true });
  return parseResponse(LocalCardResponse, data, 'POST /local-gateway/payment-methods').paymentMethodId;
}

/**
 * Verifies the method at the gateway and saves it (402 when the card is declined, 409 when it is
 * already saved). Send the same `idempotencyKey` when retrying one attempt, a new one per attempt.
 */
export async function addPaymentMethod(request: AddPaymentMethodRequest, idempotencyKey: string): Promise<PaymentMethod> {
  const { data } = await platformApi.post<unknown>('/payment-methods', request, {
    headers: { 'Idempotency-Key': idempotencyKey },
    silent: true,
  });
  return parseResponse(PaymentMethod, data, 'POST /payment-methods');
}

/** Saved methods, the default first. */
export async function getPaymentMethods(): Promise<PaymentMethod[]> {
  const { data } = await platformApi.get<unknown>('/payment-methods', { silent: true });
  return parseResponse(PaymentMethodList, data, 'GET /payment-methods');
}

export async function getPaymentMethod(id: string): Promise<PaymentMethod> {
  const { data } = await platformApi.get<unknown>(byId(id), { silent: true });
  return parseResponse(PaymentMethod, data, 'GET /payment-methods/:id');
}

/** The method charged for invoices from now on. Errors are toasted. */
export async function setAsDefault(id: string): Promise<PaymentMethod> {
  const { data } = await platformApi.patch<unknown>(`${byId(id)}/set-default`);
  return parseResponse(PaymentMethod, data, 'PATCH /payment-methods/:id/set-default');
}

/** 422 `DEFAULT_PAYMENT_METHOD` / `LAST_PAYMENT_METHOD` when a paid subscription still needs it. */
export async function removePaymentMethod(id: string): Promise<void> {
  await platformApi.delete(byId(id), { silent: true });
}
