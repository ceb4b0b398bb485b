/**
 * Hostile-input generators shared by the sample in `npm test`
 * (src/platform/hostile-input.fuzz.test.ts) and the long run (`npm run fuzz`, test/fuzz.ts).
 *
 * The route table comes from the app itself: GET /docs is the OpenAPI document that
 * @fastify/swagger builds from every registered route (platform.test.ts checks it lists exactly
 * the routes of `routePolicies`), with each route's path, query and body schemas. For each
 * route the generators build requests whose parameters are either valid for the schema (so a
 * request can get past validation into the handler) or hostile: wrong types, huge strings,
 * U+0000, unpaired surrogates, invalid UTF-8 and percent-encoding, deep nesting,
 * prototype-pollution keys, numbers out of range, awkward Unicode.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';

export interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

export interface ParamSpec {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface RouteSpec {
  /** `METHOD /path/:param`, the key of `routePolicies`. */
  key: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Fastify form: `/users/:id`. */
  path: string;
  params: ParamSpec[];
  query: ParamSpec[];
  body: JsonSchema | null;
}

interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

/** Every route the app registered, from its OpenAPI document (GET /docs). */
export async function routeTable(app: FastifyInstance): Promise<RouteSpec[]> {
  const res = await app.inject({ url: '/docs' });
  if (res.statusCode !== 200) throw new Error(`GET /docs answered ${res.statusCode}`);
  const doc = res.json() as { paths: Record<string, Record<string, OpenApiOperation>> };
  const routes: RouteSpec[] = [];
  for (const [openApiPath, operations] of Object.entries(doc.paths)) {
    const path = openApiPath.replace(/\{(\w+)\}/g, ':$1');
    for (const [method, op] of Object.entries(operations)) {
      const upper = method.toUpperCase() as RouteSpec['method'];
      const parameters = op.parameters ?? [];
      const spec = (p: (typeof parameters)[number]): ParamSpec => ({ name: p.name, required: p.required ?? false, schema: p.schema ?? {} });
      routes.push({
        key: `${upper} ${path}`,
        method: upper,
        path,
        params: parameters.filter((p) => p.in === 'path').map(spec),
        query: parameters.filter((p) => p.in === 'query').map(spec),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
      });
    }
  }
  return routes.sort((a, b) => a.key.localeCompare(b.key));
}

// ---------------------------------------------------------------------------------------------
// Hostile values

const specials = [
  '',
  ' ',
  "'; DROP TABLE tenants; --",
  "' OR '1'='1",
  '%',
  '_',
  '\\',
  '../../../etc/passwd',
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '\u202eevil\u202c',
  '\u200b\u200c\u200d\ufeff',
  '🧨💥',
  'e\u0301\u0301\u0301',
  'ǅ İ ß ﬀ',
  '\r\nX-Injected: 1',
  '\t\v\f',
  '\u0085\u2028\u2029',
  '\uffff\ufffe',
  'pm_card_visa',
];

/** Strings PostgreSQL cannot store or that break naive code, plus ordinary ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...specials),
  fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}\u0000${b}`),
  fc.constantFrom('\ud800', 'x\udfff', '\udc00\ud800', 'a\ud83d'),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'A'.repeat(n)),
  fc.integer({ min: 100, max: 2_000 }).map((n) => '\u00e9\u{1f4a5}'.repeat(n)),
);

/** Number texts out of range or of the wrong kind (JSON number syntax). */
const hostileNumberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('-1', '0', '-0', '0.5', '1e308', '-1e308', '1e309', '1E400', '9007199254740993', '2147483648', '-2147483649', '9223372036854775808', '123456789012345678901234567890', '1e-400', '5e-324'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer().map(String),
);

const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf');
const hostileKey: fc.Arbitrary<string> = fc.oneof(protoKey, hostileString.filter((s) => s.length < 200));

const objectText = (entries: [string, string][]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

/** A JSON text (as sent on the wire) of a hostile value: any type, nesting, proto keys. */
export const hostileJson: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    hostileString.map((s) => JSON.stringify(s)),
    hostileNumberText,
    fc.constantFrom('true', 'false', 'null', '[]', '{}'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 }).map(objectText),
    fc.integer({ min: 100, max: 5_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
    fc.integer({ min: 100, max: 2_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  ),
})).value;

