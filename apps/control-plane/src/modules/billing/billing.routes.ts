import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ChangePlanRequest,
  Invoice,
  InvoiceListQuery,
  pageOf,
  PlanChangePreview,
  PreviewChangeQuery,
  Problem,
  Subscription,
  UpcomingInvoice,
} from '@cbp/contracts';
import { tenantContext, tenantOf } from '../../platform/guard.js';
import { IdempotencyInProgressError } from '../../platform/idempotency.js';
import { payInvoice, type InvoicePaymentDeps } from './invoice-payments.service.js';
import { invoiceOf, invoicePdf, invoicesOf, upcomingInvoice } from './invoices.service.js';
import {
  changePlan,
  currentSubscription,
  previewPlanChange,
  setCancellation,
  type BillingDeps,
} from './subscriptions.service.js';

const tenantSecurity = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const IdParams = z.object({ id: z.uuid() });
const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().optional() });

export const billingRoutes: FastifyPluginAsyncZod<BillingDeps & Pick<InvoicePaymentDeps, 'idempotencyLeaseMs'>> = async (app, deps) => {
  app.get(
    '/subscriptions/current',
    { schema: { tags: ['billing'], summary: "The tenant's subscription with its plan", security: tenantSecurity, response: { 200: Subscription, ...errors } } },
    (request) => currentSubscription(deps, tenantOf(request)),
  );

  app.get(
    '/subscriptions/preview-change',
    {
      schema: {
        tags: ['billing'],
        summary: 'Proration of a plan change, as it would be added to the next invoice (changes nothing)',
        security: tenantSecurity,
        querystring: PreviewChangeQuery,
        response: { 200: PlanChangePreview, 422: Problem, ...errors },
      },
    },
    (request) => previewPlanChange(deps, tenantOf(request), request.query.planId),
  );

  app.post(
    '/subscriptions/change-plan',
    {
      schema: {
        tags: ['billing'],
        summary: 'Change plan now; prorations go to the next invoice (owner)',
        security: tenantSecurity,
        body: ChangePlanRequest,
        response: { 200: Subscription, 422: Problem, ...errors },
      },
    },
    (request) =>
      changePlan(
        deps,
        tenantContext(request),
        request.body.planId,
        request.body.prorationDate ? new Date(request.body.prorationDate) : undefined,
      ),
  );

  app.post(
    '/subscriptions/cancel',
    {
      schema: {
        tags: ['billing'],
        summary: 'Cancel at the end of the current period (owner)',
        security: tenantSecurity,
        response: { 200: Subscription, 422: Problem, ...errors },
      },
    },
    (request) => setCancellation(deps, tenantContext(request), true),
  );

  app.post(
    '/subscriptions/resume',
    {
      schema: {
        tags: ['billing'],
        summary: 'Undo a scheduled cancellation (owner)',
        security: tenantSecurity,
        response: { 200: Subscription, 422: Problem, ...errors },
      },
    },
    (request) => setCancellation(deps, tenantContext(request), false),
  );

  app.get(
    '/invoices',
    {
      schema: {
        tags: ['billing'],
        summary: 'Invoices, newest first',
        security: tenantSecurity,
        querystring: InvoiceListQuery,
        response: { 200: pageOf(Invoice), ...errors },
      },
    },
    (request) => invoicesOf(deps, tenantOf(request), request.query),
  );

  app.get(
    '/invoices/upcoming',
    {
      schema: {
        tags: ['billing'],
        summary: 'The next invoice as it stands now',
        security: tenantSecurity,
        response: { 200: UpcomingInvoice, 409: Problem, ...errors },
      },
    },
    (request) => upcomingInvoice(deps, tenantOf(request)),
  );

  app.get(
    '/invoices/:id',
    {
      schema: { tags: ['billing'], summary: 'One invoice with its lines', security: tenantSecurity, params: IdParams, response: { 200: Invoice, ...errors } },
    },
    (request) => invoiceOf(deps, tenantOf(request), request.params.id),
  );

  app.get(
    '/invoices/:id/pdf',
    {
      schema: {
        tags: ['billing'],
        summary: 'The invoice as a PDF document',
        security: tenantSecurity,
        params: IdParams,
        produces: ['application/pdf'],
        response: { 200: z.any().describe('application/pdf'), ...errors },
      },
    },
    async (request, reply) => {
      const { number, pdf } = await invoicePdf(deps, tenantOf(request), request.params.id);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="invoice-${number.replace(/[^\w.-]/g, '_')}.pdf"`)
        .header('cache-control', 'private, no-store')
        .send(pdf);
    },
  );

  app.post(
    '/invoices/:id/pay',
    {
      schema: {
        tags: ['billing'],
        summary: 'Pay an open invoice now with the default payment method (owner, Idempotency-Key honoured)',
        description:
          'Charges the organization\'s default payment method at the payment gateway (local gateway or Stripe) and marks the invoice paid, ' +
          'with an `invoice.paid` audit entry. Refusals change nothing: 402 CARD_DECLINED (`declineCode` gives the reason), ' +
          '409 INVOICE_ALREADY_PAID, 409 INVOICE_NOT_PAYABLE (draft, void or uncollectible), 422 NO_PAYMENT_METHOD (no card on file), ' +
          "404 for an unknown invoice or another organization's. A retry with the same Idempotency-Key gets the first answer and never charges twice.",
        security: tenantSecurity,
        params: IdParams,
        headers: IdempotencyHeaders,
        response: { 200: Invoice, 402: Problem, 409: Problem, 422: Problem, 502: Problem, 503: Problem, ...errors },
      },
    },
    async (request, reply) => {
      const result = await payInvoice(deps, tenantContext(request), request.params.id, request.headers['idempotency-key']).catch((err: unknown) => {
        if (err instanceof IdempotencyInProgressError) reply.header('retry-after', String(err.retryAfterSeconds));
        throw err;
      });
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(result.status).send(result.body);
    },
  );
};
