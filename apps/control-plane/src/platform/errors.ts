import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { errorCatalogue, type ErrorCode, type FieldError, type Problem } from '@cbp/contracts';
import { GatewayError } from '../adapters/payments/port.js';
import { isDatabaseUnavailable } from './db.js';

const titles: Record<number, string> = {
  400: 'Invalid request',
  401: 'Authentication required',
  402: 'Payment required',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  422: 'Request refused',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

/** Fields a problem carries beyond RFC 9457's: the gateway's reason of a CARD_DECLINED. */
export interface ProblemExtras {
  declineCode?: string;
}

/**
 * An error the API answers with as problem+json: a status, a stable code from the error
 * catalogue (`errorCatalogue` in @cbp/contracts, nothing else compiles) and a human sentence.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    readonly extras?: ProblemExtras,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthenticated = (detail = 'A valid bearer token is required.') =>
  new AppError(401, 'UNAUTHENTICATED', detail);
export const forbidden = (detail: string) => new AppError(403, 'FORBIDDEN', detail);
export const notFound = (what = 'Resource') => new AppError(404, 'NOT_FOUND', `${what} not found.`);

const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(errorCatalogue, code);

/** A code from elsewhere (a stored answer, a gateway) as a catalogue code: itself if catalogued, else by status. */
export function catalogueCode(code: string, status: number): ErrorCode {
  if (isErrorCode(code)) return code;
  if (status === 402) return 'CARD_DECLINED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status >= 500) return 'INTERNAL';
  return 'BUSINESS_RULE';
}

/** Gateway refusals CBP names with a code of its own (the rest go by status, see `catalogueCode`). */
const gatewayCodes: Record<string, ErrorCode> = {
  resource_missing: 'NOT_FOUND',
  no_upcoming_invoice: 'NOT_FOUND',
  subscription_canceled: 'SUBSCRIPTION_CANCELED',
  payment_method_in_use: 'PAYMENT_METHOD_IN_USE',
  payment_method_unattached: 'INVALID_PAYMENT_METHOD',
  invalid_payment_method: 'INVALID_PAYMENT_METHOD',
  idempotency_conflict: 'CONFLICT',
  incorrect_number: 'INCORRECT_NUMBER',
  not_a_test_card: 'NOT_A_TEST_CARD',
  invalid_expiry: 'INVALID_EXPIRY',
};

/**
 * A payment gateway's error as the API answers it, wherever it is thrown: a failing or
 * unreachable gateway is 502/503 PAYMENT_GATEWAY_UNAVAILABLE (503 when retrying later may
 * help); a declined card is 402 CARD_DECLINED with the gateway's reason as `declineCode`;
 * other refusals keep their status with a catalogue code.
 */
export function gatewayProblem(err: GatewayError): AppError {
  if (err.status >= 500) {
    return new AppError(err.status === 503 ? 503 : 502, 'PAYMENT_GATEWAY_UNAVAILABLE', err.message);
  }
  if (err.status === 402) return new AppError(402, 'CARD_DECLINED', err.message, undefined, { declineCode: err.code });
  const code = gatewayCodes[err.code] ?? catalogueCode(err.code.toUpperCase(), err.status);
  const statuses: readonly number[] = errorCatalogue[code].statuses;
  return new AppError(statuses.includes(err.status) ? err.status : (statuses[0] ?? 422), code, err.message);
}

function problemFor(request: FastifyRequest, status: number, code: ErrorCode, detail: string, errors?: FieldError[], extras?: ProblemExtras): Problem {
  return {
    type: `https://cbp.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    code,
    instance: request.url.split('?')[0],
    requestId: request.id,
    ...(errors ? { errors } : {}),
    ...(extras?.declineCode ? { declineCode: extras.declineCode } : {}),
  };
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  detail: string,
  errors?: FieldError[],
  extras?: ProblemExtras,
) {
  return reply
    .status(status)
    .type('application/problem+json; charset=utf-8')
    .send(problemFor(request, status, code, detail, errors, extras));
}

/** Every error leaves the API as RFC 9457 problem+json with a stable `code`. */
export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | AppError | GatewayError, request, reply) => {
    if (error instanceof GatewayError) {
      const problem = gatewayProblem(error);
      if (problem.status >= 500) {
        request.log.error({ err: error }, 'payment gateway failed');
        if (problem.status === 503) reply.header('retry-after', '5');
      }
      return sendProblem(request, reply, problem.status, problem.code, problem.message, undefined, problem.extras);
    }
    if (error instanceof AppError) {
      if ((error.code === 'PAYMENT_GATEWAY_UNAVAILABLE' || error.code === 'IDENTITY_PROVIDER_UNAVAILABLE') && error.status === 503) reply.header('retry-after', '5');
      return sendProblem(request, reply, error.status, error.code, error.message, error.errors, error.extras);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const context = error.validationContext ?? 'body';
      const errors = error.validation.map((v) => {
        const field = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
        return { path: field ? `${context}.${field}` : context, message: v.message ?? 'Invalid value' };
      });
      const detail = `Invalid ${errors.map((e) => e.path).join(', ')}.`;
      return sendProblem(request, reply, 400, 'VALIDATION_FAILED', detail, errors);
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return sendProblem(request, reply, 500, 'INTERNAL', 'The server produced an invalid response.');
    }
    if (isDatabaseUnavailable(error)) {
      // An outage, not a bug: answer at once so clients and load balancers retry elsewhere or later.
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', '5');
      return sendProblem(request, reply, 503, 'DATABASE_UNAVAILABLE', 'The database is unavailable right now; retry in a few seconds.');
    }
    const status = error.statusCode ?? 500;
    if (status === 429) return sendProblem(request, reply, 429, 'RATE_LIMITED', 'Too many requests; slow down and retry later.');
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, unsupported media type, body too large.
      return sendProblem(request, reply, status, status === 400 ? 'VALIDATION_FAILED' : 'BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 500, 'INTERNAL', 'Something went wrong on our side. The request id helps us find it.');
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, 'NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`),
  );
}