/** Bodies that are not JSON at all, sent as application/json. */
const brokenJson = fc.constantFrom('', '{', '{"a":', 'NaN', '[1,]', '{"a":1,"a":2}', "{'a':1}", '\u0000', '\ufeff{}', 'null', '"just a string"', '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"isAdmin":true}}}');

// ---------------------------------------------------------------------------------------------
// Values that follow a schema (so that one hostile field can reach the handler)

function validJson(schema: JsonSchema, depth = 0): fc.Arbitrary<string> {
  if (schema.anyOf?.length) return fc.oneof(...schema.anyOf.map((s) => validJson(s, depth)));
  if (schema.enum?.length) return fc.constantFrom(...schema.enum).map((v) => JSON.stringify(v));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return validString(schema).map((s) => JSON.stringify(s));
    case 'integer': {
      const min = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : (schema.minimum ?? -1_000_000);
      const max = Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER);
      return fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max }).map(String);
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: schema.minimum, max: schema.maximum }).map((d) => JSON.stringify(d));
    case 'boolean':
      return fc.boolean().map(String);
    case 'null':
      return fc.constant('null');
    case 'array':
      return fc
        .array(validJson(schema.items ?? {}, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)) })
        .map((items) => `[${items.join(',')}]`);
    case 'object':
      return objectFor(schema, depth, false);
    default:
      return hostileJson;
  }
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'date-time':
      return fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'email':
      return fc.emailAddress();
    default:
      break;
  }
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? Infinity));
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) }).filter((s) => s.length >= (schema.minLength ?? 0));
}

/** An object for `schema`: each property valid or hostile (or left out), maybe extra hostile keys. */
function objectFor(schema: JsonSchema, depth: number, hostile: boolean): fc.Arbitrary<string> {
  const properties = Object.entries(schema.properties ?? {});
  const value = (s: JsonSchema) => (hostile && depth < 3 ? fc.oneof(validJson(s, depth + 1), hostileJson) : validJson(s, depth + 1));
  const entries = properties.map(([name, s]) =>
    fc.option(value(s).map((v): [string, string] => [name, v]), { freq: (schema.required ?? []).includes(name) ? 8 : 2 }),
  );
  const extras = hostile ? fc.array(fc.tuple(hostileKey, hostileJson), { maxLength: 2 }) : fc.constant([] as [string, string][]);
  return fc.tuple(fc.tuple(...entries), extras).map(([present, extra]) => objectText([...present.filter((e): e is [string, string] => e !== null), ...extra]));
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface HostileRequest {
  method: RouteSpec['method'];
  url: string;
  payload?: string;
  contentType?: string;
}

/**
 * Percent-encodes a string for a URL; unpaired surrogates become their (invalid) UTF-8 bytes
 * (as a lenient client would send them) instead of throwing like encodeURIComponent.
 */
export function encodeComponent(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

/** Raw URL fragments a client could send that are not proper percent-encoding of UTF-8. */
const rawFragment = fc.constantFrom('%', '%zz', '%00', '%C0%80', '%ED%A0%80', '%FF%FE', '%E2%82', '..%2F..%2F', '%2e%2e', '%25', 'a%00b', '%F4%90%80%80');

function valueText(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.enum?.length) return fc.constantFrom(...schema.enum.map(String));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'integer' || type === 'number') return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1000, 1000) }).map(String);
  if (type === 'boolean') return fc.boolean().map(String);
  return validString(schema);
}

/** A URL component: valid for its schema (or a known id), or hostile. */
function componentFor(schema: JsonSchema, known: string[]): fc.Arbitrary<string> {
  const valid = known.length ? fc.oneof(fc.constantFrom(...known), valueText(schema)) : valueText(schema);
  return fc.oneof(valid.map(encodeComponent), hostileString.filter((s) => s.length > 0).map(encodeComponent), rawFragment);
}

export interface HostileOptions {
  /** Real ids to use for a path or query parameter by name (so handlers find something). */
  knownValues?: Record<string, string[]>;
}

