import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FieldError } from '@cbp/contracts';
import { AppError } from './errors.js';

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Text PostgreSQL cannot store: U+0000 (refused in `text` and `jsonb`) and unpaired UTF-16
 * surrogates (no UTF-8 encoding: refused, or silently turned into U+FFFD). Everything else,
 * emoji, accents, CJK, control characters other than NUL, is ordinary text.
 */
export function unstorableReason(text: string): string | null {
  if (text.includes('\u0000')) return 'Contains U+0000 (NUL), which cannot be stored.';
  if (loneSurrogate.test(text)) return 'Contains an unpaired UTF-16 surrogate, which cannot be stored.';
  return null;
}

/** A key as it can be shown in a field path: unstorable characters written as `\uXXXX`. */
function printable(key: string): string {
  if (unstorableReason(key) === null) return key;
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    const high = code >= 0xd800 && code <= 0xdbff;
    const next = key.charCodeAt(i + 1);
    if (high && next >= 0xdc00 && next <= 0xdfff) {
      out += key.slice(i, i + 2);
      i++;
    } else if (code === 0 || (code >= 0xd800 && code <= 0xdfff)) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else {
      out += key[i];
    }
  }
  return out;
}

/** More than this many offending fields are summarised by the first ones (bounded answers). */
const maxFieldErrors = 20;

/**
 * Every string (and object key) in a parsed value that PostgreSQL cannot store, with its
 * path (`body.items.2.name`). Walks iteratively, so any nesting depth JSON.parse accepted
 * is walked without exhausting the stack; buffers (raw bodies such as Stripe webhooks,
 * verified byte for byte) are not text and are left alone.
 */
export function findUnstorableStrings(root: unknown, rootPath: string): FieldError[] {
  const errors: FieldError[] = [];
  const stack: { value: unknown; path: string; badKey?: string }[] = [{ value: root, path: rootPath }];
  const seen = new Set<object>();
  while (stack.length > 0 && errors.length < maxFieldErrors) {
    const { value, path, badKey } = stack.pop() as { value: unknown; path: string; badKey?: string };
    if (badKey) {
      errors.push({ path, message: `Field name: ${badKey}` });
      continue;
    }
    if (typeof value === 'string') {
      const reason = unstorableReason(value);
      if (reason) errors.push({ path, message: reason });
      continue;
    }
    if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || ArrayBuffer.isView(value)) continue;
    if (seen.has(value)) continue;
    seen.add(value);
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    // Pushed in reverse so fields are reported in document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (!entry) continue;
      const [key, child] = entry;
      const childPath = `${path}.${printable(key)}`;
      const keyReason = unstorableReason(key);
      stack.push(keyReason ? { value: null, path: childPath, badKey: keyReason } : { value: child, path: childPath });
    }
  }
  return errors.slice(0, maxFieldErrors);
}

function refuse(errors: FieldError[]): AppError {
  return new AppError(
    400,
    'VALIDATION_FAILED',
    `Invalid ${errors.map((e) => e.path).join(', ')}: text with characters that cannot be stored (U+0000 or an unpaired surrogate).`,
    errors,
  );
}

function checkEnvelope(request: FastifyRequest): void {
  const errors = [
    ...findUnstorableStrings(request.params, 'params'),
    ...findUnstorableStrings(request.query, 'query'),
    ...findUnstorableStrings(request.headers, 'headers'),
  ];
  if (errors.length > 0) throw refuse(errors.slice(0, maxFieldErrors));
}

/**
 * The one place hostile strings are refused (400 `VALIDATION_FAILED`, a field error per
 * offending field), for every route, including the built-in identity provider's pages and
 * the oidc-provider endpoints mounted through middie:
 * - route params, query string and headers in `onRequest`, before authentication or any
 *   other hook reads the database (register this before the guard and middie);
 * - the parsed body in `preValidation`, before the route's schema and handler.
 * Register it on the root instance before any plugin, so every route inherits the hooks.
 */
export function registerHostileInputGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    checkEnvelope(request);
  });
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) return;
    const errors = findUnstorableStrings(request.body, 'body');
    if (errors.length > 0) throw refuse(errors);
  });
}
