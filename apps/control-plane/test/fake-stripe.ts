import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { customerJson } from './fake-stripe-json.js';
import { createInvoiceItem, listInvoiceItems } from './fake-stripe-invoice-items.js';
import { payInvoice } from './fake-stripe-invoices.js';
import {
  confirmSetupIntent,
  createSetupIntent,
  detachPaymentMethod,
  retrievePaymentMethod,
  updateCustomer,
} from './fake-stripe-payment-methods.js';
import { FakeStripeState, StripeApiError, type Params, type ParamValue } from './fake-stripe-state.js';

/**
 * A small Stripe-compatible HTTP server for tests: the real `stripe` SDK is pointed at it
 * (`createStripeClient(key, { host, port, protocol: 'http' })`), so the SDK's real requests
 * (form-encoded bodies, headers, idempotency keys) are exercised offline. Objects follow the
 * shapes of the SDK's pinned API version; the state lives in `fake-stripe-state.ts`, payment
 * methods and SetupIntents in `fake-stripe-payment-methods.ts`.
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/subscriptions/sub_123`. */
  path: string;
  /** Parsed query string (GET) — `lookup_keys[0]=cbp_pro` becomes `{ lookup_keys: ['cbp_pro'] }`. */
  query: Params;
  /** Parsed form body (POST). */
  body: Params;
  headers: IncomingHttpHeaders;
}

export interface FakeStripe {
  host: string;
  port: number;
  /** Every request received, in order (also the rejected ones). */
  requests: RecordedRequest[];
  state: FakeStripeState;
  close(): Promise<void>;
}

/** `a[b][0][c]=x` -> `{ a: { b: [{ c: 'x' }] } }`; `k[]=x` appends. Objects keyed 0..n become arrays. */
export function parseFormParams(encoded: string): Params {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    const path = match ? [match[1] as string, ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] as string)] : [key];
    let node = root;
    path.forEach((segment, i) => {
      const name = segment === '' ? String(Object.keys(node).length) : segment;
      if (i === path.length - 1) {
        node[name] = value;
      } else {
        const child = node[name];
        node = (node[name] = typeof child === 'object' && child !== null ? child : {}) as Record<string, unknown>;
      }
    });
  }
  return toArrays(root) as Params;
}

function toArrays(value: unknown): ParamValue {
  if (typeof value !== 'object' || value === null) return value as string;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => toArrays(v));
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, toArrays(v)]));
}