/** Hostile requests for one route: path params, query string and body (valid or hostile each). */
export function hostileRequest(route: RouteSpec, { knownValues = {} }: HostileOptions = {}): fc.Arbitrary<HostileRequest> {
  const params = fc.tuple(...route.params.map((p) => componentFor(p.schema, knownValues[p.name] ?? [])));
  const declared = fc.tuple(
    ...route.query.map((q) =>
      fc.option(
        componentFor(q.schema, knownValues[q.name] ?? []).map((v) => `${encodeComponent(q.name)}=${v}`),
        { freq: q.required ? 8 : 2 },
      ),
    ),
  );
  const extraQuery = fc.array(
    fc.oneof(
      fc.tuple(hostileKey.filter((k) => k.length > 0), hostileString).map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`),
      rawFragment,
      // the same declared key twice (an array where a scalar is expected)
      ...(route.query.length ? [fc.constantFrom(...route.query.map((q) => `${q.name}=1&${q.name}=2`))] : []),
    ),
    { maxLength: 2 },
  );
  const query = fc.tuple(declared, extraQuery).map(([d, e]) => [...d.filter((x): x is string => x !== null), ...e].join('&'));
  const jsonBody = route.body ? fc.oneof({ weight: 4, arbitrary: objectFor(route.body, 0, true) }, { weight: 1, arbitrary: hostileJson }) : hostileJson;
  const body: fc.Arbitrary<{ payload?: string; contentType?: string }> =
    route.method === 'GET'
      ? fc.constant({})
      : fc.oneof(
          { weight: 6, arbitrary: jsonBody.map((payload) => ({ payload, contentType: 'application/json' })) },
          { weight: 1, arbitrary: brokenJson.map((payload) => ({ payload, contentType: 'application/json' })) },
          { weight: 1, arbitrary: fc.constant({}) },
          {
            weight: 1,
            arbitrary: fc
              .tuple(fc.constantFrom('application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=latin1', 'multipart/form-data'), hostileString)
              .map(([contentType, s]) => ({ payload: contentType.startsWith('application/x-www') ? `name=${encodeComponent(s)}&__proto__[x]=1` : s, contentType })),
          },
        );
  return fc.tuple(params, query, body).map(([values, q, b]) => {
    let i = 0;
    const path = route.path.replace(/:(\w+)/g, () => values[i++] ?? '');
    return { method: route.method, url: q ? `${path}?${q}` : path, ...b };
  });
}

/**
 * Routes under /oidc/ belong to the built-in identity provider (oidc-provider, mounted with
 * middie): browsers get its HTML pages, and a path it does not know its own plain 404.
 */
export const identityProviderRoute = (route: RouteSpec) => route.path.startsWith('/oidc/');

/**
 * The promise under hostile input: never a 5xx, and every refusal a 4xx problem+json with a
 * `code` (the identity provider's browser pages: a 4xx HTML or plain-text page). Returns what broke, or null.
 */
export function judge(route: RouteSpec, res: LightMyRequestResponse): string | null {
  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode >= 500) return `${res.statusCode} ${type}: ${res.body.slice(0, 300)}`;
  if (res.statusCode < 400) return null;
  if (identityProviderRoute(route) && /^text\/(html|plain)/.test(type)) return null;
  if (!type.startsWith('application/problem+json')) return `${res.statusCode} with content-type "${type}" (expected application/problem+json): ${res.body.slice(0, 200)}`;
  let problem: { code?: unknown; status?: unknown };
  try {
    problem = JSON.parse(res.body) as { code?: unknown; status?: unknown };
  } catch {
    return `${res.statusCode} problem+json that is not JSON: ${res.body.slice(0, 200)}`;
  }
  if (typeof problem.code !== 'string' || problem.code === '') return `${res.statusCode} problem without a code: ${res.body.slice(0, 200)}`;
  if (problem.status !== res.statusCode) return `problem status ${String(problem.status)} differs from HTTP ${res.statusCode}`;
  return null;
}

export interface SampleStats {
  requests: number;
  byStatus: Map<number, number>;
  accepted: Map<string, number>;
  /** The data fingerprint as of the last request (unknown after an accepted mutation). */
  fingerprint?: string;
}

export const newStats = (): SampleStats => ({ requests: 0, byStatus: new Map(), accepted: new Map() });

/** Shortens a counterexample for printing (huge strings are summarised). */
export function describeRequest(req: HostileRequest): string {
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 150)}…(${s.length} chars)…${s.slice(-60)}` : s);
  return `${req.method} ${cut(req.url)}${req.payload !== undefined ? ` [${req.contentType}] ${cut(JSON.stringify(req.payload))}` : ''}`;
}

export interface PropertyDeps {
  app: FastifyInstance;
  headers: Record<string, string>;
  /** A snapshot of the tenant's data; a refused request must leave it unchanged. */
  fingerprint: () => Promise<string>;
  stats: SampleStats;
  options?: HostileOptions;
}

/**
 * The property for one route: send a hostile request; it must be judged fine, and when it is
 * refused (4xx) the tenant's data fingerprint must be what it was before.
 */
export function hostileProperty(route: RouteSpec, { app, headers, fingerprint, stats, options }: PropertyDeps) {
  return fc.asyncProperty(hostileRequest(route, options), async (req) => {
    const before = stats.fingerprint ?? (await fingerprint());
    stats.fingerprint = undefined;
    const res = await app.inject({
      method: req.method,
      url: req.url,
      headers: { ...headers, ...(req.contentType ? { 'content-type': req.contentType } : {}) },
      ...(req.payload !== undefined ? { payload: req.payload } : {}),
    });
    stats.requests++;
    stats.byStatus.set(res.statusCode, (stats.byStatus.get(res.statusCode) ?? 0) + 1);
    const problem = judge(route, res);
    if (problem) throw new Error(`${route.key}: ${problem}`);
    // Each refusal is checked against the data as it was just before it (a fingerprint is
    // computed again only after an accepted mutation).
    if (res.statusCode >= 400) {
      const after = await fingerprint();
      stats.fingerprint = after;
      if (after !== before) throw new Error(`${route.key}: refused with ${res.statusCode} but the data changed:\n${before}\n->\n${after}`);
    } else if (route.method === 'GET') {
      stats.fingerprint = before;
    } else {
      stats.accepted.set(route.key, (stats.accepted.get(route.key) ?? 0) + 1);
    }
  });
}

/** SQL (run in the tenant's scope) whose one row (`f`) summarises what a tenant holds. */
export const fingerprintQuery = `SELECT concat_ws(' | ',
  'audit=' || (SELECT count(*) FROM audit_logs),
  'members=' || (SELECT string_agg(user_id || ':' || role || ':' || status, ',' ORDER BY user_id) FROM tenant_memberships),
  'subscriptions=' || (SELECT string_agg(plan_id || ':' || status || ':' || cancel_at_period_end, ',' ORDER BY id) FROM subscriptions),
  'payment_methods=' || (SELECT count(*) FROM payment_methods),
  'invitations=' || (SELECT string_agg(status || ':' || coalesce(revoked_at::text, ''), ',' ORDER BY id) FROM user_invitations),
  'api_keys=' || (SELECT count(*) || '/' || count(revoked_at) FROM api_keys),
  'quotas=' || (SELECT string_agg(metric_type || ':' || coalesce(soft_limit::text, '-') || ':' || current_usage, ',' ORDER BY metric_type, period_start) FROM usage_quotas),
  'usage_events=' || (SELECT count(*) FROM usage_events),
  'mail=' || (SELECT count(*) FROM mail_outbox),
  'notifications=' || (SELECT count(*) || '/' || count(read_at) FROM notifications),
  'notification_settings=' || (SELECT string_agg(user_id || ':' || channels::text || ':' || types::text || ':' || digest, ',' ORDER BY user_id) FROM notification_settings)) AS f`;

/**
 * Real values of a tenant to use as path and query parameters (by parameter name), read
 * through the API with `headers` (an owner's), so handlers get past "not found" sometimes.
 */
export async function knownValues(app: FastifyInstance, headers: Record<string, string>): Promise<Record<string, string[]>> {
  const ids = async (url: string): Promise<string[]> => {
    const res = await app.inject({ url, headers });
    if (res.statusCode !== 200) return [];
    const body = res.json() as { id: string }[] | { data: { id: string }[] };
    return (Array.isArray(body) ? body : body.data).map((row) => row.id).slice(0, 3);
  };
  const audit = await app.inject({ url: '/audit-logs?limit=5', headers });
  const entries = audit.statusCode === 200 ? (audit.json() as { data: { id: string; action: string; targetType: string | null; targetId: string | null; actorId: string | null }[] }).data : [];
  const members = await ids('/users');
  const invoices = await ids('/invoices');
  return {
    id: [...members, ...invoices, ...(await ids('/payment-methods')), ...(await ids('/user-invitations')), ...(await ids('/api-keys')), ...(await ids('/workflows')), ...entries.map((e) => e.id)],
    userId: members,
    actorId: entries.flatMap((e) => (e.actorId ? [e.actorId] : [])),
    action: entries.map((e) => e.action),
    targetType: entries.flatMap((e) => (e.targetType ? [e.targetType] : [])),
    targetId: entries.flatMap((e) => (e.targetId ? [e.targetId] : [])),
  };
}
