import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { ErrorCode, FieldError, Problem } from '@cbp/contracts';
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
  503: 'Service unavailable',
};

/** An error the API answers with as problem+json: a status, a stable code and a human sentence. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | (string & {}),
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthenticated = (detail = 'A valid bearer token is required.') =>
  new AppError(401, 'UNAUTHENTICATED', detail);
export const forbidden = (detail: string) => new AppError(403, 'FORBIDDEN', detail);
export const notFound = (what = 'Resource') => new AppError(404, 'NOT_FOUND', `${what} not found.`);

function problemFor(request: FastifyRequest, status: number, code: string, detail: string, errors?: FieldError[]): Problem {
  return {
    type: `https://cbp.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    code,
    instance: request.url.split('?')[0],
    requestId: request.id,
    ...(errors ? { errors } : {}),
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, status: number, code: string, detail: string, errors?: FieldError[]) {
  return reply
    .status(status)
    .type('application/problem+json; charset=utf-8')
    .send(problemFor(request, status, code, detail, errors));
}

/** Every error leaves the API as RFC 9457 problem+json with a stable `code`. */
export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      return sendProblem(request, reply, error.status, error.code, error.message, error.errors);
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