const maskKey = (key: string) => `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

type Route = { method: string; pattern: RegExp; handle: (state: FakeStripeState, params: Params, id: string) => object };

const routes: Route[] = [
  { method: 'POST', pattern: /^\/v1\/customers$/, handle: (s, p) => s.createCustomer(p) },
  { method: 'GET', pattern: /^\/v1\/customers\/([^/]+)$/, handle: (s, _p, id) => customerJson(s.customer(id, 'path')) },
  { method: 'POST', pattern: /^\/v1\/customers\/([^/]+)$/, handle: (s, p, id) => updateCustomer(s, p, id) },
  { method: 'GET', pattern: /^\/v1\/prices$/, handle: (s, p) => s.listPrices(p) },
  { method: 'POST', pattern: /^\/v1\/subscriptions$/, handle: (s, p) => s.createSubscription(p) },
  { method: 'GET', pattern: /^\/v1\/subscriptions\/([^/]+)$/, handle: (s, _p, id) => s.subscriptionJson(s.subscription(id, 'path')) },
  { method: 'POST', pattern: /^\/v1\/subscriptions\/([^/]+)$/, handle: (s, p, id) => s.updateSubscription(id, p) },
  { method: 'DELETE', pattern: /^\/v1\/subscriptions\/([^/]+)$/, handle: (s, _p, id) => s.cancelSubscription(id) },
  { method: 'POST', pattern: /^\/v1\/invoices\/create_preview$/, handle: (s, p) => s.createPreview(p) },
  { method: 'POST', pattern: /^\/v1\/invoices\/([^/]+)\/pay$/, handle: (s, p, id) => payInvoice(s, p, id) },
  { method: 'POST', pattern: /^\/v1\/invoiceitems$/, handle: (s, p) => createInvoiceItem(s, p) },
  { method: 'GET', pattern: /^\/v1\/invoiceitems$/, handle: (s, p) => listInvoiceItems(s, p) },
  { method: 'POST', pattern: /^\/v1\/billing_portal\/sessions$/, handle: (s, p) => s.createPortalSession(p) },
  { method: 'POST', pattern: /^\/v1\/setup_intents$/, handle: (s, p) => createSetupIntent(s, p) },
  { method: 'POST', pattern: /^\/v1\/setup_intents\/([^/]+)\/confirm$/, handle: (s, p, id) => confirmSetupIntent(s, p, id) },
  { method: 'GET', pattern: /^\/v1\/payment_methods\/([^/]+)$/, handle: (s, _p, id) => retrievePaymentMethod(s, id) },
  { method: 'POST', pattern: /^\/v1\/payment_methods\/([^/]+)\/detach$/, handle: (s, _p, id) => detachPaymentMethod(s, id) },
];

/**
 * Starts the fake on 127.0.0.1 (random port). Accepts `Authorization: Bearer <secretKey>` when
 * `secretKey` is given, else any `sk_test_…` key. POSTs honour `Idempotency-Key` like Stripe:
 * the same key replays the first response (header `Idempotent-Replayed: true`); the same key
 * with other parameters is a 400 `idempotency_error`.
 */
export async function startFakeStripe(options: { secretKey?: string } = {}): Promise<FakeStripe> {
  const state = new FakeStripeState();
  const requests: RecordedRequest[] = [];
  const idempotent = new Map<string, { fingerprint: string; status: number; body: string }>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      send(res, 500, { error: { type: 'api_error', message: `Fake Stripe failed: ${String(err)}` } });
    });
  });

  const send = (res: ServerResponse, status: number, body: object | string, replayed = false) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': `req_${randomBytes(7).toString('hex')}`,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: parseFormParams(url.search.slice(1)),
      body: parseFormParams(raw),
      headers: req.headers,
    };
    requests.push(record);

    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const keyOk = options.secretKey ? key === options.secretKey : /^sk_test_\w+$/.test(key);
    if (!keyOk) {
      const message = key ? `Invalid API Key provided: ${maskKey(key)}` : 'You did not provide an API key.';
      return send(res, 401, { error: { type: 'invalid_request_error', message } });
    }

    const idempotencyKey = method === 'POST' ? req.headers['idempotency-key'] : undefined;
    const storeKey = typeof idempotencyKey === 'string' ? `${key}\n${idempotencyKey}` : null;
    const fingerprint = `${method} ${url.pathname}?${raw}`;
    const previous = storeKey ? idempotent.get(storeKey) : undefined;
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${String(idempotencyKey)}' if you meant to execute a different request.`;
        return send(res, 400, { error: { type: 'idempotency_error', message } });
      }
      return send(res, previous.status, previous.body, true);
    }

    let status = 200;
    let body: object;
    const route = routes.find((r) => r.method === method && r.pattern.test(url.pathname));
    try {
      if (!route) {
        throw new StripeApiError(404, 'invalid_request_error', null, `Unrecognized request URL (${method}: ${url.pathname}).`);
      }
      const id = decodeURIComponent(route.pattern.exec(url.pathname)?.[1] ?? '');
      body = route.handle(state, method === 'GET' ? record.query : record.body, id);
    } catch (err) {
      if (!(err instanceof StripeApiError)) throw err;
      status = err.status;
      body = { error: err.toJSON() };
    }
    const serialised = JSON.stringify(body);
    if (storeKey) idempotent.set(storeKey, { fingerprint, status, body: serialised });
    send(res, status, serialised);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    requests,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
