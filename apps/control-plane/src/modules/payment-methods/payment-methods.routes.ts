import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AddPaymentMethodRequest, LocalCardRequest, LocalCardResponse, PaymentMethod, Problem, SetupIntent } from '@cbp/contracts';
import type { LocalGateway } from '../../adapters/payments/local.js';
import { AppError } from '../../platform/errors.js';
import { IdempotencyInProgressError } from '../../platform/idempotency.js';
import { tenantContext, tenantOf } from '../../platform/guard.js';
import {
  addMethod,
  createSetupIntent,
  getMethod,
  listMethods,
  removeMethod,
  setDefaultMethod,
  type PaymentMethodDeps,
} from './payment-methods.service.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 402: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem };
const IdParams = z.object({ id: z.uuid() });
const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().optional() });

export const paymentMethodRoutes: FastifyPluginAsyncZod<PaymentMethodDeps & { local: LocalGateway | null }> = async (app, deps) => {
  app.post(
    '/payment-methods/setup-intent',
    { schema: { tags: ['payment methods'], summary: 'A SetupIntent for the browser to confirm (owner)', security, response: { 200: SetupIntent, ...errors } } },
    (request) => createSetupIntent(deps, tenantOf(request)),
  );

  app.post(
    '/payment-methods',
    {
      schema: {
        tags: ['payment methods'],
        summary: 'Verify and save a payment method; the first becomes the default (owner, Idempotency-Key honoured)',
        security,
        headers: IdempotencyHeaders,
        body: AddPaymentMethodRequest,
        response: { 201: PaymentMethod, 200: PaymentMethod, ...errors },
      },
    },
    async (request, reply) => {
      const result = await addMethod(deps, tenantContext(request), request.body, request.headers['idempotency-key']).catch((err: unknown) => {
        // Another attempt holds the key: say when its lease ends.
        if (err instanceof IdempotencyInProgressError) reply.header('retry-after', String(err.retryAfterSeconds));
        throw err;
      });
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(result.status).send(result.body);
    },
  );

  app.get(
    '/payment-methods',
    { schema: { tags: ['payment methods'], summary: 'Saved payment methods, default first (owner)', security, response: { 200: z.array(PaymentMethod), ...errors } } },
    (request) => listMethods(deps, tenantOf(request)),
  );

  app.get(
    '/payment-methods/:id',
    { schema: { tags: ['payment methods'], summary: 'One payment method (owner)', security, params: IdParams, response: { 200: PaymentMethod, ...errors } } },
    (request) => getMethod(deps, tenantOf(request), request.params.id),
  );

  app.patch(
    '/payment-methods/:id/set-default',
    {
      schema: { tags: ['payment methods'], summary: 'Make this the default for invoices (owner)', security, params: IdParams, response: { 200: PaymentMethod, ...errors } },
    },
    (request) => setDefaultMethod(deps, tenantContext(request), request.params.id),
  );

  app.delete(
    '/payment-methods/:id',
    {
      schema: {
        tags: ['payment methods'],
        summary: 'Remove a payment method; the default and the last method of a paid plan are kept (owner)',
        security,
        params: IdParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await removeMethod(deps, tenantContext(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/local-gateway/payment-methods',
    {
      schema: {
        tags: ['payment methods'],
        summary: "Local gateway only: turn one of Stripe's test cards into a PaymentMethod, as Stripe.js would (owner)",
        security,
        body: LocalCardRequest,
        response: { 201: LocalCardResponse, ...errors },
      },
    },
    async (request, reply) => {
      if (!deps.local) throw new AppError(404, 'NOT_FOUND', 'The local payment gateway is not in use; cards are collected by Stripe Elements.');
      // A refused number or expiry is a GatewayError: the error handler answers it (INCORRECT_NUMBER, ...).
      const paymentMethodId = await deps.local.createCardPaymentMethod({ ...request.body, name: request.body.name ?? null });
      return reply.status(201).send({ paymentMethodId });
    },
  );
};
